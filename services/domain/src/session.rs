//! Community sessions (stream `session-<id>`): a partner schedules a session at a host
//! practice or a community venue, the host practice confirms or declines, practices (and
//! the partner) book places for the people they refer, a waitlist takes the rest, and the
//! partner records attendance as counts.
//!
//! Every event of a session is on its one stream, so the rule that matters most — a
//! session never holds more confirmed places than its capacity — is decided against the
//! whole state: concurrent bookings race on the stream's version (the store appends with
//! the version it decided on) and the losers are told the session is full.
//!
//! The lifecycle, as the commands below enforce it:
//!
//! - **Hosting** (sessions at a host practice only): `Pending` after scheduling, then
//!   `Confirmed` or `Declined` once; neither can be undone or repeated (a practice that can
//!   no longer host asks the partner to cancel or reschedule). Bookings are taken while
//!   hosting is pending or confirmed, not once it is declined: there is nowhere to send
//!   people.
//! - **Bookings**: a booking is confirmed (`SeatBooked`) only if its places fit what is
//!   left; otherwise the caller may join the waitlist. The waitlist is kept in order of
//!   joining and is promoted *first fit*: whenever places are freed, every waiting
//!   referral that fits, from the head, is confirmed in the same append
//!   (`WaitlistPromoted`). Joining is allowed whether or not the session is full (a
//!   caller told "full" must not be refused because a place freed a moment later); if the
//!   places fit and nobody waits ahead who fits, the join is confirmed at once. So after
//!   every command no waiting referral fits the free places, and a new booking never
//!   overtakes a waiting one that would fit.
//! - **Cancellation** of the session is final: afterwards every command on it is refused.
//! - **Attendance** may be recorded once the session has started, and again to correct
//!   it (the latest record replaces the earlier one). After the session has ended, it
//!   takes no bookings, waitlist places, cancellations or hosting answers.
//!
//! Booking references are the only handle on a booking: a client-chosen reference
//! (`[A-Za-z0-9-]{4,40}`, checked like free text so that an NHS number cannot be used as
//! one), or a UUID the service derives from the request id, so a re-sent request gets the
//! same reference back. A reference is never reused on a session, even after cancelling.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use proto::v1::{
    AccessNeed, AttendanceRecorded, BookSeatRequest, BookingCancelled, CancelBookingRequest,
    CancelSessionRequest, ConfirmHostingRequest, DeclineHostingRequest, DigitalService,
    HostingConfirmed, HostingDeclined, JoinWaitlistRequest, OrganisationKind, PatientGroup,
    RecordAttendanceRequest, ScheduleSessionRequest, SeatBooked, SessionCancelled,
    SessionScheduled, WaitlistJoined, WaitlistPromoted,
};
use regex::Regex;
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::policy::{Party, Targets};
use crate::practice::Outcomes;
use crate::privacy;
use crate::values;
use crate::values::parsed;

crate::event_set! {
    /// Every event of a session's stream. `SessionScheduled` is much larger than the
    /// rest; events are short-lived values (decided, encoded, folded), so boxing it would
    /// cost clarity in every match for no measurable gain.
    #[allow(clippy::large_enum_variant)]
    pub enum SessionEvent {
        SessionScheduled,
        HostingConfirmed,
        HostingDeclined,
        SeatBooked,
        BookingCancelled,
        WaitlistJoined,
        WaitlistPromoted,
        SessionCancelled,
        AttendanceRecorded,
    }
}

/// The stream holding every event of session `id`: the unit a booking race is decided on.
pub fn stream(id: &Uuid) -> String {
    format!("session-{id}")
}

/// The most places one session offers: a large community hall, not a conference.
pub const MAX_CAPACITY: u32 = 500;
/// The most places one booking takes: a person and the people coming with them.
pub const MAX_PLACES: u32 = 10;
/// The longest session: a day's drop-in, not a multi-day event.
pub const MAX_DURATION: TimeDelta = TimeDelta::hours(12);
/// Languages one session may list; more is a data error, not a session.
const MAX_LANGUAGES: usize = 20;
/// Walk-ins one attendance record may count; a bound against typos, far above any hall.
const MAX_WALK_INS: u32 = 1000;
const MAX_TEXT: usize = 1000;

#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    // The patterns are constants; a bad one is a programming error caught by the tests.
    Regex::new(pattern).expect("a valid session pattern")
}

