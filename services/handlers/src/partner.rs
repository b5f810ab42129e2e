//! `PartnerService`: community sessions, their hosting, bookings, waitlist and attendance.
//! Each handler takes the caller from the request (checked by the auth layer), converts
//! the request, and records the command on the session's stream through the [`Store`];
//! the domain ([`domain::session`]) decides.
//!
//! The booking race needs nothing here: the store decides one command per stream at a
//! time in this process and appends with the version it decided on, so a booking that
//! lost to another (here or in another process) is decided again on the new state and
//! told the session is full.

use std::sync::Arc;

use domain::session::{self, Referral, ScheduleSession, Session};
use domain::values;
use proto::v1::partner_service_server::PartnerService;
use proto::v1::{self as pb, CommandResult};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::handler::{Reply, caller, invalid, reply};
use crate::store::{Caller, Store};

#[derive(Debug, Clone)]
pub struct Partner {
    store: Arc<Store>,
}

impl Partner {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// Records a command on the existing session `id`.
    async fn on_session<F>(&self, id: Uuid, caller: &Caller, decide: F) -> Reply
    where
        F: Fn(&Session, &domain::Context) -> domain::error::Result<Vec<session::SessionEvent>>,
    {
        reply(
            self.store
                .execute::<Session, _>(&session::stream(&id), &id.to_string(), caller, decide)
                .await,
        )
    }
}

/// The session a request names.
fn session_id(text: &str) -> Result<Uuid, Status> {
    values::id("session_id", text).map_err(invalid)
}

/// The reply to a command that created a booking: the result, with the booking reference
/// (chosen by the client or derived from its request id, so a re-send gets the same one).
fn with_reference(reply: Reply, reference: String) -> Reply {
    reply.map(|response| {
        Response::new(CommandResult {
            created_id: reference,
            ..response.into_inner()
        })
    })
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
        let command = ScheduleSession::new(body).map_err(invalid)?;
        self.on_session(id, &caller, |s, ctx| s.schedule(id, command.clone(), ctx))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_hosting(&self, request: Request<pb::ConfirmHostingRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        self.on_session(id, &caller, |s, ctx| s.confirm_hosting(body.clone(), ctx))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn decline_hosting(&self, request: Request<pb::DeclineHostingRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        self.on_session(id, &caller, |s, ctx| s.decline_hosting(body.clone(), ctx))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn book_seat(&self, request: Request<pb::BookSeatRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        let referral =
            Referral::from_booking(&body, caller.derived_id("booking")).map_err(invalid)?;
        let reference = referral.booking_reference.clone();
        let result = self
            .on_session(id, &caller, |s, ctx| s.book_seat(id, referral.clone(), ctx))
            .await;
        with_reference(result, reference)
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_booking(&self, request: Request<pb::CancelBookingRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        self.on_session(id, &caller, |s, ctx| s.cancel_booking(body.clone(), ctx))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn join_waitlist(&self, request: Request<pb::JoinWaitlistRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        let referral =
            Referral::from_waitlist(&body, caller.derived_id("booking")).map_err(invalid)?;
        let reference = referral.booking_reference.clone();
        let result = self
            .on_session(id, &caller, |s, ctx| {
                s.join_waitlist(id, referral.clone(), ctx)
            })
            .await;
        with_reference(result, reference)
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_session(&self, request: Request<pb::CancelSessionRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        self.on_session(id, &caller, |s, ctx| s.cancel(body.clone(), ctx))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn record_attendance(&self, request: Request<pb::RecordAttendanceRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = session_id(&body.session_id)?;
        self.on_session(id, &caller, |s, ctx| s.record_attendance(body.clone(), ctx))
            .await
    }
}
