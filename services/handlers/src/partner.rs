//! `PartnerService`: community sessions, their hosting, bookings, waitlist and attendance.
//! Each handler takes the caller from the request (checked by the auth layer), parses
//! the request, and records the command on the session's stream through the [`Store`];
//! the domain ([`domain::session`]) decides.
//!
//! The booking race needs nothing here: the store decides one command per stream at a
//! time in this process and appends with the version it decided on, so a booking that
//! lost to another (here or in another process) is decided again on the new state and
//! told the session is full.

use std::sync::Arc;

use domain::session::{
    self, CancelBooking, CancelSession, ConfirmHosting, DeclineHosting, RecordAttendance, Referral,
    ScheduleSession, Session,
};
use proto::v1 as pb;
use proto::v1::partner_service_server::PartnerService;
use tonic::Request;

use crate::handler::{Reply, caller, invalid, parse, record_on, reply, reply_created};
use crate::store::{Consults, Store};

#[derive(Debug, Clone)]
pub struct Partner {
    store: Arc<Store>,
}

impl Partner {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// Records a referral (a booking or a place on the waitlist) with `decide`, answering
    /// with its booking reference (chosen by the client or derived from its request id, so
    /// a re-send gets the same one).
    async fn refer(
        &self,
        caller: &crate::store::Caller,
        referral: Referral,
        decide: fn(
            &Session,
            Referral,
            &domain::Context,
        ) -> domain::error::Result<Vec<session::SessionEvent>>,
    ) -> Reply {
        let id = referral.session_id;
        let reference = referral.booking_reference.clone();
        let result = self
            .store
            .execute_consulting::<Session, _>(
                &session::stream(&id),
                &id.to_string(),
                caller,
                Consults::Commissions,
                |session, ctx| decide(session, referral.clone(), ctx),
            )
            .await;
        reply_created(result, reference)
    }
}

#[tonic::async_trait]
impl PartnerService for Partner {
    #[tracing::instrument(skip_all)]
    async fn schedule_session(&self, request: Request<pb::ScheduleSessionRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("session_id", &body.session_id, "session")
            .map_err(invalid)?;
        let command = ScheduleSession::try_from(body).map_err(invalid)?;
        record_on(
            &self.store,
            session::stream,
            id,
            &caller,
            command,
            |s: &Session, c, ctx| s.schedule(id, c, ctx),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_hosting(&self, request: Request<pb::ConfirmHostingRequest>) -> Reply {
        let (caller, command) = parse::<_, ConfirmHosting>(request)?;
        let id = command.session_id;
        record_on(
            &self.store,
            session::stream,
            id,
            &caller,
            command,
            Session::confirm_hosting,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn decline_hosting(&self, request: Request<pb::DeclineHostingRequest>) -> Reply {
        let (caller, command) = parse::<_, DeclineHosting>(request)?;
        let id = command.session_id;
        record_on(
            &self.store,
            session::stream,
            id,
            &caller,
            command,
            Session::decline_hosting,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn book_seat(&self, request: Request<pb::BookSeatRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let referral = Referral::from_booking(request.get_ref(), caller.derived_id("booking"))
            .map_err(invalid)?;
        self.refer(&caller, referral, Session::book_seat).await
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_booking(&self, request: Request<pb::CancelBookingRequest>) -> Reply {
        let (caller, command) = parse::<_, CancelBooking>(request)?;
        let id = command.session_id;
        reply(
            self.store
                .execute_consulting::<Session, _>(
                    &session::stream(&id),
                    &id.to_string(),
                    &caller,
                    Consults::Commissions,
                    |session, ctx| session.cancel_booking(command.clone(), ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn join_waitlist(&self, request: Request<pb::JoinWaitlistRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let referral = Referral::from_waitlist(request.get_ref(), caller.derived_id("booking"))
            .map_err(invalid)?;
        self.refer(&caller, referral, Session::join_waitlist).await
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_session(&self, request: Request<pb::CancelSessionRequest>) -> Reply {
        let (caller, command) = parse::<_, CancelSession>(request)?;
        let id = command.session_id;
        record_on(
            &self.store,
            session::stream,
            id,
            &caller,
            command,
            Session::cancel,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn record_attendance(&self, request: Request<pb::RecordAttendanceRequest>) -> Reply {
        let (caller, command) = parse::<_, RecordAttendance>(request)?;
        let id = command.session_id;
        record_on(
            &self.store,
            session::stream,
            id,
            &caller,
            command,
            Session::record_attendance,
        )
        .await
    }
}