/// The outward part of a postcode only: `LS6`, `M1`, `EC1A`; never the inward `2AB`.
static POSTCODE_DISTRICT: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$"));
/// A client-chosen booking reference.
static BOOKING_REFERENCE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9-]{4,40}$"));

/// Where a session's hosting stands (see the module documentation for the transitions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Hosting {
    /// At a community venue: there is no host practice to answer.
    #[default]
    Venue,
    /// At a host practice that has not answered yet.
    Pending,
    Confirmed,
    Declined,
}

/// A booking, confirmed or waiting: a reference, who referred, how many places, and the
/// needs to meet; never a person.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub reference: String,
    pub referring_organisation_code: String,
    pub places: u32,
    pub interpreter_language: String,
    pub access_needs: Vec<i32>,
}

#[derive(Default, Clone, Debug, PartialEq)]
pub struct Session {
    pub id: Option<Uuid>,
    pub partner_code: String,
    pub icb_code: String,
    /// Empty for a session at a community venue.
    pub host_practice_code: String,
    pub venue_name: String,
    pub venue_postcode_district: String,
    /// Empty when the partner runs the session on its own account.
    pub commissioner_code: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
    pub title: String,
    /// `DigitalService` values as recorded, for matching against commissions.
    pub topics: Vec<i32>,
    pub hosting: Hosting,
    pub cancelled: bool,
    /// The latest attendance record, which replaces any earlier one.
    pub attendance: Option<AttendanceRecorded>,
    /// Confirmed bookings, in the order they were confirmed.
    confirmed: Vec<Booking>,
    /// Waiting bookings, in the order they joined.
    waitlist: Vec<Booking>,
    /// Every reference ever used on this session, with its referring organisation, so
    /// that a reference is never reused and a cancelled one is told apart from an unknown.
    referrers: BTreeMap<String, String>,
}

fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_instant(text: &str) -> DateTime<Utc> {
    // Recorded events were validated when they were decided; a damaged one folds as the
    // epoch rather than failing the whole stream.
    DateTime::parse_from_rfc3339(text).map_or_else(|_| DateTime::default(), |t| t.to_utc())
}

impl Aggregate for Session {
    type Event = SessionEvent;

    fn apply(&mut self, event: &SessionEvent) {
        match event {
            SessionEvent::SessionScheduled(e) => {
                *self = Self {
                    id: Uuid::try_parse(&e.session_id).ok(),
                    partner_code: e.partner_code.clone(),
                    icb_code: e.icb_code.clone(),
                    host_practice_code: e.host_practice_code.clone(),
                    venue_name: e.venue_name.clone(),
                    venue_postcode_district: e.venue_postcode_district.clone(),
                    commissioner_code: e.commissioner_code.clone(),
                    starts_at: parse_instant(&e.starts_at),
                    ends_at: parse_instant(&e.ends_at),
                    capacity: e.capacity,
                    title: e.title.clone(),
                    topics: e.topics.clone(),
                    hosting: if e.host_practice_code.is_empty() {
                        Hosting::Venue
                    } else {
                        Hosting::Pending
                    },
                    ..Self::default()
                };
            }
            SessionEvent::HostingConfirmed(_) => self.hosting = Hosting::Confirmed,
            SessionEvent::HostingDeclined(_) => self.hosting = Hosting::Declined,
            SessionEvent::SeatBooked(e) => {
                self.referrers.insert(
                    e.booking_reference.clone(),
                    e.referring_organisation_code.clone(),
                );
                self.confirmed.push(Booking {
                    reference: e.booking_reference.clone(),
                    referring_organisation_code: e.referring_organisation_code.clone(),
                    places: e.places,
                    interpreter_language: e.interpreter_language.clone(),
                    access_needs: e.access_needs.clone(),
                });
            }
            SessionEvent::WaitlistJoined(e) => {
                self.referrers.insert(
                    e.booking_reference.clone(),
                    e.referring_organisation_code.clone(),
                );
                self.waitlist.push(Booking {
                    reference: e.booking_reference.clone(),
                    referring_organisation_code: e.referring_organisation_code.clone(),
                    places: e.places,
                    interpreter_language: e.interpreter_language.clone(),
                    access_needs: e.access_needs.clone(),
                });
            }
            SessionEvent::WaitlistPromoted(e) => {
                if let Some(i) = position(&self.waitlist, &e.booking_reference) {
                    let booking = self.waitlist.remove(i);
                    self.confirmed.push(booking);
                }
            }
            SessionEvent::BookingCancelled(e) => {
                if let Some(i) = position(&self.confirmed, &e.booking_reference) {
                    self.confirmed.remove(i);
                } else if let Some(i) = position(&self.waitlist, &e.booking_reference) {
                    self.waitlist.remove(i);
                }
            }
            SessionEvent::SessionCancelled(_) => self.cancelled = true,
            SessionEvent::AttendanceRecorded(e) => self.attendance = Some(e.clone()),
        }
    }
}

