//! `PartnerService`: community sessions, their hosting, bookings, waitlist and attendance.
//! Each handler takes the caller from the request (checked by the auth layer), parses
//! the request, and records the command on the session's stream through the [`Store`];
//! the domain ([`domain::session`]) decides.
//!
//! The booking race needs nothing here: the store decides one command per stream at a
//! time in this process and appends with the version it decided on, so a booking that
//! lost to another (here or in another process) is decided again on the new state and
//! told the session is full.

use domain::session::{self, CancelBooking, Referral, Session, SessionEvent};
use domain::{Context, DomainError};
use proto::v1 as pb;
use proto::v1::partner_service_server::PartnerService;
use tonic::Request;
use uuid::Uuid;

use crate::handler::{
    Body, Reply, caller, invalid, on_existing, on_new, parse, reply, reply_created, rpcs,
};
use crate::store::{Consults, Store};

rpcs! {
    PartnerService for Partner {
        schedule_session(ScheduleSessionRequest) =>
            on_new(session::stream, Session::schedule, "session_id", |b| &b.session_id);
        confirm_hosting(ConfirmHostingRequest) =>
            on_existing(session::stream, Session::confirm_hosting, |c| c.session_id);
        decline_hosting(DeclineHostingRequest) =>
            on_existing(session::stream, Session::decline_hosting, |c| c.session_id);
        book_seat(BookSeatRequest) => refer(Referral::from_booking, Session::book_seat);
        cancel_booking(CancelBookingRequest) => cancel_booking();
        join_waitlist(JoinWaitlistRequest) =>
            refer(Referral::from_waitlist, Session::join_waitlist);
        cancel_session(CancelSessionRequest) =>
            on_existing(session::stream, Session::cancel, |c| c.session_id);
        record_attendance(RecordAttendanceRequest) =>
            on_existing(session::stream, Session::record_attendance, |c| c.session_id);
    }
}

/// Records a referral (a booking or a place on the waitlist) with `decide`, answering
/// with its booking reference (chosen by the client or derived from its request id, so
/// a re-send gets the same one).
async fn refer<R: Body>(
    store: &Store,
    request: Request<R>,
    parse: fn(&R, Uuid) -> Result<Referral, DomainError>,
    decide: fn(&Session, Referral, &Context) -> Result<Vec<SessionEvent>, DomainError>,
) -> Reply {
    let caller = caller(&request, request.get_ref().request_id())?;
    let referral = parse(request.get_ref(), caller.derived_id("booking")).map_err(invalid)?;
    let reference = referral.booking_reference.clone();
    let decide = |session: &Session, ctx: &Context| decide(session, referral.clone(), ctx);
    reply_created(
        consulting(store, &caller, referral.session_id, decide).await,
        reference,
    )
}

async fn cancel_booking(store: &Store, request: Request<pb::CancelBookingRequest>) -> Reply {
    let (caller, command) = parse::<_, CancelBooking>(request)?;
    let id = command.session_id;
    let decide = |session: &Session, ctx: &Context| session.cancel_booking(command.clone(), ctx);
    reply(consulting(store, &caller, id, decide).await)
}

/// Decides on session `id` with the commissions in force in the context: a commissioned
/// partner may refer (and cancel) on another partner's session.
async fn consulting(
    store: &Store,
    caller: &crate::store::Caller,
    id: Uuid,
    decide: impl Fn(&Session, &Context) -> Result<Vec<SessionEvent>, DomainError>,
) -> Result<proto::v1::CommandResult, crate::error::ServiceError> {
    let stream = session::stream(&id);
    store
        .execute_consulting::<Session, _>(
            &stream,
            &id.to_string(),
            caller,
            Consults::Commissions,
            decide,
        )
        .await
}
