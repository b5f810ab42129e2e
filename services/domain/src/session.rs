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
use difacto_proto::v1::{
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
use crate::policy::{Party, Targets, authorize};
use crate::privacy;
use crate::values;

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

/// `ScheduleSession`, with every check that needs no state done by [`ScheduleSession::new`].
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

impl ScheduleSession {
    /// Shape checks that need neither the tree nor the clock.
    pub fn new(request: ScheduleSessionRequest) -> Result<Self> {
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

/// A referral to a session, as `BookSeat` and `JoinWaitlist` carry it, shape-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
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
        booking_reference: &str,
        generated: Uuid,
        referring_organisation_code: &str,
        places: u32,
        interpreter_language: &str,
        access_needs: &[i32],
    ) -> Result<Self> {
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

    pub fn from_booking(request: &BookSeatRequest, generated: Uuid) -> Result<Self> {
        Self::new(
            &request.booking_reference,
            generated,
            &request.referring_organisation_code,
            request.places,
            &request.interpreter_language,
            &request.access_needs,
        )
    }

    pub fn from_waitlist(request: &JoinWaitlistRequest, generated: Uuid) -> Result<Self> {
        Self::new(
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
    fn admit(
        &self,
        command: Command,
        id: Uuid,
        referral: &Referral,
        ctx: &Context,
    ) -> Result<Uuid> {
        // Each role is judged on its own part: the partner on its session, a practice on
        // its own referral to a session of its ICB. Judged before the session is looked
        // up, so an outsider learns nothing of which sessions exist.
        authorize(
            &ctx.actor,
            command,
            &self
                .parties(&id.to_string())
                .with(Party::Referrer, &referral.referring_organisation_code),
            &ctx.registry,
            ctx.today(),
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
        authorize(
            &ctx.actor,
            Command::ScheduleSession,
            &Targets::of(&cmd.partner_code),
            &ctx.registry,
            today,
        )?;
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
    fn answer_hosting(&self, command: Command, requested: &str, ctx: &Context) -> Result<Uuid> {
        authorize(
            &ctx.actor,
            command,
            &Targets::on("session", requested).with(Party::Target, &self.host_practice_code),
            &ctx.registry,
            ctx.today(),
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
        request: ConfirmHostingRequest,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let note = values::optional_text("note", &request.note, MAX_TEXT)?;
        let id = self.answer_hosting(Command::ConfirmHosting, &request.session_id, ctx)?;
        Ok(vec![
            HostingConfirmed {
                session_id: id.to_string(),
                host_practice_code: self.host_practice_code.clone(),
                note,
            }
            .into(),
        ])
    }

    pub fn decline_hosting(
        &self,
        request: DeclineHostingRequest,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let reason = values::text("reason", &request.reason, MAX_TEXT)?;
        let id = self.answer_hosting(Command::DeclineHosting, &request.session_id, ctx)?;
        Ok(vec![
            HostingDeclined {
                session_id: id.to_string(),
                host_practice_code: self.host_practice_code.clone(),
                reason,
            }
            .into(),
        ])
    }

    /// Confirms `referral`'s places if they fit; otherwise refuses on `places`, pointing
    /// to the waitlist. Whatever the concurrency, this decision is taken against the whole
    /// stream at the version the append then names.
    pub fn book_seat(
        &self,
        id: Uuid,
        referral: Referral,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let id = self.admit(Command::BookSeat, id, &referral, ctx)?;
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
    pub fn join_waitlist(
        &self,
        id: Uuid,
        referral: Referral,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let id = self.admit(Command::JoinWaitlist, id, &referral, ctx)?;
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
        request: CancelBookingRequest,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let reference = request.booking_reference.trim();
        if reference.is_empty() {
            return Err(DomainError::invalid("booking_reference", "is required"));
        }
        let reason = values::optional_text("reason", &request.reason, MAX_TEXT)?;
        // A booking is judged on whoever made it; one that does not exist was made by
        // nobody, which admits only the partner (who sees all its bookings) and services:
        // an outsider cannot tell a missing reference from another's.
        let referrer = self.referrers.get(reference).map_or("", String::as_str);
        authorize(
            &ctx.actor,
            Command::CancelBooking,
            &self
                .parties(&request.session_id)
                .with(Party::Referrer, referrer),
            &ctx.registry,
            ctx.today(),
        )?;
        let id = self.require_scheduled(&request.session_id)?;
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
                reason,
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
    pub fn cancel(
        &self,
        request: CancelSessionRequest,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let reason = values::text("reason", &request.reason, MAX_TEXT)?;
        authorize(
            &ctx.actor,
            Command::CancelSession,
            &self.parties(&request.session_id),
            &ctx.registry,
            ctx.today(),
        )?;
        let id = self.require_scheduled(&request.session_id)?;
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
                reason,
            }
            .into(),
        ])
    }

    /// Records (or re-records) what happened, as counts that must add up against the
    /// confirmed places: the booked people who came plus the no-shows are at most the
    /// confirmed places, and every outcome counts at most the people who came.
    pub fn record_attendance(
        &self,
        request: RecordAttendanceRequest,
        ctx: &Context,
    ) -> Result<Vec<SessionEvent>> {
        let notes = values::optional_text("notes", &request.notes, 2000)?;
        authorize(
            &ctx.actor,
            Command::RecordAttendance,
            &self.parties(&request.session_id),
            &ctx.registry,
            ctx.today(),
        )?;
        let id = self.require_scheduled(&request.session_id)?;
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
        let walk_ins = values::count("walk_ins", request.walk_ins, true, MAX_WALK_INS)?;
        let attended = request.attended;
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
        if request.no_shows > confirmed - booked_came {
            return Err(DomainError::invalid(
                "no_shows",
                format!(
                    "{} no-shows and {booked_came} booked people who came are more than \
                     the {confirmed} confirmed places",
                    request.no_shows
                ),
            ));
        }
        for (field, value) in [
            ("registered_for_nhs_app", request.registered_for_nhs_app),
            ("completed_task_online", request.completed_task_online),
            (
                "referred_to_community_session",
                request.referred_to_community_session,
            ),
            ("declined_help", request.declined_help),
            ("set_up_proxy_access", request.set_up_proxy_access),
        ] {
            values::count(field, value, true, attended)?;
        }
        Ok(vec![
            AttendanceRecorded {
                session_id: id.to_string(),
                attended,
                no_shows: request.no_shows,
                walk_ins,
                registered_for_nhs_app: request.registered_for_nhs_app,
                completed_task_online: request.completed_task_online,
                referred_to_community_session: request.referred_to_community_session,
                declined_help: request.declined_help,
                set_up_proxy_access: request.set_up_proxy_access,
                notes,
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests {
    //! Given the events so far, when a command is issued, then these events (or this
    //! error, naming this field).

    use std::sync::Arc;

    use difacto_auth::{Principal, Role};
    use difacto_proto::v1::OrganisationRegistered;
    use proptest::prelude::*;

    use super::*;
    use crate::registry::{OrganisationEvent, Registry};

    const SESSION: Uuid = Uuid::from_u128(0x5e55_1011);
    const PARTNER: &str = "P-leeds-libraries";

    /// Now, for every test: a session "tomorrow" starts a day after this.
    fn now() -> DateTime<Utc> {
        parse_instant("2026-05-01T09:00:00Z")
    }

    fn tree() -> Arc<Registry> {
        use OrganisationKind::*;
        let mut registry = Registry::default();
        for (code, kind, parent) in [
            ("X24", NationalBody, ""),
            ("Y56", Region, "X24"),
            ("Y63", Region, "X24"),
            ("QE1", Icb, "Y56"),
            ("QWO", Icb, "Y63"),
            ("00L", SubIcb, "QE1"),
            ("01A", SubIcb, "QWO"),
            ("U00001", Pcn, "00L"),
            ("U00002", Pcn, "01A"),
            ("A81001", Practice, "U00001"),
            ("A81002", Practice, "U00001"),
            ("B82001", Practice, "U00002"),
            ("P-leeds-libraries", Partner, "QE1"),
            ("P-york-digital", Partner, "QWO"),
        ] {
            registry.apply(&OrganisationEvent::from(OrganisationRegistered {
                code: code.into(),
                kind: kind.into(),
                name: format!("{code} name"),
                parent_code: parent.into(),
                effective_date: "2020-01-01".into(),
                ..Default::default()
            }));
        }
        Arc::new(registry)
    }

    fn ctx(org: &str, role: Role) -> Context {
        Context {
            actor: Principal {
                subject: format!("user@{org}"),
                organisation: org.into(),
                roles: vec![role],
            },
            registry: tree(),
            now: now(),
        }
    }

    fn partner() -> Context {
        ctx(PARTNER, Role::PartnerCoordinator)
    }

    fn practice(code: &str) -> Context {
        ctx(code, Role::PracticeManager)
    }

    fn service() -> Context {
        ctx("svc", Role::Service)
    }

    /// The same caller, `hours` after [`now`].
    fn later(ctx: Context, hours: i64) -> Context {
        Context {
            now: ctx.now + TimeDelta::hours(hours),
            ..ctx
        }
    }

    fn given(events: &[SessionEvent]) -> Session {
        let mut session = Session::default();
        for event in events {
            session.apply(event);
        }
        session
    }

    /// What a rejection was, and the field it named.
    fn refused<T: std::fmt::Debug>(result: Result<T>) -> (&'static str, String) {
        match result.expect_err("the command is refused") {
            DomainError::Invalid { field, .. } => ("invalid", field),
            DomainError::NotFound { field, .. } => ("not found", field),
            DomainError::AlreadyExists { field, .. } => ("exists", field),
            DomainError::Precondition { field, .. } => ("precondition", field),
            DomainError::Forbidden(_) => ("forbidden", String::new()),
        }
    }

    fn is(kind: &'static str, field: &str) -> (&'static str, String) {
        (kind, field.to_owned())
    }

    fn forbidden() -> (&'static str, String) {
        ("forbidden", String::new())
    }

    /// Tomorrow 10:00 to 12:00, at host practice A81001 in QE1, run by Leeds Libraries.
    fn request() -> ScheduleSessionRequest {
        ScheduleSessionRequest {
            partner_code: PARTNER.into(),
            icb_code: "QE1".into(),
            host_practice_code: "A81001".into(),
            starts_at: "2026-05-02T10:00:00Z".into(),
            ends_at: "2026-05-02T12:00:00Z".into(),
            capacity: 10,
            topics: vec![DigitalService::NhsApp.into()],
            languages: vec!["en".into(), "pa-Guru".into()],
            accessibility: vec![AccessNeed::Wheelchair.into()],
            target_groups: vec![PatientGroup::OlderPeople.into()],
            title: "NHS App help".into(),
            description: "Bring your phone".into(),
            ..Default::default()
        }
    }

    fn at_venue() -> ScheduleSessionRequest {
        ScheduleSessionRequest {
            host_practice_code: String::new(),
            venue_name: "Hyde Park library".into(),
            venue_postcode_district: "ls6".into(),
            ..request()
        }
    }

    fn scheduled(capacity: u32) -> SessionEvent {
        let cmd = ScheduleSession::new(ScheduleSessionRequest {
            capacity,
            ..request()
        })
        .expect("valid");
        let mut events = Session::default()
            .schedule(SESSION, cmd, &partner())
            .expect("scheduled");
        events.remove(0)
    }

    fn schedule(request: ScheduleSessionRequest, ctx: &Context) -> Result<Vec<SessionEvent>> {
        Session::default().schedule(SESSION, ScheduleSession::new(request)?, ctx)
    }

    fn referral(reference: &str, places: u32) -> Referral {
        referral_from("A81001", reference, places)
    }

    fn referral_from(referrer: &str, reference: &str, places: u32) -> Referral {
        Referral::new(reference, Uuid::nil(), referrer, places, "", &[]).expect("valid referral")
    }

    fn booked(reference: &str, places: u32) -> SessionEvent {
        SeatBooked {
            session_id: SESSION.to_string(),
            booking_reference: reference.into(),
            referring_organisation_code: "A81001".into(),
            places,
            ..Default::default()
        }
        .into()
    }

    fn joined(reference: &str, places: u32) -> SessionEvent {
        WaitlistJoined {
            session_id: SESSION.to_string(),
            booking_reference: reference.into(),
            referring_organisation_code: "A81001".into(),
            places,
            ..Default::default()
        }
        .into()
    }

    fn promoted(reference: &str) -> SessionEvent {
        WaitlistPromoted {
            session_id: SESSION.to_string(),
            booking_reference: reference.into(),
        }
        .into()
    }

    fn cancelled_booking(reference: &str) -> SessionEvent {
        BookingCancelled {
            session_id: SESSION.to_string(),
            booking_reference: reference.into(),
            reason: String::new(),
        }
        .into()
    }

    fn session_cancelled() -> SessionEvent {
        SessionCancelled {
            session_id: SESSION.to_string(),
            reason: "room flooded".into(),
        }
        .into()
    }

    fn declined() -> SessionEvent {
        HostingDeclined {
            session_id: SESSION.to_string(),
            host_practice_code: "A81001".into(),
            reason: "no room".into(),
        }
        .into()
    }

    fn confirmed() -> SessionEvent {
        HostingConfirmed {
            session_id: SESSION.to_string(),
            host_practice_code: "A81001".into(),
            note: "Room 2".into(),
        }
        .into()
    }

    fn cancel_booking(reference: &str) -> CancelBookingRequest {
        CancelBookingRequest {
            session_id: SESSION.to_string(),
            booking_reference: reference.into(),
            ..Default::default()
        }
    }

    fn attendance(attended: u32, no_shows: u32, walk_ins: u32) -> RecordAttendanceRequest {
        RecordAttendanceRequest {
            session_id: SESSION.to_string(),
            attended,
            no_shows,
            walk_ins,
            ..Default::default()
        }
    }

    fn id() -> String {
        SESSION.to_string()
    }

    // ---- ScheduleSession ----

    #[test]
    fn a_partner_schedules_a_session_at_a_host_practice() {
        let events = schedule(request(), &partner()).expect("scheduled");
        let [SessionEvent::SessionScheduled(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(e.session_id, id());
        assert_eq!(e.partner_code, PARTNER);
        assert_eq!(e.host_practice_code, "A81001");
        assert_eq!(e.starts_at, "2026-05-02T10:00:00Z");
        assert_eq!(e.capacity, 10);
        assert_eq!(e.languages, ["en", "pa-Guru"]);
        let session = given(&events);
        assert_eq!(session.hosting, Hosting::Pending);
        assert_eq!(session.remaining_places(), 10);
    }

    #[test]
    fn a_session_at_a_venue_keeps_only_the_postcode_district() {
        let events = schedule(at_venue(), &partner()).expect("scheduled");
        let [SessionEvent::SessionScheduled(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(e.host_practice_code, "");
        assert_eq!(e.venue_name, "Hyde Park library");
        assert_eq!(e.venue_postcode_district, "LS6");
        assert_eq!(given(&events).hosting, Hosting::Venue);
    }

    #[test]
    fn a_commissioner_schedules_for_partners_in_its_area_only() {
        assert!(schedule(request(), &ctx("QE1", Role::IcbCommissioner)).is_ok());
        assert_eq!(
            refused(schedule(request(), &ctx("QWO", Role::IcbCommissioner))),
            forbidden()
        );
    }

    #[test]
    fn a_partner_cannot_schedule_for_another_partner() {
        assert_eq!(
            refused(schedule(
                request(),
                &ctx("P-york-digital", Role::PartnerCoordinator)
            )),
            forbidden()
        );
        assert_eq!(
            refused(schedule(request(), &practice("A81001"))),
            forbidden()
        );
    }

    #[test]
    fn a_session_is_scheduled_once() {
        let session = given(&[scheduled(10)]);
        let cmd = ScheduleSession::new(request()).expect("valid");
        assert_eq!(
            refused(session.schedule(SESSION, cmd, &partner())),
            is("exists", "session_id")
        );
    }

    #[test]
    fn schedule_refuses_bad_shapes_naming_the_field() {
        let cases: Vec<(ScheduleSessionRequest, &str)> = vec![
            (
                ScheduleSessionRequest {
                    capacity: 0,
                    ..request()
                },
                "capacity",
            ),
            (
                ScheduleSessionRequest {
                    capacity: 501,
                    ..request()
                },
                "capacity",
            ),
            (
                ScheduleSessionRequest {
                    ends_at: "2026-05-02T09:00:00Z".into(),
                    ..request()
                },
                "ends_at",
            ),
            (
                ScheduleSessionRequest {
                    ends_at: "2026-05-02T10:00:00Z".into(),
                    ..request()
                },
                "ends_at",
            ),
            (
                ScheduleSessionRequest {
                    ends_at: "2026-05-02T22:00:01Z".into(),
                    ..request()
                },
                "ends_at",
            ),
            (
                ScheduleSessionRequest {
                    starts_at: "2 May 2026 10:00".into(),
                    ..request()
                },
                "starts_at",
            ),
            (
                ScheduleSessionRequest {
                    venue_name: "Library".into(),
                    ..request()
                },
                "host_practice_code",
            ),
            (
                ScheduleSessionRequest {
                    host_practice_code: String::new(),
                    ..request()
                },
                "host_practice_code",
            ),
            (
                ScheduleSessionRequest {
                    host_practice_code: "QE1".into(),
                    ..request()
                },
                "host_practice_code",
            ),
            (
                ScheduleSessionRequest {
                    venue_postcode_district: "LS6 2AB".into(),
                    ..at_venue()
                },
                "venue_postcode_district",
            ),
            (
                ScheduleSessionRequest {
                    venue_postcode_district: "LS62AB".into(),
                    ..at_venue()
                },
                "venue_postcode_district",
            ),
            (
                ScheduleSessionRequest {
                    venue_postcode_district: String::new(),
                    ..at_venue()
                },
                "venue_postcode_district",
            ),
            (
                ScheduleSessionRequest {
                    venue_name: String::new(),
                    ..at_venue()
                },
                "venue_name",
            ),
            (
                ScheduleSessionRequest {
                    venue_name: "ask jo.bloggs@example.org".into(),
                    ..at_venue()
                },
                "venue_name",
            ),
            (
                ScheduleSessionRequest {
                    languages: vec!["English".into()],
                    ..request()
                },
                "languages[0]",
            ),
            (
                ScheduleSessionRequest {
                    languages: vec!["en".into(), "en".into()],
                    ..request()
                },
                "languages[1]",
            ),
            (
                ScheduleSessionRequest {
                    topics: vec![],
                    ..request()
                },
                "topics",
            ),
            (
                ScheduleSessionRequest {
                    topics: vec![99],
                    ..request()
                },
                "topics[0]",
            ),
            (
                ScheduleSessionRequest {
                    accessibility: vec![0],
                    ..request()
                },
                "accessibility[0]",
            ),
            (
                ScheduleSessionRequest {
                    target_groups: vec![42],
                    ..request()
                },
                "target_groups[0]",
            ),
            (
                ScheduleSessionRequest {
                    title: " ".into(),
                    ..request()
                },
                "title",
            ),
            (
                ScheduleSessionRequest {
                    description: "for 943 476 5919".into(),
                    ..request()
                },
                "description",
            ),
            (
                ScheduleSessionRequest {
                    partner_code: String::new(),
                    ..request()
                },
                "partner_code",
            ),
            (
                ScheduleSessionRequest {
                    icb_code: "Q E1".into(),
                    ..request()
                },
                "icb_code",
            ),
        ];
        for (request, field) in cases {
            assert_eq!(
                refused(ScheduleSession::new(request.clone())),
                is("invalid", field),
                "{request:?}"
            );
        }
    }

    #[test]
    fn schedule_checks_the_tree_and_the_clock() {
        let cases: Vec<(ScheduleSessionRequest, (&str, String))> = vec![
            (
                ScheduleSessionRequest {
                    starts_at: "2026-05-01T08:00:00Z".into(),
                    ends_at: "2026-05-01T10:00:00Z".into(),
                    ..request()
                },
                is("invalid", "starts_at"),
            ),
            (
                ScheduleSessionRequest {
                    partner_code: "A81002".into(),
                    ..request()
                },
                is("invalid", "partner_code"),
            ),
            (
                ScheduleSessionRequest {
                    partner_code: "P-nobody".into(),
                    ..request()
                },
                is("not found", "partner_code"),
            ),
            (
                ScheduleSessionRequest {
                    icb_code: "QXX".into(),
                    ..request()
                },
                is("not found", "icb_code"),
            ),
            (
                ScheduleSessionRequest {
                    icb_code: "00L".into(),
                    ..request()
                },
                is("invalid", "icb_code"),
            ),
            (
                ScheduleSessionRequest {
                    host_practice_code: "B82001".into(),
                    ..request()
                },
                is("invalid", "host_practice_code"),
            ),
            (
                ScheduleSessionRequest {
                    host_practice_code: "A89999".into(),
                    ..request()
                },
                is("not found", "host_practice_code"),
            ),
            (
                ScheduleSessionRequest {
                    commissioner_code: "A81001".into(),
                    ..request()
                },
                is("invalid", "commissioner_code"),
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(
                refused(schedule(request.clone(), &service())),
                expected,
                "{request:?}"
            );
        }
        assert!(
            schedule(
                ScheduleSessionRequest {
                    commissioner_code: "QE1".into(),
                    ..request()
                },
                &service()
            )
            .is_ok()
        );
    }

    // ---- ConfirmHosting / DeclineHosting ----

    fn confirm() -> ConfirmHostingRequest {
        ConfirmHostingRequest {
            session_id: id(),
            note: "Room 2".into(),
            ..Default::default()
        }
    }

    fn decline() -> DeclineHostingRequest {
        DeclineHostingRequest {
            session_id: id(),
            reason: "No room that day".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_host_practice_confirms_hosting_once() {
        let session = given(&[scheduled(10)]);
        let events = session
            .confirm_hosting(confirm(), &practice("A81001"))
            .expect("confirmed");
        assert_eq!(
            events,
            vec![SessionEvent::from(HostingConfirmed {
                session_id: id(),
                host_practice_code: "A81001".into(),
                note: "Room 2".into(),
            })]
        );
        assert_eq!(events, vec![confirmed()]);
        let session = given(&[scheduled(10), confirmed()]);
        assert_eq!(session.hosting, Hosting::Confirmed);
        assert!(
            session
                .book_seat(SESSION, referral("R-0001", 1), &practice("A81001"))
                .is_ok(),
            "a confirmed host takes bookings"
        );
        assert_eq!(
            refused(session.confirm_hosting(confirm(), &practice("A81001"))),
            is("precondition", "session_id")
        );
        assert_eq!(
            refused(session.decline_hosting(decline(), &practice("A81001"))),
            is("precondition", "session_id")
        );
    }

    #[test]
    fn the_host_practice_declines_with_a_reason_and_bookings_stop() {
        let session = given(&[scheduled(10)]);
        assert_eq!(
            refused(session.decline_hosting(
                DeclineHostingRequest {
                    reason: String::new(),
                    ..decline()
                },
                &practice("A81001")
            )),
            is("invalid", "reason")
        );
        let events = session
            .decline_hosting(decline(), &practice("A81001"))
            .expect("declined");
        assert!(matches!(
            events.as_slice(),
            [SessionEvent::HostingDeclined(e)] if e.reason == "No room that day"
        ));
        let session = given(&[scheduled(10), declined()]);
        assert_eq!(session.hosting, Hosting::Declined);
        assert_eq!(
            refused(session.confirm_hosting(confirm(), &practice("A81001"))),
            is("precondition", "session_id")
        );
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0001", 1), &practice("A81001"))),
            is("precondition", "session_id")
        );
    }

    #[test]
    fn only_the_host_practice_or_those_above_it_answer() {
        let session = given(&[scheduled(10)]);
        for other in ["A81002", "B82001"] {
            assert_eq!(
                refused(session.confirm_hosting(confirm(), &practice(other))),
                forbidden(),
                "{other}"
            );
        }
        assert_eq!(
            refused(session.decline_hosting(decline(), &partner())),
            forbidden()
        );
        assert!(
            session
                .confirm_hosting(confirm(), &ctx("U00001", Role::PcnLead))
                .is_ok()
        );
    }

    #[test]
    fn hosting_needs_a_live_session_with_a_host() {
        assert_eq!(
            refused(Session::default().confirm_hosting(confirm(), &service())),
            is("not found", "session_id")
        );
        let venue = given(&schedule(at_venue(), &partner()).expect("scheduled"));
        // A venue has no host practice: no practice answers for it.
        assert_eq!(
            refused(venue.confirm_hosting(confirm(), &practice("A81001"))),
            forbidden()
        );
        assert_eq!(
            refused(venue.confirm_hosting(confirm(), &service())),
            is("precondition", "session_id")
        );
        let called_off = given(&[scheduled(10), session_cancelled()]);
        assert_eq!(
            refused(called_off.decline_hosting(decline(), &practice("A81001"))),
            is("precondition", "session_id")
        );
        let over = given(&[scheduled(10)]);
        assert_eq!(
            refused(over.confirm_hosting(confirm(), &later(practice("A81001"), 30))),
            is("precondition", "session_id")
        );
    }

    // ---- BookSeat ----

    #[test]
    fn a_practice_books_places_for_someone_it_refers() {
        let session = given(&[scheduled(10)]);
        let referral = Referral::new(
            "",
            SESSION,
            "A81001",
            2,
            "pl",
            &[AccessNeed::Wheelchair.into()],
        )
        .expect("valid");
        let events = session
            .book_seat(SESSION, referral, &practice("A81001"))
            .expect("booked");
        assert_eq!(
            events,
            vec![SessionEvent::from(SeatBooked {
                session_id: id(),
                booking_reference: SESSION.to_string(),
                referring_organisation_code: "A81001".into(),
                places: 2,
                interpreter_language: "pl".into(),
                access_needs: vec![AccessNeed::Wheelchair.into()],
            })]
        );
        let session = given(&[scheduled(10), events[0].clone()]);
        assert_eq!(session.confirmed_places(), 2);
        assert_eq!(session.remaining_places(), 8);
        assert!(session.booking(&SESSION.to_string()).is_some());
    }

    #[test]
    fn the_last_places_are_booked_and_then_the_session_is_full() {
        let session = given(&[scheduled(4), booked("R-0001", 3)]);
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0002", 2), &partner())),
            is("precondition", "places")
        );
        let err = session
            .book_seat(SESSION, referral("R-0002", 2), &partner())
            .expect_err("full");
        assert!(err.to_string().contains("full"), "{err}");
        assert!(err.to_string().contains("JoinWaitlist"), "{err}");
        assert!(
            session
                .book_seat(SESSION, referral("R-0002", 1), &partner())
                .is_ok()
        );
    }

    #[test]
    fn booking_references_are_never_reused() {
        let session = given(&[scheduled(10), booked("R-0001", 1)]);
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0001", 1), &partner())),
            is("exists", "booking_reference")
        );
        let session = given(&[
            scheduled(10),
            booked("R-0001", 1),
            cancelled_booking("R-0001"),
        ]);
        assert_eq!(
            refused(session.join_waitlist(SESSION, referral("R-0001", 1), &partner())),
            is("exists", "booking_reference")
        );
    }

    #[test]
    fn bookings_need_a_live_session() {
        assert_eq!(
            refused(Session::default().book_seat(SESSION, referral("R-0001", 1), &service())),
            is("not found", "session_id")
        );
        let called_off = given(&[scheduled(10), session_cancelled()]);
        assert_eq!(
            refused(called_off.book_seat(SESSION, referral("R-0001", 1), &partner())),
            is("precondition", "session_id")
        );
        let session = given(&[scheduled(10)]);
        // Started but not over: still bookable. Over: not.
        assert!(
            session
                .book_seat(SESSION, referral("R-0001", 1), &later(partner(), 26))
                .is_ok()
        );
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0001", 1), &later(partner(), 27))),
            is("precondition", "session_id")
        );
    }

    #[test]
    fn who_may_book() {
        let session = given(&[scheduled(10)]);
        // The partner, for anyone's referral; the referring practice, for its own.
        assert!(
            session
                .book_seat(SESSION, referral_from("A81002", "R-0001", 1), &partner())
                .is_ok()
        );
        assert!(
            session
                .book_seat(SESSION, referral("R-0001", 1), &practice("A81001"))
                .is_ok()
        );
        // A practice cannot book in another practice's name, nor another partner.
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0001", 1), &practice("A81002"))),
            forbidden()
        );
        assert_eq!(
            refused(session.book_seat(
                SESSION,
                referral("R-0001", 1),
                &ctx("P-york-digital", Role::PartnerCoordinator)
            )),
            forbidden()
        );
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0001", 1), &ctx("X24", Role::Auditor))),
            forbidden()
        );
        // The referring organisation must exist.
        assert_eq!(
            refused(session.book_seat(SESSION, referral_from("A89999", "R-0001", 1), &partner())),
            is("not found", "referring_organisation_code")
        );
    }

    #[test]
    fn referrals_refuse_bad_shapes_naming_the_field() {
        // (booking_reference, referring organisation, places, interpreter language), then
        // the field refused.
        let cases = [
            (("", "A81001", 0, ""), "places"),
            (("", "A81001", 11, ""), "places"),
            (("R 1", "A81001", 1, ""), "booking_reference"),
            (("R1", "A81001", 1, ""), "booking_reference"),
            (("9434765919", "A81001", 1, ""), "booking_reference"),
            (("", "", 1, ""), "referring_organisation_code"),
            (("", "A81001", 1, "Polish"), "interpreter_language"),
        ];
        for ((reference, referrer, places, language), field) in cases {
            assert_eq!(
                refused(Referral::new(
                    reference,
                    Uuid::nil(),
                    referrer,
                    places,
                    language,
                    &[]
                )),
                is("invalid", field),
                "{field}"
            );
        }
        assert_eq!(
            refused(Referral::new("", Uuid::nil(), "A81001", 1, "", &[0])),
            is("invalid", "access_needs[0]")
        );
        let chosen = Referral::new("LIB-2026-0042", SESSION, "A81001", 1, "", &[]).expect("ok");
        assert_eq!(chosen.booking_reference, "LIB-2026-0042");
    }

    // ---- JoinWaitlist ----

    #[test]
    fn a_full_session_takes_referrals_on_its_waitlist_in_order() {
        let session = given(&[scheduled(2), booked("R-0001", 2)]);
        let events = session
            .join_waitlist(SESSION, referral("W-0001", 1), &practice("A81001"))
            .expect("joined");
        assert_eq!(events, vec![joined("W-0001", 1)]);
        let session = given(&[
            scheduled(2),
            booked("R-0001", 2),
            joined("W-0001", 1),
            joined("W-0002", 2),
        ]);
        let order: Vec<&str> = session
            .waitlist()
            .iter()
            .map(|b| b.reference.as_str())
            .collect();
        assert_eq!(order, ["W-0001", "W-0002"]);
        assert_eq!(session.waiting_places(), 3);
    }

    #[test]
    fn joining_when_the_places_fit_confirms_them_at_once() {
        let session = given(&[scheduled(4), booked("R-0001", 2)]);
        let events = session
            .join_waitlist(SESSION, referral("W-0001", 2), &partner())
            .expect("joined");
        assert_eq!(events, vec![joined("W-0001", 2), promoted("W-0001")]);
        let session = given(&[
            scheduled(4),
            booked("R-0001", 2),
            events[0].clone(),
            events[1].clone(),
        ]);
        assert_eq!(session.confirmed_places(), 4);
        assert!(session.waitlist().is_empty());
    }

    #[test]
    fn the_waitlist_needs_a_live_session_and_the_right_caller() {
        let called_off = given(&[scheduled(1), session_cancelled()]);
        assert_eq!(
            refused(called_off.join_waitlist(SESSION, referral("W-0001", 1), &partner())),
            is("precondition", "session_id")
        );
        let session = given(&[scheduled(1), booked("R-0001", 1)]);
        assert_eq!(
            refused(session.join_waitlist(SESSION, referral("W-0001", 1), &later(partner(), 30))),
            is("precondition", "session_id")
        );
        assert_eq!(
            refused(session.join_waitlist(SESSION, referral("W-0001", 1), &practice("B82001"))),
            forbidden()
        );
        assert_eq!(
            refused(session.join_waitlist(SESSION, referral("R-0001", 1), &partner())),
            is("exists", "booking_reference")
        );
        assert_eq!(
            refused(Session::default().join_waitlist(SESSION, referral("W-0001", 1), &service())),
            is("not found", "session_id")
        );
    }

    // ---- CancelBooking ----

    #[test]
    fn cancelling_promotes_every_waiting_booking_that_fits_in_order() {
        // Capacity 4, full; waiting: 3 places, then 1, then 1.
        let session = given(&[
            scheduled(4),
            booked("R-0001", 2),
            booked("R-0002", 2),
            joined("W-0001", 3),
            joined("W-0002", 1),
            joined("W-0003", 1),
        ]);
        let events = session
            .cancel_booking(cancel_booking("R-0001"), &practice("A81001"))
            .expect("cancelled");
        // Two places free: the head needs three, so the next two are promoted, in order.
        assert_eq!(
            events,
            vec![
                cancelled_booking("R-0001"),
                promoted("W-0002"),
                promoted("W-0003")
            ]
        );
        let mut history = vec![
            scheduled(4),
            booked("R-0001", 2),
            booked("R-0002", 2),
            joined("W-0001", 3),
            joined("W-0002", 1),
            joined("W-0003", 1),
        ];
        history.extend(events);
        let session = given(&history);
        assert_eq!(session.confirmed_places(), 4);
        assert_eq!(session.waitlist().len(), 1);
        assert_eq!(session.waitlist()[0].reference, "W-0001");
        // The promoted booking keeps its places and needs.
        assert_eq!(session.booking("W-0002").map(|b| b.places), Some(1));
    }

    #[test]
    fn cancelling_a_waiting_booking_only_removes_it() {
        let session = given(&[
            scheduled(1),
            booked("R-0001", 1),
            joined("W-0001", 1),
            joined("W-0002", 1),
        ]);
        let events = session
            .cancel_booking(cancel_booking("W-0001"), &partner())
            .expect("cancelled");
        assert_eq!(events, vec![cancelled_booking("W-0001")]);
        let session = given(&[
            scheduled(1),
            booked("R-0001", 1),
            joined("W-0001", 1),
            joined("W-0002", 1),
            cancelled_booking("W-0001"),
        ]);
        assert_eq!(session.waitlist().len(), 1);
        assert_eq!(session.confirmed_places(), 1);
    }

    #[test]
    fn cancel_booking_refusals() {
        let session = given(&[
            scheduled(2),
            booked("R-0001", 1),
            cancelled_booking("R-0001"),
            booked("R-0002", 1),
        ]);
        assert_eq!(
            refused(session.cancel_booking(cancel_booking("R-9999"), &partner())),
            is("not found", "booking_reference")
        );
        assert_eq!(
            refused(session.cancel_booking(cancel_booking(""), &partner())),
            is("invalid", "booking_reference")
        );
        assert_eq!(
            refused(session.cancel_booking(cancel_booking("R-0001"), &partner())),
            is("precondition", "booking_reference")
        );
        assert_eq!(
            refused(session.cancel_booking(
                CancelBookingRequest {
                    reason: "patient 9434765919 moved".into(),
                    ..cancel_booking("R-0002")
                },
                &partner()
            )),
            is("invalid", "reason")
        );
        // Another practice may not cancel A81001's referral.
        assert_eq!(
            refused(session.cancel_booking(cancel_booking("R-0002"), &practice("A81002"))),
            forbidden()
        );
        assert_eq!(
            refused(session.cancel_booking(cancel_booking("R-0002"), &later(partner(), 30))),
            is("precondition", "session_id")
        );
        assert_eq!(
            refused(Session::default().cancel_booking(cancel_booking("R-0002"), &service())),
            is("not found", "session_id")
        );
    }

    // ---- CancelSession ----

    fn cancel_session(reason: &str) -> CancelSessionRequest {
        CancelSessionRequest {
            session_id: id(),
            reason: reason.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_partner_cancels_a_session_and_then_everything_is_refused() {
        let session = given(&[scheduled(2), booked("R-0001", 1), joined("W-0001", 2)]);
        assert_eq!(
            refused(session.cancel(cancel_session(" "), &partner())),
            is("invalid", "reason")
        );
        assert_eq!(
            refused(session.cancel(
                cancel_session("ill"),
                &ctx("P-york-digital", Role::PartnerCoordinator)
            )),
            forbidden()
        );
        assert_eq!(
            refused(session.cancel(cancel_session("ill"), &practice("A81001"))),
            forbidden()
        );
        let events = session
            .cancel(cancel_session("Trainer ill"), &partner())
            .expect("cancelled");
        assert_eq!(
            events,
            vec![SessionEvent::from(SessionCancelled {
                session_id: id(),
                reason: "Trainer ill".into(),
            })]
        );
        let session = given(&[
            scheduled(2),
            booked("R-0001", 1),
            joined("W-0001", 2),
            session_cancelled(),
        ]);
        let precondition = is("precondition", "session_id");
        assert_eq!(
            refused(session.cancel(cancel_session("again"), &partner())),
            precondition
        );
        assert_eq!(
            refused(session.book_seat(SESSION, referral("R-0002", 1), &partner())),
            precondition
        );
        assert_eq!(
            refused(session.cancel_booking(cancel_booking("R-0001"), &partner())),
            precondition
        );
        assert_eq!(
            refused(session.confirm_hosting(confirm(), &practice("A81001"))),
            precondition
        );
        assert_eq!(
            refused(session.record_attendance(attendance(0, 1, 0), &later(partner(), 30))),
            precondition
        );
    }

    #[test]
    fn a_commissioner_cancels_within_its_area_and_a_past_session_stays() {
        let session = given(&[scheduled(2)]);
        assert!(
            session
                .cancel(
                    cancel_session("funding"),
                    &ctx("QE1", Role::IcbCommissioner)
                )
                .is_ok()
        );
        assert_eq!(
            refused(session.cancel(
                cancel_session("funding"),
                &ctx("QWO", Role::IcbCommissioner)
            )),
            forbidden()
        );
        assert_eq!(
            refused(session.cancel(cancel_session("late"), &later(partner(), 30))),
            is("precondition", "session_id")
        );
        assert_eq!(
            refused(Session::default().cancel(cancel_session("x"), &service())),
            is("not found", "session_id")
        );
    }

    // ---- RecordAttendance ----

    #[test]
    fn attendance_is_recorded_after_the_start_and_re_recording_replaces_it() {
        let history = [scheduled(10), booked("R-0001", 3), booked("R-0002", 2)];
        let session = given(&history);
        assert_eq!(
            refused(session.record_attendance(attendance(4, 1, 0), &partner())),
            is("precondition", "session_id")
        );
        let during = later(partner(), 25);
        let first = session
            .record_attendance(
                RecordAttendanceRequest {
                    registered_for_nhs_app: 3,
                    notes: "Two needed help with proxy access".into(),
                    ..attendance(6, 1, 2)
                },
                &during,
            )
            .expect("recorded");
        assert!(matches!(
            first.as_slice(),
            [SessionEvent::AttendanceRecorded(e)] if e.attended == 6 && e.walk_ins == 2 && e.no_shows == 1
        ));
        let mut events = history.to_vec();
        events.extend(first);
        let session = given(&events);
        let second = session
            .record_attendance(attendance(5, 0, 0), &later(partner(), 48))
            .expect("re-recorded");
        events.extend(second);
        let session = given(&events);
        assert_eq!(session.attendance.as_ref().map(|a| a.attended), Some(5));
        // A session that took place is not cancelled afterwards.
        assert_eq!(
            refused(session.cancel(cancel_session("x"), &during)),
            is("precondition", "session_id")
        );
    }

    #[test]
    fn attendance_counts_must_add_up() {
        // 5 confirmed places.
        let session = given(&[scheduled(10), booked("R-0001", 3), booked("R-0002", 2)]);
        let during = later(partner(), 25);
        let cases = [
            (attendance(8, 0, 2), "attended"),
            (attendance(1, 0, 2), "walk_ins"),
            (attendance(3, 3, 0), "no_shows"),
            (attendance(0, 0, 1001), "walk_ins"),
            (
                RecordAttendanceRequest {
                    registered_for_nhs_app: 4,
                    ..attendance(3, 0, 0)
                },
                "registered_for_nhs_app",
            ),
            (
                RecordAttendanceRequest {
                    set_up_proxy_access: 1,
                    ..attendance(0, 5, 0)
                },
                "set_up_proxy_access",
            ),
            (
                RecordAttendanceRequest {
                    notes: "ring 07700 900123".into(),
                    ..attendance(3, 0, 0)
                },
                "notes",
            ),
        ];
        for (request, field) in cases {
            assert_eq!(
                refused(session.record_attendance(request.clone(), &during)),
                is("invalid", field),
                "{request:?}"
            );
        }
        assert!(
            session
                .record_attendance(attendance(7, 0, 2), &during)
                .is_ok()
        );
        assert!(
            session
                .record_attendance(attendance(3, 2, 0), &during)
                .is_ok()
        );
    }

    #[test]
    fn only_the_partner_records_attendance() {
        let session = given(&[scheduled(10)]);
        let during = |ctx| later(ctx, 25);
        assert_eq!(
            refused(session.record_attendance(attendance(0, 0, 0), &during(practice("A81001")))),
            forbidden()
        );
        assert!(
            session
                .record_attendance(attendance(0, 0, 0), &during(partner()))
                .is_ok()
        );
        assert_eq!(
            refused(Session::default().record_attendance(attendance(0, 0, 0), &during(service()))),
            is("not found", "session_id")
        );
    }

    // ---- The capacity rule, under any sequence of commands ----

    #[derive(Debug, Clone)]
    enum Op {
        Book(u32),
        Join(u32),
        /// Cancels the n-th reference handed out so far (modulo), live or not.
        Cancel(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1..=4u32).prop_map(Op::Book),
            (1..=4u32).prop_map(Op::Join),
            any::<usize>().prop_map(Op::Cancel),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn confirmed_places_never_exceed_capacity_and_the_waitlist_is_promoted_in_order(
            capacity in 1..=12u32,
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            let ctx = partner();
            let mut history = vec![scheduled(capacity)];
            let mut session = given(&history);
            let mut references: Vec<String> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                let reference = format!("R-{i:04}");
                let result = match &op {
                    Op::Book(places) => {
                        let result = session.book_seat(SESSION, referral(&reference, *places), &ctx);
                        // Refused exactly when the places do not fit.
                        let fits = *places <= session.remaining_places();
                        prop_assert_eq!(result.is_ok(), fits, "{:?}", result);
                        if !fits {
                            prop_assert_eq!(refused(result.clone()), is("precondition", "places"));
                        }
                        references.push(reference);
                        result
                    }
                    Op::Join(places) => {
                        references.push(reference.clone());
                        session.join_waitlist(SESSION, referral(&reference, *places), &ctx)
                    }
                    Op::Cancel(n) if !references.is_empty() => {
                        let reference = &references[n % references.len()];
                        session.cancel_booking(cancel_booking(reference), &ctx)
                    }
                    Op::Cancel(_) => continue,
                };
                let Ok(events) = result else { continue };
                // Promotions are the waiting bookings that fit, first fit from the head.
                let promoted: Vec<&str> = events
                    .iter()
                    .filter_map(|e| match e {
                        SessionEvent::WaitlistPromoted(p) => Some(p.booking_reference.as_str()),
                        _ => None,
                    })
                    .collect();
                if let Op::Cancel(_) = op {
                    let mut after_cancel = session.clone();
                    after_cancel.apply(&events[0]);
                    let mut free = after_cancel.remaining_places();
                    let mut expected = Vec::new();
                    for waiting in after_cancel.waitlist() {
                        if waiting.places <= free {
                            free -= waiting.places;
                            expected.push(waiting.reference.as_str());
                        }
                    }
                    prop_assert_eq!(&promoted, &expected);
                }
                for event in &events {
                    session.apply(event);
                }
                history.extend(events);
                prop_assert!(
                    session.confirmed_places() <= capacity,
                    "{} confirmed of {}",
                    session.confirmed_places(),
                    capacity
                );
                // Nobody waits while places that fit them are free.
                let remaining = session.remaining_places();
                prop_assert!(session.waitlist().iter().all(|w| w.places > remaining));
            }
            // Replaying the log rebuilds the same state.
            prop_assert_eq!(given(&history), session);
        }
    }

    #[test]
    fn a_partner_books_only_on_its_own_sessions_whoever_it_names_as_referrer() {
        let session = given(&[scheduled(10), booked("R-0001", 1)]);
        let other = ctx("P-york-digital", Role::PartnerCoordinator);
        for referrer in ["P-york-digital", "A81001", PARTNER] {
            let referral = referral_from(referrer, "R-0002", 1);
            assert_eq!(
                refused(session.book_seat(SESSION, referral.clone(), &other)),
                forbidden(),
                "{referrer}"
            );
            assert_eq!(
                refused(session.join_waitlist(SESSION, referral, &other)),
                forbidden(),
                "{referrer}"
            );
        }
        let cancel = CancelBookingRequest {
            session_id: SESSION.to_string(),
            booking_reference: "R-0001".into(),
            ..Default::default()
        };
        assert_eq!(
            refused(session.cancel_booking(cancel.clone(), &other)),
            forbidden()
        );
        // The partner running it books for any referrer and cancels any booking.
        assert!(
            session
                .book_seat(SESSION, referral_from("B82001", "R-0003", 1), &partner())
                .is_ok()
        );
        assert!(session.cancel_booking(cancel, &partner()).is_ok());
    }

    #[test]
    fn a_practice_refers_only_for_itself_on_sessions_of_its_icb() {
        let session = given(&[scheduled(10)]);
        // Another ICB's practice, naming itself.
        assert_eq!(
            refused(session.book_seat(
                SESSION,
                referral_from("B82001", "R-0101", 1),
                &practice("B82001")
            )),
            forbidden()
        );
        // A practice of the ICB, naming another practice.
        assert_eq!(
            refused(session.book_seat(
                SESSION,
                referral_from("A81001", "R-0102", 1),
                &practice("A81002")
            )),
            forbidden()
        );
        assert!(
            session
                .book_seat(
                    SESSION,
                    referral_from("A81002", "R-0103", 1),
                    &practice("A81002")
                )
                .is_ok()
        );
        // A PCN lead refers for its practices, on sessions of its ICB only.
        let lead = ctx("U00002", Role::PcnLead);
        assert_eq!(
            refused(session.book_seat(SESSION, referral_from("B82001", "R-0104", 1), &lead)),
            forbidden()
        );
    }

    #[test]
    fn an_outsider_cannot_tell_a_missing_session_or_booking_from_another_partners() {
        let existing = given(&[scheduled(10), booked("R-0001", 1)]);
        let missing = Session::default();
        let outsider = ctx("P-york-digital", Role::PartnerCoordinator);
        let message = |session: &Session, reference: &str| {
            session
                .book_seat(
                    SESSION,
                    referral_from("P-york-digital", reference, 1),
                    &outsider,
                )
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(message(&existing, "R-0109"), message(&missing, "R-0109"));
        let cancel = |session: &Session, reference: &str, ctx: &Context| {
            session
                .cancel_booking(
                    CancelBookingRequest {
                        session_id: SESSION.to_string(),
                        booking_reference: reference.into(),
                        ..Default::default()
                    },
                    ctx,
                )
                .expect_err("refused")
                .to_string()
        };
        // A practice probing references: another's and a made-up one answer alike.
        let prober = practice("A81002");
        assert_eq!(
            cancel(&existing, "R-0001", &prober),
            cancel(&existing, "R-0002", &prober)
        );
        assert_eq!(
            cancel(&existing, "R-0001", &outsider),
            cancel(&missing, "R-0001", &outsider)
        );
        // Only a caller who could act anywhere learns that it does not exist.
        assert_eq!(
            refused(missing.book_seat(SESSION, referral("R-0109", 1), &service())),
            is("not found", "session_id")
        );
    }
}