fn position(bookings: &[Booking], reference: &str) -> Option<usize> {
    bookings.iter().position(|b| b.reference == reference)
}

/// What the views and the gateway read.
impl Session {
    /// Places confirmed: never more than [`Session::capacity`].
    pub fn confirmed_places(&self) -> u32 {
        self.confirmed.iter().map(|b| b.places).sum()
    }

    /// Places still free to book.
    pub fn remaining_places(&self) -> u32 {
        self.capacity.saturating_sub(self.confirmed_places())
    }

    /// Confirmed bookings, in the order they were confirmed.
    pub fn confirmed(&self) -> &[Booking] {
        &self.confirmed
    }

    /// Waiting bookings, head first (in the order they joined).
    pub fn waitlist(&self) -> &[Booking] {
        &self.waitlist
    }

    /// Places asked for by the waitlist.
    pub fn waiting_places(&self) -> u32 {
        self.waitlist.iter().map(|b| b.places).sum()
    }

    /// A live booking (confirmed or waiting) by reference.
    pub fn booking(&self, reference: &str) -> Option<&Booking> {
        self.confirmed
            .iter()
            .chain(&self.waitlist)
            .find(|b| b.reference == reference)
    }

    /// Whether `now` is at or after the end.
    pub fn has_ended(&self, now: DateTime<Utc>) -> bool {
        self.id.is_some() && self.ends_at <= now
    }

    /// The waiting bookings that `free` places take, first fit from the head.
    fn promotions(&self, mut free: u32) -> Vec<&Booking> {
        let mut promoted = Vec::new();
        for booking in &self.waitlist {
            if booking.places <= free {
                free -= booking.places;
                promoted.push(booking);
            }
        }
        promoted
    }
}

/// Where a session takes place: exactly one of a host practice or a community venue.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    HostPractice(String),
    Venue {
        name: String,
        postcode_district: String,
    },
}

/// `ScheduleSession`, parsed: every check that needs no state. The session's id is the
/// client's or derived by the service.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSession {
    pub partner_code: String,
    pub icb_code: String,
    pub place: Place,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
    pub topics: Vec<DigitalService>,
    pub languages: Vec<String>,
    pub accessibility: Vec<AccessNeed>,
    pub target_groups: Vec<PatientGroup>,
    pub title: String,
    pub description: String,
    pub commissioner_code: String,
}

fn optional_language(field: &str, text: &str) -> Result<String> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    values::language_tag(field, text)
}

fn place(request: &ScheduleSessionRequest) -> Result<Place> {
    let host = request.host_practice_code.trim();
    let name = request.venue_name.trim();
    let district = request.venue_postcode_district.trim();
    match (host.is_empty(), name.is_empty() && district.is_empty()) {
        (false, false) => Err(DomainError::invalid(
            "host_practice_code",
            "give either a host practice or a venue, not both",
        )),
        (true, true) => Err(DomainError::invalid(
            "host_practice_code",
            "is required unless the session is at a venue (venue_name and venue_postcode_district)",
        )),
        (false, true) => {
            let host = codes::reference("host_practice_code", host)?;
            codes::check("host_practice_code", &host, OrganisationKind::Practice)?;
            Ok(Place::HostPractice(host))
        }
        (true, false) => {
            let name = values::text("venue_name", name, 200)?;
            let district = district.to_uppercase();
            if district.is_empty() {
                return Err(DomainError::invalid(
                    "venue_postcode_district",
                    "is required for a venue (the outward part of its postcode, e.g. LS6)",
                ));
            }
            if !POSTCODE_DISTRICT.is_match(&district) {
                return Err(DomainError::invalid(
                    "venue_postcode_district",
                    "must be the outward part of a postcode only, e.g. LS6; never a full postcode",
                ));
            }
            Ok(Place::Venue {
                name,
                postcode_district: district,
            })
        }
    }
}

