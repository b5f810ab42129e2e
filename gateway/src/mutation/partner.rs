//! Mutations of `PartnerService`: community sessions, their hosts, bookings that never
//! overbook, the waitlist, and attendance.

use crate::services::DomainEndpoints;
use crate::vocabulary::{AccessNeed, DigitalService, PatientGroup};

mutations! {
    /// Commands of partner coordinators, host practices and referrers.
    PartnerMutations, DomainEndpoints::partner {
        /// Puts a community session in the diary: who runs it, where (a host practice or a
        /// community venue), when, how many places, what people get help with, in which
        /// languages, and what access it offers.
        schedule_session(ScheduleSessionInput);
        /// Records that your practice agrees to host a session.
        confirm_hosting(ConfirmHostingInput);
        /// Records that your practice will not host a session, and why.
        decline_hosting(DeclineHostingInput);
        /// Books places on a session for someone you referred: a count of places and their
        /// needs, never a name. Fails with CONFLICT when the places do not fit (join the
        /// waitlist instead) or the session is cancelled or over.
        book_seat(BookSeatInput);
        /// Cancels a booking or a place on the waitlist. Places freed go to the head of the
        /// waitlist.
        cancel_booking(CancelBookingInput);
        /// Puts someone you referred on a full session's waitlist, in order of joining.
        join_waitlist(JoinWaitlistInput);
        /// Calls off a session, and why; its bookings and waitlist lapse with it.
        cancel_session(CancelSessionInput);
        /// Records who came to a session and what they achieved, as counts. Recording again
        /// replaces the earlier record.
        record_attendance(RecordAttendanceInput);
    }
}

command_input! {
    /// A new community session. It takes place either at a host practice or at a community
    /// venue (name and postcode district).
    ScheduleSessionInput => ScheduleSessionRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        session_id: Option<String>,
        /// The partner running it, e.g. `P-digital-leeds`.
        partner_code: String,
        /// The ICB whose patients it serves.
        icb_code: String,
        /// The practice hosting it; left out at a community venue.
        host_practice_code: Option<String>,
        /// The community venue, e.g. `Hyde Park library`.
        venue_name: Option<String>,
        /// The venue's outward postcode only, e.g. `LS6`; never a full postcode.
        venue_postcode_district: Option<String>,
        /// RFC 3339 UTC, in the future, e.g. `2026-04-14T10:00:00Z`.
        starts_at: String,
        /// RFC 3339 UTC, after `startsAt`.
        ends_at: String,
        /// Places available to book (at least 1).
        capacity: i32,
        /// The services people get help with (at least one).
        topics: Vec<DigitalService>,
        /// BCP-47 codes the session is run in (e.g. `en`, `pl`, `ur`); empty means English only.
        #[graphql(default)]
        languages: Vec<String>,
        /// What the venue and partner provide.
        #[graphql(default)]
        accessibility: Vec<AccessNeed>,
        /// Who the session is aimed at; empty means everyone.
        #[graphql(default)]
        target_groups: Vec<PatientGroup>,
        title: String,
        description: Option<String>,
        /// The commissioner that funds it (e.g. the ICB's code); left out when the partner
        /// runs it on its own account.
        commissioner_code: Option<String>,
    }
}

command_input! {
    /// A host practice's yes.
    ConfirmHostingInput => ConfirmHostingRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        /// Free text, e.g. which room; must not identify a patient.
        note: Option<String>,
    }
}

command_input! {
    /// A host practice's no.
    DeclineHostingInput => DeclineHostingRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        /// Why; free text, must not identify a patient.
        reason: String,
    }
}

command_input! {
    /// Places for a referred person.
    BookSeatInput => BookSeatRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        /// A UUID of your choosing; generated (and returned as `createdId`) when left out.
        booking_reference: Option<String>,
        /// Who referred the person: usually a practice; the partner's own code for
        /// self-referrals.
        referring_organisation_code: String,
        /// The person plus anyone coming with them (at least 1).
        places: i32,
        /// BCP-47 code of the interpreter needed; left out when none.
        interpreter_language: Option<String>,
        #[graphql(default)]
        access_needs: Vec<AccessNeed>,
    }
}

command_input! {
    /// A booking or waitlist place to cancel.
    CancelBookingInput => CancelBookingRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        booking_reference: String,
        /// Free text; must not identify a patient.
        reason: Option<String>,
    }
}

command_input! {
    /// A referral waiting for places.
    JoinWaitlistInput => JoinWaitlistRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        /// A UUID of your choosing, kept when the booking is promoted; generated (and
        /// returned as `createdId`) when left out.
        booking_reference: Option<String>,
        referring_organisation_code: String,
        /// At least 1.
        places: i32,
        /// BCP-47 code of the interpreter needed; left out when none.
        interpreter_language: Option<String>,
        #[graphql(default)]
        access_needs: Vec<AccessNeed>,
    }
}

command_input! {
    /// A session called off.
    CancelSessionInput => CancelSessionRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        /// Why; free text, must not identify a patient.
        reason: String,
    }
}

command_input! {
    /// What happened at a session, as counts.
    RecordAttendanceInput => RecordAttendanceRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        session_id: String,
        /// People who came, walk-ins included.
        attended: i32,
        /// Booked places nobody took up.
        #[graphql(default)]
        no_shows: i32,
        /// People who came without a booking.
        #[graphql(default)]
        walk_ins: i32,
        /// Of those who came, how many are now registered for the NHS App.
        #[graphql(default)]
        registered_for_nhs_app: i32,
        /// Of those who came, how many did a task online (ordered, booked, asked).
        #[graphql(default)]
        completed_task_online: i32,
        /// Of those who came, how many were referred on to a further session.
        #[graphql(default)]
        referred_to_community_session: i32,
        /// Of those who came, how many did not want help in the end.
        #[graphql(default)]
        declined_help: i32,
        /// Of those who came, how many now have a carer or relative acting for them online.
        #[graphql(default)]
        set_up_proxy_access: i32,
        /// Free text; must not identify a patient.
        notes: Option<String>,
    }
}
