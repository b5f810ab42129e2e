//! Mutations of `PartnerService`: community sessions, their hosts, bookings that never
//! overbook, the waitlist, and attendance.

use async_graphql::{Context, InputObject, Object};
use difacto_proto::v1 as pb;

use super::{IntoRequest, MutationResult, count, forward};
use crate::error::GatewayError;
use crate::services::DomainEndpoints;
use crate::vocabulary::{AccessNeed, DigitalService, PatientGroup, to_proto_list};

/// Commands of partner coordinators, host practices and referrers.
#[derive(Debug, Default)]
pub struct PartnerMutations;

#[Object]
impl PartnerMutations {
    /// Puts a community session in the diary: who runs it, where (a host practice or a
    /// community venue), when, how many places, what people get help with, in which
    /// languages, and what access it offers.
    async fn schedule_session(
        &self,
        ctx: &Context<'_>,
        input: ScheduleSessionInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.schedule_session(r).await },
        )
        .await
    }

    /// Records that your practice agrees to host a session.
    async fn confirm_hosting(
        &self,
        ctx: &Context<'_>,
        input: ConfirmHostingInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.confirm_hosting(r).await },
        )
        .await
    }

    /// Records that your practice will not host a session, and why.
    async fn decline_hosting(
        &self,
        ctx: &Context<'_>,
        input: DeclineHostingInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.decline_hosting(r).await },
        )
        .await
    }

    /// Books places on a session for someone you referred: a count of places and their
    /// needs, never a name. Fails with CONFLICT when the places do not fit (join the
    /// waitlist instead) or the session is cancelled or over.
    async fn book_seat(&self, ctx: &Context<'_>, input: BookSeatInput) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.book_seat(r).await },
        )
        .await
    }

    /// Cancels a booking or a place on the waitlist. Places freed go to the head of the
    /// waitlist.
    async fn cancel_booking(&self, ctx: &Context<'_>, input: CancelBookingInput) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.cancel_booking(r).await },
        )
        .await
    }

    /// Puts someone you referred on a full session's waitlist, in order of joining.
    async fn join_waitlist(&self, ctx: &Context<'_>, input: JoinWaitlistInput) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.join_waitlist(r).await },
        )
        .await
    }

    /// Calls off a session, and why; its bookings and waitlist lapse with it.
    async fn cancel_session(&self, ctx: &Context<'_>, input: CancelSessionInput) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.cancel_session(r).await },
        )
        .await
    }

    /// Records who came to a session and what they achieved, as counts. Recording again
    /// replaces the earlier record.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordAttendanceInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::partner,
            |mut c, r| async move { c.record_attendance(r).await },
        )
        .await
    }
}

/// A new community session. It takes place either at a host practice or at a community
/// venue (name and postcode district).
#[derive(Debug, InputObject)]
pub struct ScheduleSessionInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub session_id: Option<String>,
    /// The partner running it, e.g. `P-digital-leeds`.
    pub partner_code: String,
    /// The ICB whose patients it serves.
    pub icb_code: String,
    /// The practice hosting it; left out at a community venue.
    pub host_practice_code: Option<String>,
    /// The community venue, e.g. `Hyde Park library`.
    pub venue_name: Option<String>,
    /// The venue's outward postcode only, e.g. `LS6`; never a full postcode.
    pub venue_postcode_district: Option<String>,
    /// RFC 3339 UTC, in the future, e.g. `2026-04-14T10:00:00Z`.
    pub starts_at: String,
    /// RFC 3339 UTC, after `startsAt`.
    pub ends_at: String,
    /// Places available to book (at least 1).
    pub capacity: i32,
    /// The services people get help with (at least one).
    pub topics: Vec<DigitalService>,
    /// BCP-47 codes the session is run in (e.g. `en`, `pl`, `ur`); empty means English only.
    #[graphql(default)]
    pub languages: Vec<String>,
    /// What the venue and partner provide.
    #[graphql(default)]
    pub accessibility: Vec<AccessNeed>,
    /// Who the session is aimed at; empty means everyone.
    #[graphql(default)]
    pub target_groups: Vec<PatientGroup>,
    pub title: String,
    pub description: Option<String>,
    /// The commissioner that funds it (e.g. the ICB's code); left out when the partner
    /// runs it on its own account.
    pub commissioner_code: Option<String>,
}

impl IntoRequest for ScheduleSessionInput {
    type Request = pb::ScheduleSessionRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ScheduleSessionRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id.unwrap_or_default(),
            partner_code: self.partner_code,
            icb_code: self.icb_code,
            host_practice_code: self.host_practice_code.unwrap_or_default(),
            venue_name: self.venue_name.unwrap_or_default(),
            venue_postcode_district: self.venue_postcode_district.unwrap_or_default(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            capacity: count("capacity", self.capacity)?,
            topics: to_proto_list(&self.topics),
            languages: self.languages,
            accessibility: to_proto_list(&self.accessibility),
            target_groups: to_proto_list(&self.target_groups),
            title: self.title,
            description: self.description.unwrap_or_default(),
            commissioner_code: self.commissioner_code.unwrap_or_default(),
        })
    }
}

/// A host practice's yes.
#[derive(Debug, InputObject)]
pub struct ConfirmHostingInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    /// Free text, e.g. which room; must not identify a patient.
    pub note: Option<String>,
}