impl TryFrom<ScheduleSessionRequest> for ScheduleSession {
    type Error = DomainError;
    /// Shape checks that need neither the tree nor the clock.
    fn try_from(request: ScheduleSessionRequest) -> Result<Self> {
        let partner_code = codes::reference("partner_code", &request.partner_code)?;
        let icb_code = codes::reference("icb_code", &request.icb_code)?;
        let place = place(&request)?;
        let starts_at = values::instant("starts_at", &request.starts_at)?;
        let ends_at = values::instant("ends_at", &request.ends_at)?;
        if ends_at <= starts_at {
            return Err(DomainError::invalid("ends_at", "must be after starts_at"));
        }
        if ends_at - starts_at > MAX_DURATION {
            return Err(DomainError::invalid(
                "ends_at",
                format!("a session lasts at most {} hours", MAX_DURATION.num_hours()),
            ));
        }
        let capacity = values::count("capacity", request.capacity, false, MAX_CAPACITY)?;
        let topics = values::known_enums("topics", &request.topics, true)?;
        if request.languages.len() > MAX_LANGUAGES {
            return Err(DomainError::invalid(
                "languages",
                format!("lists more than {MAX_LANGUAGES} languages"),
            ));
        }
        let mut languages: Vec<String> = Vec::with_capacity(request.languages.len());
        for (i, tag) in request.languages.iter().enumerate() {
            let field = format!("languages[{i}]");
            let tag = values::language_tag(&field, tag)?;
            if languages.contains(&tag) {
                return Err(DomainError::invalid(
                    field,
                    format!("{tag} is listed twice"),
                ));
            }
            languages.push(tag);
        }
        let commissioner_code = if request.commissioner_code.trim().is_empty() {
            String::new()
        } else {
            codes::reference("commissioner_code", &request.commissioner_code)?
        };
        Ok(Self {
            partner_code,
            icb_code,
            place,
            starts_at,
            ends_at,
            capacity,
            topics,
            languages,
            accessibility: values::known_enums("accessibility", &request.accessibility, false)?,
            target_groups: values::known_enums("target_groups", &request.target_groups, false)?,
            title: values::text("title", &request.title, 200)?,
            description: values::optional_text("description", &request.description, 4000)?,
            commissioner_code,
        })
    }
}

/// `BookSeat` or `JoinWaitlist`, parsed: a referral to a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub session_id: Uuid,
    pub booking_reference: String,
    pub referring_organisation_code: String,
    pub places: u32,
    pub interpreter_language: String,
    pub access_needs: Vec<AccessNeed>,
}

impl Referral {
    /// `generated` becomes the reference when the client left it empty; the service
    /// derives it from the request id so that a re-send gets the same one.
    pub fn new(
        session_id: &str,
        booking_reference: &str,
        generated: Uuid,
        referring_organisation_code: &str,
        places: u32,
        interpreter_language: &str,
        access_needs: &[i32],
    ) -> Result<Self> {
        let session_id = values::id("session_id", session_id)?;
        let reference = booking_reference.trim();
        let booking_reference = if reference.is_empty() {
            generated.to_string()
        } else {
            if !BOOKING_REFERENCE.is_match(reference) {
                return Err(DomainError::invalid(
                    "booking_reference",
                    "must be 4 to 40 letters, digits or hyphens (or empty, to have one generated)",
                ));
            }
            privacy::check_free_text("booking_reference", reference)?;
            reference.to_owned()
        };
        Ok(Self {
            session_id,
            booking_reference,
            referring_organisation_code: codes::reference(
                "referring_organisation_code",
                referring_organisation_code,
            )?,
            places: values::count("places", places, false, MAX_PLACES)?,
            interpreter_language: optional_language("interpreter_language", interpreter_language)?,
            access_needs: values::known_enums("access_needs", access_needs, false)?,
        })
    }

    /// `BookSeat`, with `generated` as the reference when the client chose none.
    pub fn from_booking(request: &BookSeatRequest, generated: Uuid) -> Result<Self> {
        Self::new(
            &request.session_id,
            &request.booking_reference,
            generated,
            &request.referring_organisation_code,
            request.places,
            &request.interpreter_language,
            &request.access_needs,
        )
    }

    /// `JoinWaitlist`, with `generated` as the reference when the client chose none.
    pub fn from_waitlist(request: &JoinWaitlistRequest, generated: Uuid) -> Result<Self> {
        Self::new(
            &request.session_id,
            &request.booking_reference,
            generated,
            &request.referring_organisation_code,
            request.places,
            &request.interpreter_language,
            &request.access_needs,
        )
    }

