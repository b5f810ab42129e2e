//! Community sessions: where and when, how full, who is waiting, who came.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::GatewayEvent;

// One type for the read model and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum Hosting {
    /// At a community venue: no practice needs to confirm.
    NotNeeded,
    Pending,
    Confirmed,
    Declined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Booking {
    pub reference: String,
    pub referring_organisation_code: String,
    pub places: u32,
    pub interpreter_language: String,
    pub access_needs: Vec<i32>,
    pub status: BookingStatus,
    /// Joined the waitlist first, then got a place.
    pub promoted: bool,
}

/// The booking a `SeatBooked` or a `WaitlistJoined` records: the two events carry the
/// same fields, and differ only in where the booking stands.
macro_rules! booking {
    ($event:expr, $status:expr) => {
        Booking {
            reference: $event.booking_reference.clone(),
            referring_organisation_code: $event.referring_organisation_code.clone(),
            places: $event.places,
            interpreter_language: $event.interpreter_language.clone(),
            access_needs: $event.access_needs.clone(),
            status: $status,
            promoted: false,
        }
    };
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Attendance {
    pub attended: u32,
    pub no_shows: u32,
    pub walk_ins: u32,
    pub registered_for_nhs_app: u32,
    pub completed_task_online: u32,
    pub referred_to_community_session: u32,
    pub declined_help: u32,
    pub set_up_proxy_access: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub partner_code: String,
    pub icb_code: String,
    pub host_practice_code: String,
    pub venue_name: String,
    pub venue_postcode_district: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub capacity: u32,
    pub topics: Vec<i32>,
    pub languages: Vec<String>,
    pub accessibility: Vec<i32>,
    pub target_groups: Vec<i32>,
    pub title: String,
    pub description: String,
    pub commissioner_code: String,
    pub hosting: Hosting,
    pub hosting_note: String,
    /// Every booking and waitlist place, in order of booking or joining.
    pub bookings: Vec<Booking>,
    pub cancelled: Option<String>,
    pub attendance: Option<Attendance>,
}

impl Session {
    /// Where the session is held, for placing it in the tree: its host practice, or its
    /// ICB for a community venue (as the domain's `Session::place`).
    pub fn place(&self) -> &str {
        if self.host_practice_code.is_empty() {
            &self.icb_code
        } else {
            &self.host_practice_code
        }
    }

    /// Places confirmed in the session's stream; never above capacity (the stream
    /// guarantees it). Still counted after a cancellation, as the stream does.
    pub fn confirmed_places(&self) -> u32 {
        self.sum(BookingStatus::Confirmed)
    }

    pub fn waiting_places(&self) -> u32 {
        self.sum(BookingStatus::Waitlisted)
    }

    /// Places booked as every view counts them: none once the session is cancelled
    /// (DESIGN.md §5), so a cancelled session adds nothing to any total.
    pub fn booked(&self) -> u32 {
        if self.cancelled.is_some() {
            0
        } else {
            self.confirmed_places()
        }
    }

    /// Places asked for on the waitlist; none once cancelled.
    pub fn waitlisted(&self) -> u32 {
        if self.cancelled.is_some() {
            0
        } else {
            self.waiting_places()
        }
    }

    /// Places still free; none once cancelled.
    pub fn available(&self) -> u32 {
        if self.cancelled.is_some() {
            return 0;
        }
        self.capacity.saturating_sub(self.booked())
    }

    /// Every place taken, and not cancelled: a cancelled session is not full.
    pub fn is_full(&self) -> bool {
        self.cancelled.is_none() && self.available() == 0
    }

    fn sum(&self, status: BookingStatus) -> u32 {
        self.bookings
            .iter()
            .filter(|b| b.status == status)
            .map(|b| b.places)
            .sum()
    }

    /// The organisations that run, host, fund or serve this session: they (and the
    /// commissioners above them) may see all its bookings. A referrer sees its own.
    pub fn involved(&self) -> impl Iterator<Item = &str> {
        [
            self.partner_code.as_str(),
            self.host_practice_code.as_str(),
            self.commissioner_code.as_str(),
            self.icb_code.as_str(),
        ]
        .into_iter()
        .filter(|c| !c.is_empty())
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Sessions {
    pub sessions: HashMap<String, Session>,
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    domain::values::instant("instant", text).ok()
}

impl Sessions {
    pub(super) fn apply(&mut self, event: &GatewayEvent) {
        match event {
            GatewayEvent::SessionScheduled(e) => {
                self.sessions.insert(
                    e.session_id.clone(),
                    Session {
                        id: e.session_id.clone(),
                        partner_code: e.partner_code.clone(),
                        icb_code: e.icb_code.clone(),
                        host_practice_code: e.host_practice_code.clone(),
                        venue_name: e.venue_name.clone(),
                        venue_postcode_district: e.venue_postcode_district.clone(),
                        starts_at: instant(&e.starts_at),
                        ends_at: instant(&e.ends_at),
                        capacity: e.capacity,
                        topics: e.topics.clone(),
                        languages: e.languages.clone(),
                        accessibility: e.accessibility.clone(),
                        target_groups: e.target_groups.clone(),
                        title: e.title.clone(),
                        description: e.description.clone(),
                        commissioner_code: e.commissioner_code.clone(),
                        hosting: if e.host_practice_code.is_empty() {
                            Hosting::NotNeeded
                        } else {
                            Hosting::Pending
                        },
                        hosting_note: String::new(),
                        bookings: Vec::new(),
                        cancelled: None,
                        attendance: None,
                    },
                );
            }
            GatewayEvent::HostingConfirmed(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.hosting = Hosting::Confirmed;
                    s.hosting_note = e.note.clone();
                }
            }
            GatewayEvent::HostingDeclined(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.hosting = Hosting::Declined;
                    s.hosting_note = e.reason.clone();
                }
            }
            GatewayEvent::SeatBooked(e) => {
                self.add_booking(&e.session_id, booking!(e, BookingStatus::Confirmed));
            }
            GatewayEvent::WaitlistJoined(e) => {
                self.add_booking(&e.session_id, booking!(e, BookingStatus::Waitlisted));
            }
            GatewayEvent::WaitlistPromoted(e) => {
                if let Some(b) = self.booking(&e.session_id, &e.booking_reference) {
                    b.status = BookingStatus::Confirmed;
                    b.promoted = true;
                }
            }
            GatewayEvent::BookingCancelled(e) => {
                if let Some(b) = self.booking(&e.session_id, &e.booking_reference) {
                    b.status = BookingStatus::Cancelled;
                }
            }
            GatewayEvent::SessionCancelled(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.cancelled = Some(e.reason.clone());
                }
            }
            GatewayEvent::AttendanceRecorded(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.attendance = Some(Attendance {
                        attended: e.attended,
                        no_shows: e.no_shows,
                        walk_ins: e.walk_ins,
                        registered_for_nhs_app: e.registered_for_nhs_app,
                        completed_task_online: e.completed_task_online,
                        referred_to_community_session: e.referred_to_community_session,
                        declined_help: e.declined_help,
                        set_up_proxy_access: e.set_up_proxy_access,
                    });
                }
            }
            _ => {}
        }
    }

    fn add_booking(&mut self, session: &str, booking: Booking) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.bookings.push(booking);
        }
    }

    fn booking(&mut self, session: &str, reference: &str) -> Option<&mut Booking> {
        self.sessions
            .get_mut(session)?
            .bookings
            .iter_mut()
            .find(|b| b.reference == reference)
    }
}

#[cfg(test)]
mod tests;
