//! Community sessions run by partners across the year and the coming weeks: at host
//! practices (most confirm, some decline and the session is called off, some never answer)
//! or at community venues, in several languages, with practices booking seats for the
//! people they refer, full sessions keeping waitlists, cancellations promoting the
//! waitlist, and a few sessions cancelled.
//!
//! Each session is scheduled one to six weeks before it starts; hosting answers, bookings
//! and cancellations follow in the days between, and once a session is over its partner
//! records who came and what they achieved. The store's clock stands on each step's day,
//! so `ScheduleSession` (no start in the past) and `RecordAttendance` (only once started)
//! judge them as on that day.

use chrono::{Datelike, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, Weekday};
use proto::v1::{
    AccessNeed, BookSeatRequest, CancelBookingRequest, CancelSessionRequest, ConfirmHostingRequest,
    DeclineHostingRequest, DigitalService, JoinWaitlistRequest, PatientGroup,
    RecordAttendanceRequest, ScheduleSessionRequest,
};
use rand::Rng;

use super::command::{Script, Step, Who};
use super::england::{ICBS, PARTNER_KINDS, Tree};
use super::seed::{DemoRng, Seed, Year, days, index, weighted};

/// How far past today sessions are planned, in days.
const HORIZON_DAYS: i64 = 112;
/// The first sessions start three weeks into the year.
const FIRST_DAY: i64 = 21;

const ATTENDANCE_NOTES: [&str; 4] = [
    "Most people left with the NHS App working on their own phone",
    "Several people came back from the last session to learn more",
    "Two borrowed devices were set up for people who have none",
    "The room was small for the number who came",
];

const LANGUAGES: [&str; 9] = ["pl", "ur", "pa-Guru", "ro", "bn", "ar", "so", "pt", "gu"];

const VENUES: [&str; 5] = [
    "Synthetic Community Library",
    "Synthetic Community Centre",
    "Synthetic Faith Centre Hall",
    "Synthetic Family Hub",
    "Synthetic Adult Learning Centre",
];

const ACCESS: [AccessNeed; 8] = [
    AccessNeed::Wheelchair,
    AccessNeed::HearingLoop,
    AccessNeed::LargePrint,
    AccessNeed::EasyRead,
    AccessNeed::AccessibleToilet,
    AccessNeed::QuietSpace,
    AccessNeed::CarerWelcome,
    AccessNeed::DeviceLoan,
];

fn title(topic: DigitalService) -> &'static str {
    match topic {
        DigitalService::NhsApp => "NHS App drop-in: getting started",
        DigitalService::OnlinePrescriptions => "Ordering repeat prescriptions online",
        DigitalService::OnlineConsultation => "Asking your practice for help online",
        DigitalService::OnlineAppointments => "Booking appointments online",
        DigitalService::OnlineRecords => "Seeing your GP record online",
        DigitalService::VideoConsultation => "Video consultations: a first try",
        _ => "Finding your way round your practice website",
    }
}

/// Who the session is aimed at, from what the partner does.
fn target_groups(kind: &str, rng: &mut DemoRng) -> Vec<PatientGroup> {
    use PatientGroup as G;
    match kind {
        "older-people" | "digital-buddies" => vec![G::OlderPeople],
        "refugee-welcome" => vec![G::RefugeesAsylumSeekers, G::LimitedEnglish],
        "deaf-association" => vec![G::SensoryImpairment],
        "ld-advocacy" => vec![G::LearningDisability],
        "travellers-liaison" => vec![G::Travellers],
        "housing-support" => vec![G::Homeless],
        "peer-support" => vec![G::MentalIllness],
        _ if rng.random_bool(0.5) => vec![G::OlderPeople],
        _ => vec![],
    }
}

/// A booking as the session holds it.
#[derive(Debug, Clone)]
struct Held {
    reference: String,
    places: u32,
    by: Who,
}

/// Every session: one script each (its stream).
pub(crate) fn scripts(seed: Seed, sessions: usize, tree: &Tree, year: Year) -> Vec<Script> {
    if tree.partners.is_empty() {
        return Vec::new();
    }
    (0..sessions)
        .map(|n| session(seed, n, tree, year))
        .collect()
}

/// The practices within ICB `icb_code` on `day` (a merged ICB's from the merger on).
fn practices_on(tree: &Tree, icb_code: &str, day: NaiveDate) -> Vec<usize> {
    (0..ICBS.len())
        .filter(|i| tree.icb_code_on(*i, day) == icb_code)
        .flat_map(|i| tree.icb_practices[i].iter().copied())
        .collect()
}