    fn needs(&self) -> Vec<i32> {
        self.access_needs.iter().copied().map(i32::from).collect()
    }
}

parsed! {
    /// `ConfirmHosting`, parsed.
    pub struct ConfirmHosting from ConfirmHostingRequest as request {
        session_id: Uuid = values::id("session_id", &request.session_id)?,
        note: String = values::optional_text("note", &request.note, MAX_TEXT)?,
    }
}

parsed! {
    /// `DeclineHosting`, parsed.
    pub struct DeclineHosting from DeclineHostingRequest as request {
        session_id: Uuid = values::id("session_id", &request.session_id)?,
        reason: String = values::text("reason", &request.reason, MAX_TEXT)?,
    }
}

/// `CancelBooking`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelBooking {
    pub session_id: Uuid,
    pub booking_reference: String,
    pub reason: String,
}

impl TryFrom<CancelBookingRequest> for CancelBooking {
    type Error = DomainError;
    fn try_from(request: CancelBookingRequest) -> Result<Self> {
        let session_id = values::id("session_id", &request.session_id)?;
        let reference = request.booking_reference.trim();
        if reference.is_empty() {
            return Err(DomainError::invalid("booking_reference", "is required"));
        }
        Ok(Self {
            session_id,
            booking_reference: reference.to_owned(),
            reason: values::optional_text("reason", &request.reason, MAX_TEXT)?,
        })
    }
}

parsed! {
    /// `CancelSession`, parsed.
    pub struct CancelSession from CancelSessionRequest as request {
        session_id: Uuid = values::id("session_id", &request.session_id)?,
        reason: String = values::text("reason", &request.reason, MAX_TEXT)?,
    }
}

parsed! {
    /// `RecordAttendance`, parsed. The counts are checked against the session's confirmed
    /// places when it is decided.
    pub struct RecordAttendance from RecordAttendanceRequest as request {
        session_id: Uuid = values::id("session_id", &request.session_id)?,
        attended: u32 = request.attended,
        no_shows: u32 = request.no_shows,
        walk_ins: u32 = request.walk_ins,
        outcomes: Outcomes = Outcomes {
            registered_for_nhs_app: request.registered_for_nhs_app,
            completed_task_online: request.completed_task_online,
            referred_to_community_session: request.referred_to_community_session,
            declined_help: request.declined_help,
            set_up_proxy_access: request.set_up_proxy_access,
        },
        notes: String = values::optional_text("notes", &request.notes, 2000)?,
    }
}

fn enums<E: Copy + Into<i32>>(values: &[E]) -> Vec<i32> {
    values.iter().map(|v| (*v).into()).collect()
}

/// The checks every command on an existing session starts with.
impl Session {
    /// This session's id, if it was scheduled.
    pub fn require_scheduled(&self, requested: &str) -> Result<Uuid> {
        self.id
            .ok_or_else(|| DomainError::not_found("session_id", "session", requested.trim()))
    }