impl IntoRequest for ConfirmHostingInput {
    type Request = pb::ConfirmHostingRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ConfirmHostingRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            note: self.note.unwrap_or_default(),
        })
    }
}

/// A host practice's no.
#[derive(Debug, InputObject)]
pub struct DeclineHostingInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    /// Why; free text, must not identify a patient.
    pub reason: String,
}

impl IntoRequest for DeclineHostingInput {
    type Request = pb::DeclineHostingRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::DeclineHostingRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            reason: self.reason,
        })
    }
}

/// Places for a referred person.
#[derive(Debug, InputObject)]
pub struct BookSeatInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    /// A UUID of your choosing; generated (and returned as `createdId`) when left out.
    pub booking_reference: Option<String>,
    /// Who referred the person: usually a practice; the partner's own code for
    /// self-referrals.
    pub referring_organisation_code: String,
    /// The person plus anyone coming with them (at least 1).
    pub places: i32,
    /// BCP-47 code of the interpreter needed; left out when none.
    pub interpreter_language: Option<String>,
    #[graphql(default)]
    pub access_needs: Vec<AccessNeed>,
}

impl IntoRequest for BookSeatInput {
    type Request = pb::BookSeatRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::BookSeatRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            booking_reference: self.booking_reference.unwrap_or_default(),
            referring_organisation_code: self.referring_organisation_code,
            places: count("places", self.places)?,
            interpreter_language: self.interpreter_language.unwrap_or_default(),
            access_needs: to_proto_list(&self.access_needs),
        })
    }
}

/// A booking or waitlist place to cancel.
#[derive(Debug, InputObject)]
pub struct CancelBookingInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    pub booking_reference: String,
    /// Free text; must not identify a patient.
    pub reason: Option<String>,
}

impl IntoRequest for CancelBookingInput {
    type Request = pb::CancelBookingRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::CancelBookingRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            booking_reference: self.booking_reference,
            reason: self.reason.unwrap_or_default(),
        })
    }
}

/// A referral waiting for places.
#[derive(Debug, InputObject)]
pub struct JoinWaitlistInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    /// A UUID of your choosing, kept when the booking is promoted; generated (and
    /// returned as `createdId`) when left out.
    pub booking_reference: Option<String>,
    pub referring_organisation_code: String,
    /// At least 1.
    pub places: i32,
    /// BCP-47 code of the interpreter needed; left out when none.
    pub interpreter_language: Option<String>,
    #[graphql(default)]
    pub access_needs: Vec<AccessNeed>,
}

impl IntoRequest for JoinWaitlistInput {
    type Request = pb::JoinWaitlistRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::JoinWaitlistRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            booking_reference: self.booking_reference.unwrap_or_default(),
            referring_organisation_code: self.referring_organisation_code,
            places: count("places", self.places)?,
            interpreter_language: self.interpreter_language.unwrap_or_default(),
            access_needs: to_proto_list(&self.access_needs),
        })
    }
}

/// A session called off.
#[derive(Debug, InputObject)]
pub struct CancelSessionInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    /// Why; free text, must not identify a patient.
    pub reason: String,
}

impl IntoRequest for CancelSessionInput {
    type Request = pb::CancelSessionRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::CancelSessionRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            reason: self.reason,
        })
    }
}

/// What happened at a session, as counts.
#[derive(Debug, InputObject)]
pub struct RecordAttendanceInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub session_id: String,
    /// People who came, walk-ins included.
    pub attended: i32,
    /// Booked places nobody took up.
    #[graphql(default)]
    pub no_shows: i32,
    /// People who came without a booking.
    #[graphql(default)]
    pub walk_ins: i32,
    /// Of those who came, how many are now registered for the NHS App.
    #[graphql(default)]
    pub registered_for_nhs_app: i32,
    /// Of those who came, how many did a task online (ordered, booked, asked).
    #[graphql(default)]
    pub completed_task_online: i32,
    /// Of those who came, how many were referred on to a further session.
    #[graphql(default)]
    pub referred_to_community_session: i32,
    /// Of those who came, how many did not want help in the end.
    #[graphql(default)]
    pub declined_help: i32,
    /// Of those who came, how many now have a carer or relative acting for them online.
    #[graphql(default)]
    pub set_up_proxy_access: i32,
    /// Free text; must not identify a patient.
    pub notes: Option<String>,
}

impl IntoRequest for RecordAttendanceInput {
    type Request = pb::RecordAttendanceRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::RecordAttendanceRequest {
            request_id: self.request_id.unwrap_or_default(),
            session_id: self.session_id,
            attended: count("attended", self.attended)?,
            no_shows: count("noShows", self.no_shows)?,
            walk_ins: count("walkIns", self.walk_ins)?,
            registered_for_nhs_app: count("registeredForNhsApp", self.registered_for_nhs_app)?,
            completed_task_online: count("completedTaskOnline", self.completed_task_online)?,
            referred_to_community_session: count(
                "referredToCommunitySession",
                self.referred_to_community_session,
            )?,
            declined_help: count("declinedHelp", self.declined_help)?,
            set_up_proxy_access: count("setUpProxyAccess", self.set_up_proxy_access)?,
            notes: self.notes.unwrap_or_default(),
        })
    }
}