fn session(seed: Seed, n: usize, tree: &Tree, year: Year) -> Script {
    let today = year.today;
    let mut rng = seed.rng("session", n as u64);
    let partner = &tree.partners[index(&mut rng, tree.partners.len())];
    let coordinator = || Who::Coordinator(partner.code.clone());
    let kind = PARTNER_KINDS[partner.kind].0;

    let span = (today - year.start).num_days() + HORIZON_DAYS;
    let mut on = days(year.start, rng.random_range(FIRST_DAY..=span));
    match on.weekday() {
        Weekday::Sat => on = days(on, 2),
        Weekday::Sun => on = days(on, 1),
        _ => {}
    }
    // Scheduled weeks ahead, and never today for a session that starts today (it may
    // have started already by the clock).
    let scheduled =
        days(on, -rng.random_range(7..=42)).clamp(days(year.start, 1), days(on, -1).min(today));
    // What happens before the session happens by the day before it, and by today.
    let eve = days(on, -1).min(today);
    let start_minutes = weighted(&mut rng, &[(600, 45), (810, 40), (1080, 15)]);
    let length = weighted(&mut rng, &[(90, 60), (120, 40)]);
    let at = |minutes: i64| {
        (on.and_time(NaiveTime::MIN) + TimeDelta::minutes(minutes))
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    };

    let icb = partner.covers[index(&mut rng, partner.covers.len())];
    let icb_code = tree.icb_code_on(icb, on);
    let practices = practices_on(tree, icb_code, on);
    let host = (!practices.is_empty() && rng.random_bool(0.55)).then(|| {
        tree.practices[practices[index(&mut rng, practices.len())]]
            .code
            .clone()
    });
    // Referrers belong to the session's ICB on every day they may act on it: a merged
    // ICB's practices join its successor's sessions only from the merger on.
    let referrers: Vec<usize> = {
        let before = practices_on(tree, icb_code, scheduled);
        practices
            .iter()
            .copied()
            .filter(|p| before.contains(p))
            .collect()
    };
    let (venue_name, venue_district) = if host.is_some() {
        (String::new(), String::new())
    } else {
        let areas = ICBS[icb].postcode_areas;
        (
            format!(
                "{} {} (demo)",
                VENUES[index(&mut rng, VENUES.len())],
                1 + n % 40
            ),
            format!(
                "{}{}",
                areas[index(&mut rng, areas.len())],
                rng.random_range(1..=20)
            ),
        )
    };

    let mut topics = vec![weighted(
        &mut rng,
        &[
            (DigitalService::NhsApp, 40),
            (DigitalService::OnlinePrescriptions, 15),
            (DigitalService::OnlineConsultation, 15),
            (DigitalService::OnlineAppointments, 12),
            (DigitalService::OnlineRecords, 8),
            (DigitalService::VideoConsultation, 5),
            (DigitalService::PracticeWebsite, 5),
        ],
    )];
    if rng.random_bool(0.3) && topics[0] != DigitalService::OnlinePrescriptions {
        topics.push(DigitalService::OnlinePrescriptions);
    }
    let mut languages = vec!["en".to_owned()];
    if kind == "refugee-welcome" || rng.random_bool(0.3) {
        languages.push(LANGUAGES[index(&mut rng, LANGUAGES.len())].to_owned());
    }
    let mut accessibility = Vec::new();
    for _ in 0..rng.random_range(1..=4) {
        let need = ACCESS[index(&mut rng, ACCESS.len())];
        if !accessibility.contains(&i32::from(need)) {
            accessibility.push(i32::from(need));
        }
    }
    if kind == "deaf-association" {
        accessibility.push(AccessNeed::BslInterpreter.into());
    }
    let capacity: u32 = rng.random_range(8..=20);
    let session_id = seed.id("session", n).to_string();
    let mut script = vec![Step::new(
        scheduled,
        coordinator(),
        ScheduleSessionRequest {
            request_id: seed.request_id(format_args!("session-{n}")),
            session_id: session_id.clone(),
            partner_code: partner.code.clone(),
            icb_code: icb_code.to_owned(),
            host_practice_code: host.clone().unwrap_or_default(),
            venue_name,
            venue_postcode_district: venue_district,
            starts_at: at(start_minutes),
            ends_at: at(start_minutes + length),
            capacity,
            topics: topics.iter().map(|t| i32::from(*t)).collect(),
            languages: languages.clone(),
            accessibility,
            target_groups: target_groups(kind, &mut rng)
                .into_iter()
                .map(i32::from)
                .collect(),
            title: format!("{} (demo)", title(topics[0])),
            description:
                "Bring your phone or tablet if you have one; devices are available to borrow"
                    .to_owned(),
            commissioner_code: if rng.random_bool(0.6) {
                icb_code.to_owned()
            } else {
                String::new()
            },
        },
    )];
    // What follows before the session, in order: each step is dated `scheduled` until
    // `spread` gives them their days, once they are all known.
    let mut before: Script = Vec::new();

    if let Some(host) = &host {
        let practice = || Who::PracticeManager(host.clone());
        match weighted(&mut rng, &[(0, 70), (1, 10), (2, 20)]) {
            0 => before.push(Step::new(
                scheduled,
                practice(),
                ConfirmHostingRequest {
                    request_id: seed.request_id(format_args!("host-{n}")),
                    session_id: session_id.clone(),
                    note: "Meeting room on the ground floor".to_owned(),
                },
            )),
            1 => {
                before.push(Step::new(
                    scheduled,
                    practice(),
                    DeclineHostingRequest {
                        request_id: seed.request_id(format_args!("host-{n}")),
                        session_id: session_id.clone(),
                        reason: "No room free at that time".to_owned(),
                    },
                ));
                // A declined session cannot take bookings: most partners call it off.
                if rng.random_bool(0.8) {
                    before.push(cancel_session(
                        scheduled,
                        seed,
                        n,
                        &session_id,
                        coordinator(),
                        "The host practice could not offer a room; it will be rescheduled",
                    ));
                }
                // Nowhere to hold it: whatever happened on the day, nobody records it.
                spread(&mut rng, year, &mut before, scheduled, eve);
                script.extend(before);
                return script;
            }
            _ => {}
        }
    }

    // Bookings until demand is met; what does not fit joins the waitlist.
    let demand = (f64::from(capacity) * rng.random_range(0.3..1.5)).round() as u32;
    let (mut confirmed, mut waitlist): (Vec<Held>, Vec<Held>) = (Vec::new(), Vec::new());
    let mut asked = 0;
    let mut k = 0;
    while asked < demand {
        let places = weighted(&mut rng, &[(1u32, 80), (2, 20)]);
        let (referrer, by) = if referrers.is_empty() || rng.random_bool(0.15) {
            (partner.code.clone(), coordinator())
        } else {
            let code = tree.practices[referrers[index(&mut rng, referrers.len())]]
                .code
                .clone();
            (code.clone(), Who::PracticeManager(code))
        };
        let interpreter = if languages.len() > 1 && rng.random_bool(0.2) {
            languages[1].clone()
        } else {
            String::new()
        };
        let needs: Vec<i32> = if rng.random_bool(0.15) {
            vec![ACCESS[index(&mut rng, ACCESS.len())].into()]
        } else {
            vec![]
        };
        let reference = seed.id("booking", format_args!("{n}-{k}")).to_string();
        let remaining = capacity - confirmed.iter().map(|h: &Held| h.places).sum::<u32>();
        let held = Held {
            reference: reference.clone(),
            places,
            by: by.clone(),
        };
        if places <= remaining {
            before.push(Step::new(
                scheduled,
                by,
                BookSeatRequest {
                    request_id: seed.request_id(format_args!("book-{n}-{k}")),
                    session_id: session_id.clone(),
                    booking_reference: reference,
                    referring_organisation_code: referrer,
                    places,
                    interpreter_language: interpreter,
                    access_needs: needs,
                },
            ));
            confirmed.push(held);
        } else {
            before.push(Step::new(
                scheduled,
                by,
                JoinWaitlistRequest {
                    request_id: seed.request_id(format_args!("wait-{n}-{k}")),
                    session_id: session_id.clone(),
                    booking_reference: reference,
                    referring_organisation_code: referrer,
                    places,
                    interpreter_language: interpreter,
                    access_needs: needs,
                },
            ));
            waitlist.push(held);
        }
        asked += places;
        k += 1;
    }

    // Cancellations: a confirmed place frees room for the waitlist, first fit from its
    // head (the session decides the promotions; this keeps track of them).
    let mut c = 0;
    let mut i = 0;
    while i < confirmed.len() {
        if rng.random_bool(0.08) {
            let gone = confirmed.remove(i);
            before.push(cancel_booking(
                scheduled,
                seed,
                n,
                c,
                &session_id,
                &gone,
                "The person can no longer come",
            ));
            c += 1;
            let mut free = capacity - confirmed.iter().map(|h| h.places).sum::<u32>();
            let mut w = 0;
            while w < waitlist.len() {
                if waitlist[w].places <= free {
                    free -= waitlist[w].places;
                    confirmed.push(waitlist.remove(w));
                } else {
                    w += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    if let Some(gone) = waitlist.first().filter(|_| rng.random_bool(0.1)).cloned() {
        before.push(cancel_booking(
            scheduled,
            seed,
            n,
            c,
            &session_id,
            &gone,
            "Found help elsewhere",
        ));
    }
    let cancelled = rng.random_bool(0.03);
    if cancelled {
        before.push(cancel_session(
            scheduled,
            seed,
            n,
            &session_id,
            coordinator(),
            "The facilitator is unwell; the session will be rescheduled",
        ));
    }
    spread(&mut rng, year, &mut before, scheduled, eve);
    script.extend(before);

    // Once it is over, the partner records who came: a day or three later.
    if !cancelled && on < today {
        let recorded = days(on, rng.random_range(1..=3)).min(today);
        let places: u32 = confirmed.iter().map(|h| h.places).sum();
        script.push(attendance(
            seed,
            n,
            &session_id,
            places,
            recorded,
            coordinator(),
            &mut rng,
        ));
    }
    script
}

/// Gives `steps` days from `from` to `to`, in their order.
fn spread(rng: &mut DemoRng, year: Year, steps: &mut Script, from: NaiveDate, to: NaiveDate) {
    let drawn = year.days_in_order(rng, steps.len(), from, to);
    for (step, on) in steps.iter_mut().zip(drawn) {
        step.on = on;
    }
}

/// What happened at a session that held `places` confirmed places: some booked people did
/// not come, a few walked in, and most who came left with something done.
fn attendance(
    seed: Seed,
    n: usize,
    session_id: &str,
    places: u32,
    on: NaiveDate,
    who: Who,
    rng: &mut DemoRng,
) -> Step {
    let no_shows = (f64::from(places) * rng.random_range(0.05..0.35)).round() as u32;
    let walk_ins = weighted(rng, &[(0u32, 55), (1, 25), (2, 12), (3, 8)]);
    let attended = places - no_shows + walk_ins;
    let part = |rng: &mut DemoRng, share: f64| -> u32 {
        let most = (f64::from(attended) * share).round() as u32;
        rng.random_range(0..=most.min(attended))
    };
    Step::new(
        on,
        who,
        RecordAttendanceRequest {
            request_id: seed.request_id(format_args!("attendance-{n}")),
            session_id: session_id.to_owned(),
            attended,
            no_shows,
            walk_ins,
            registered_for_nhs_app: part(rng, 0.6),
            completed_task_online: part(rng, 0.7),
            referred_to_community_session: part(rng, 0.15),
            declined_help: part(rng, 0.1),
            set_up_proxy_access: part(rng, 0.1),
            notes: if rng.random_bool(0.2) {
                ATTENDANCE_NOTES[index(rng, ATTENDANCE_NOTES.len())].to_owned()
            } else {
                String::new()
            },
        },
    )
}

fn cancel_booking(
    on: NaiveDate,
    seed: Seed,
    n: usize,
    c: usize,
    session_id: &str,
    held: &Held,
    reason: &str,
) -> Step {
    Step::new(
        on,
        held.by.clone(),
        CancelBookingRequest {
            request_id: seed.request_id(format_args!("cancel-{n}-{c}")),
            session_id: session_id.to_owned(),
            booking_reference: held.reference.clone(),
            reason: reason.to_owned(),
        },
    )
}

fn cancel_session(
    on: NaiveDate,
    seed: Seed,
    n: usize,
    session_id: &str,
    who: Who,
    reason: &str,
) -> Step {
    Step::new(
        on,
        who,
        CancelSessionRequest {
            request_id: seed.request_id(format_args!("cancel-session-{n}")),
            session_id: session_id.to_owned(),
            reason: reason.to_owned(),
        },
    )
}