    /// The organisations a command on this session concerns; none when it does not exist.
    fn parties<'a>(&'a self, requested: &str) -> Targets<'a> {
        Targets::on("session", requested)
            .with(Party::Target, &self.partner_code)
            .with(Party::Partner, &self.partner_code)
            .with(Party::SessionIcb, &self.icb_code)
    }

    /// Where the session is held, for placing it in the tree: its host practice, or its
    /// ICB for a community venue.
    pub fn place(&self) -> &str {
        if self.host_practice_code.is_empty() {
            &self.icb_code
        } else {
            &self.host_practice_code
        }
    }

    /// [`Session::parties`] with the partners whose commissions reach this session, who
    /// may refer the people they support to it.
    fn referral_parties<'a>(&'a self, requested: &str, ctx: &'a Context) -> Targets<'a> {
        let holders = ctx.commissions.holders(
            self.place(),
            self.starts_at.date_naive(),
            &self.topics,
            &self.commissioner_code,
            &ctx.registry,
        );
        holders.fold(self.parties(requested), |targets, holder| {
            targets.with(Party::CommissionHolder, holder)
        })
    }

    /// Refuses a session that is cancelled or over.
    fn require_live(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.require_not_cancelled(id)?;
        if self.has_ended(now) {
            return Err(DomainError::precondition(
                "session_id",
                format!("session {id} ended at {}", instant_text(self.ends_at)),
            ));
        }
        Ok(())
    }

    fn require_not_cancelled(&self, id: Uuid) -> Result<()> {
        if self.cancelled {
            return Err(DomainError::precondition(
                "session_id",
                format!("session {id} is cancelled"),
            ));
        }
        Ok(())
    }

    /// Refuses what cannot be booked on: a cancelled or past session, or one whose host
    /// practice declined to host it.
    fn require_bookable(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.require_live(id, now)?;
        if self.hosting == Hosting::Declined {
            return Err(DomainError::precondition(
                "session_id",
                format!(
                    "{} declined to host session {id}; the partner must cancel or reschedule it",
                    self.host_practice_code
                ),
            ));
        }
        Ok(())
    }

    /// The checks `BookSeat` and `JoinWaitlist` share, in the order a caller meets them.
    fn admit(&self, command: Command, referral: &Referral, ctx: &Context) -> Result<Uuid> {
        let id = referral.session_id;
        // Each role is judged on its own part: the partner on its session, a practice on
        // its own referral to a session of its ICB. Judged before the session is looked
        // up, so an outsider learns nothing of which sessions exist.
        ctx.authorize(
            command,
            &self
                .referral_parties(&id.to_string(), ctx)
                .with(Party::Referrer, &referral.referring_organisation_code),
        )?;
        let id = self.require_scheduled(&id.to_string())?;
        ctx.registry.require(
            "referring_organisation_code",
            &referral.referring_organisation_code,
            &[],
            ctx.today(),
        )?;
        self.require_bookable(id, ctx.now)?;
        if self.referrers.contains_key(&referral.booking_reference) {
            return Err(DomainError::exists(
                "booking_reference",
                "booking",
                &referral.booking_reference,
            ));
        }
        Ok(id)
    }
}

/// The commands.
impl Session {
    pub fn schedule(
        &self,
        id: Uuid,
        cmd: ScheduleSession,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let today = ctx.today();
        ctx.authorize(Command::ScheduleSession, &Targets::of(&cmd.partner_code))?;
        if self.id.is_some() {
            return Err(DomainError::exists("session_id", "session", id.to_string()));
        }
        if cmd.starts_at <= ctx.now {
            return Err(DomainError::invalid(
                "starts_at",
                format!("{} is in the past", instant_text(cmd.starts_at)),
            ));
        }
        // The partner acts now; the ICB and the host must exist as the tree will stand on
        // the day (a merger that takes effect before then counts).
        let on = cmd.starts_at.date_naive();
        ctx.registry.require(
            "partner_code",
            &cmd.partner_code,
            &[OrganisationKind::Partner],
            today,
        )?;
        ctx.registry
            .require("icb_code", &cmd.icb_code, &[OrganisationKind::Icb], on)?;
        if !cmd.commissioner_code.is_empty() {
            use OrganisationKind::*;
            ctx.registry.require(
                "commissioner_code",
                &cmd.commissioner_code,
                &[NationalBody, Region, Icb, SubIcb],
                today,
            )?;
        }
        let (host, venue_name, district) = match cmd.place {
            Place::HostPractice(host) => {
                ctx.registry.require(
                    "host_practice_code",
                    &host,
                    &[OrganisationKind::Practice],
                    on,
                )?;
                if !ctx.registry.is_within(&host, &cmd.icb_code, on) {
                    return Err(DomainError::invalid(
                        "host_practice_code",
                        format!("{host} is not within ICB {}", cmd.icb_code),
                    ));
                }
                (host, String::new(), String::new())
            }
            Place::Venue {
                name,
                postcode_district,
            } => (String::new(), name, postcode_district),
        };
        Ok(vec![
            SessionScheduled {
                session_id: id.to_string(),
                partner_code: cmd.partner_code,
                icb_code: cmd.icb_code,
                host_practice_code: host,
                venue_name,
                venue_postcode_district: district,
                starts_at: instant_text(cmd.starts_at),
                ends_at: instant_text(cmd.ends_at),
                capacity: cmd.capacity,
                topics: enums(&cmd.topics),
                languages: cmd.languages,
                accessibility: enums(&cmd.accessibility),
                target_groups: enums(&cmd.target_groups),
                title: cmd.title,
                description: cmd.description,
                commissioner_code: cmd.commissioner_code,
            }
            .into(),
        ])
    }

    /// The checks `ConfirmHosting` and `DeclineHosting` share.
    fn answer_hosting(&self, command: Command, requested: Uuid, ctx: &Context) -> Result<Uuid> {
        let requested = &requested.to_string();
        ctx.authorize(
            command,
            &Targets::on("session", requested).with(Party::Target, &self.host_practice_code),
        )?;
        let id = self.require_scheduled(requested)?;
        if self.hosting == Hosting::Venue {
            return Err(DomainError::precondition(
                "session_id",
                format!("session {id} is at a community venue; it has no host practice"),
            ));
        }
        self.require_live(id, ctx.now)?;
        match self.hosting {
            Hosting::Confirmed => Err(DomainError::precondition(
                "session_id",
                format!(
                    "{} already confirmed hosting session {id}",
                    self.host_practice_code
                ),
            )),
            Hosting::Declined => Err(DomainError::precondition(
                "session_id",
                format!(
                    "{} already declined hosting session {id}",
                    self.host_practice_code
                ),
            )),
            Hosting::Pending | Hosting::Venue => Ok(id),
        }
    }

    pub fn confirm_hosting(
        &self,
        command: ConfirmHosting,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let id = self.answer_hosting(Command::ConfirmHosting, command.session_id, ctx)?;
        Ok(vec![
            HostingConfirmed {
                session_id: id.to_string(),
                host_practice_code: self.host_practice_code.clone(),
                note: command.note,
            }
            .into(),
        ])
    }

    pub fn decline_hosting(
        &self,
        command: DeclineHosting,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let id = self.answer_hosting(Command::DeclineHosting, command.session_id, ctx)?;
        Ok(vec![
            HostingDeclined {
                session_id: id.to_string(),
                host_practice_code: self.host_practice_code.clone(),
                reason: command.reason,
            }
            .into(),
        ])
    }

    /// Confirms `referral`'s places if they fit; otherwise refuses on `places`, pointing
    /// to the waitlist. Whatever the concurrency, this decision is taken against the whole
    /// stream at the version the append then names.
    pub fn book_seat(&self, referral: Referral, ctx: &Context) -> Result<Vec<SessionEvent>> {
        let id = self.admit(Command::BookSeat, &referral, ctx)?;
        let remaining = self.remaining_places();
        if referral.places > remaining {
            return Err(DomainError::precondition(
                "places",
                format!(
                    "the session is full: {} places asked for, {remaining} of {} left; \
                     its waitlist is open (JoinWaitlist)",
                    referral.places, self.capacity
                ),
            ));
        }
        let access_needs = referral.needs();
        Ok(vec![
            SeatBooked {
                session_id: id.to_string(),
                booking_reference: referral.booking_reference,
                referring_organisation_code: referral.referring_organisation_code,
                places: referral.places,
                interpreter_language: referral.interpreter_language,
                access_needs,
            }
            .into(),
        ])
    }

    /// Puts `referral` at the end of the waitlist; if its places fit now (nobody waiting
    /// fits, see the module documentation), it is promoted in the same append.
    pub fn join_waitlist(&self, referral: Referral, ctx: &Context) -> Result<Vec<SessionEvent>> {
        let id = self.admit(Command::JoinWaitlist, &referral, ctx)?;
        let fits = referral.places <= self.remaining_places();
        let reference = referral.booking_reference.clone();
        let access_needs = referral.needs();
        let mut events: Vec<SessionEvent> = vec![
            WaitlistJoined {
                session_id: id.to_string(),
                booking_reference: referral.booking_reference,
                referring_organisation_code: referral.referring_organisation_code,
                places: referral.places,
                interpreter_language: referral.interpreter_language,
                access_needs,
            }
            .into(),
        ];
        if fits {
            events.push(
                WaitlistPromoted {
                    session_id: id.to_string(),
                    booking_reference: reference,
                }
                .into(),
            );
        }
        Ok(events)
    }

    /// Cancels a booking; a confirmed one frees its places, which promote the waitlist
    /// first fit from its head, in the same append.
    pub fn cancel_booking(
        &self,
        command: CancelBooking,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let reference = command.booking_reference.as_str();
        let requested = &command.session_id.to_string();
        // A booking is judged on whoever made it; one that does not exist was made by
        // nobody, which admits only the partner (who sees all its bookings) and services:
        // an outsider cannot tell a missing reference from another's.
        let referrer = self.referrers.get(reference).map_or("", String::as_str);
        ctx.authorize(
            Command::CancelBooking,
            &self
                .referral_parties(requested, ctx)
                .with(Party::Referrer, referrer),
        )?;
        let id = self.require_scheduled(requested)?;
        if referrer.is_empty() {
            return Err(DomainError::not_found(
                "booking_reference",
                "booking",
                reference,
            ));
        }
        self.require_live(id, ctx.now)?;
        let freed = if let Some(booking) = self.confirmed.iter().find(|b| b.reference == reference)
        {
            booking.places
        } else if self.waitlist.iter().any(|b| b.reference == reference) {
            0
        } else {
            return Err(DomainError::precondition(
                "booking_reference",
                format!("booking {reference} is already cancelled"),
            ));
        };
        let mut events: Vec<SessionEvent> = vec![
            BookingCancelled {
                session_id: id.to_string(),
                booking_reference: reference.to_owned(),
                reason: command.reason.clone(),
            }
            .into(),
        ];
        if freed > 0 {
            events.extend(
                self.promotions(self.remaining_places() + freed)
                    .into_iter()
                    .map(|b| {
                        SessionEvent::from(WaitlistPromoted {
                            session_id: id.to_string(),
                            booking_reference: b.reference.clone(),
                        })
                    }),
            );
        }
        Ok(events)
    }

    /// Calls the session off. Its bookings and waitlist lapse with it; the log keeps them.
    pub fn cancel(&self, command: CancelSession, ctx: &Context) -> Result<Vec<SessionEvent>> {
        let requested = &command.session_id.to_string();
        ctx.authorize(Command::CancelSession, &self.parties(requested))?;
        let id = self.require_scheduled(requested)?;
        self.require_live(id, ctx.now)?;
        if self.attendance.is_some() {
            return Err(DomainError::precondition(
                "session_id",
                format!("session {id} took place: its attendance is recorded"),
            ));
        }
        Ok(vec![
            SessionCancelled {
                session_id: id.to_string(),
                reason: command.reason,
            }
            .into(),
        ])
    }

    /// Records (or re-records) what happened, as counts that must add up against the
    /// confirmed places: the booked people who came plus the no-shows are at most the
    /// confirmed places, and every outcome counts at most the people who came.
    pub fn record_attendance(
        &self,
        command: RecordAttendance,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let requested = &command.session_id.to_string();
        ctx.authorize(Command::RecordAttendance, &self.parties(requested))?;
        let id = self.require_scheduled(requested)?;
        self.require_not_cancelled(id)?;
        if ctx.now < self.starts_at {
            return Err(DomainError::precondition(
                "session_id",
                format!(
                    "session {id} has not started yet (it starts at {})",
                    instant_text(self.starts_at)
                ),
            ));
        }
        let confirmed = self.confirmed_places();
        let walk_ins = values::count("walk_ins", command.walk_ins, true, MAX_WALK_INS)?;
        let attended = command.attended;
        let outcomes = command.outcomes;
        if attended > confirmed + walk_ins {
            return Err(DomainError::invalid(
                "attended",
                format!(
                    "{attended} is more than the {confirmed} confirmed places plus \
                     {walk_ins} walk-ins"
                ),
            ));
        }
        if walk_ins > attended {
            return Err(DomainError::invalid(
                "walk_ins",
                format!("{walk_ins} is more than the {attended} people who came"),
            ));
        }
        // Booked places are either taken up or not: together at most the confirmed ones.
        let booked_came = attended - walk_ins;
        if command.no_shows > confirmed - booked_came {
            return Err(DomainError::invalid(
                "no_shows",
                format!(
                    "{} no-shows and {booked_came} booked people who came are more than \
                     the {confirmed} confirmed places",
                    command.no_shows
                ),
            ));
        }
        for (field, value) in outcomes.named() {
            values::count(field, value, true, attended)?;
        }
        Ok(vec![
            AttendanceRecorded {
                session_id: id.to_string(),
                attended,
                no_shows: command.no_shows,
                walk_ins,
                registered_for_nhs_app: outcomes.registered_for_nhs_app,
                completed_task_online: outcomes.completed_task_online,
                referred_to_community_session: outcomes.referred_to_community_session,
                declined_help: outcomes.declined_help,
                set_up_proxy_access: outcomes.set_up_proxy_access,
                notes: command.notes,
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests;
