//! Community sessions run by partners over the coming weeks: at host practices (most
//! confirm, some decline and the session is called off, some have not answered) or at
//! community venues, in several languages, with practices booking seats for the people
//! they refer, full sessions keeping waitlists, cancellations promoting the waitlist, and
//! a few sessions cancelled.
//!
//! Every session starts in the future: `ScheduleSession` refuses a start in the past and
//! `RecordAttendance` one that has not begun, both against the store's clock, so a year of
//! past sessions with attendance cannot be loaded through the commands as they stand.

use chrono::{Datelike, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, Weekday};
use proto::v1::{
    AccessNeed, BookSeatRequest, CancelBookingRequest, CancelSessionRequest, ConfirmHostingRequest,
    DeclineHostingRequest, DigitalService, JoinWaitlistRequest, PatientGroup,
    ScheduleSessionRequest,
};
use rand::Rng;

use super::command::{Script, Step, Who};
use super::england::{ICBS, PARTNER_KINDS, Tree};
use super::seed::{DemoRng, Seed, days, index, weighted};

/// How far ahead partners schedule, in days.
const HORIZON_DAYS: i64 = 112;

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
pub(crate) fn scripts(seed: Seed, sessions: usize, tree: &Tree, today: NaiveDate) -> Vec<Script> {
    if tree.partners.is_empty() {
        return Vec::new();
    }
    (0..sessions)
        .map(|n| session(seed, n, tree, today))
        .collect()
}

fn session(seed: Seed, n: usize, tree: &Tree, today: NaiveDate) -> Script {
    let mut rng = seed.rng("session", n as u64);
    let partner = &tree.partners[index(&mut rng, tree.partners.len())];
    let coordinator = || Who::Coordinator(partner.code.clone());
    let kind = PARTNER_KINDS[partner.kind].0;

    let mut on = days(today, rng.random_range(1..=HORIZON_DAYS));
    match on.weekday() {
        Weekday::Sat => on = days(on, 2),
        Weekday::Sun => on = days(on, 1),
        _ => {}
    }
    let start_minutes = weighted(&mut rng, &[(600, 45), (810, 40), (1080, 15)]);
    let length = weighted(&mut rng, &[(90, 60), (120, 40)]);
    let at = |minutes: i64| {
        (on.and_time(NaiveTime::MIN) + TimeDelta::minutes(minutes))
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    };

    let icb = partner.covers[index(&mut rng, partner.covers.len())];
    let icb_code = tree.icb_code_on(icb, on);
    let practices: Vec<usize> = (0..ICBS.len())
        .filter(|i| tree.icb_code_on(*i, on) == icb_code)
        .flat_map(|i| tree.icb_practices[i].iter().copied())
        .collect();
    let host = (!practices.is_empty() && rng.random_bool(0.55)).then(|| {
        tree.practices[practices[index(&mut rng, practices.len())]]
            .code
            .clone()
    });
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

    if let Some(host) = &host {
        let practice = || Who::PracticeManager(host.clone());
        match weighted(&mut rng, &[(0, 70), (1, 10), (2, 20)]) {
            0 => script.push(Step::new(
                practice(),
                ConfirmHostingRequest {
                    request_id: seed.request_id(format_args!("host-{n}")),
                    session_id: session_id.clone(),
                    note: "Meeting room on the ground floor".to_owned(),
                },
            )),
            1 => {
                script.push(Step::new(
                    practice(),
                    DeclineHostingRequest {
                        request_id: seed.request_id(format_args!("host-{n}")),
                        session_id: session_id.clone(),
                        reason: "No room free at that time".to_owned(),
                    },
                ));
                // A declined session cannot take bookings: most partners call it off.
                if rng.random_bool(0.8) {
                    script.push(cancel_session(
                        seed,
                        n,
                        &session_id,
                        coordinator(),
                        "The host practice could not offer a room; it will be rescheduled",
                    ));
                }
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
        let (referrer, by) = if practices.is_empty() || rng.random_bool(0.15) {
            (partner.code.clone(), coordinator())
        } else {
            let code = tree.practices[practices[index(&mut rng, practices.len())]]
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
            script.push(Step::new(
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
            script.push(Step::new(
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
            script.push(cancel_booking(
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
        script.push(cancel_booking(
            seed,
            n,
            c,
            &session_id,
            &gone,
            "Found help elsewhere",
        ));
    }
    if rng.random_bool(0.03) {
        script.push(cancel_session(
            seed,
            n,
            &session_id,
            coordinator(),
            "The facilitator is unwell; the session will be rescheduled",
        ));
    }
    script
}

fn cancel_booking(
    seed: Seed,
    n: usize,
    c: usize,
    session_id: &str,
    held: &Held,
    reason: &str,
) -> Step {
    Step::new(
        held.by.clone(),
        CancelBookingRequest {
            request_id: seed.request_id(format_args!("cancel-{n}-{c}")),
            session_id: session_id.to_owned(),
            booking_reference: held.reference.clone(),
            reason: reason.to_owned(),
        },
    )
}

fn cancel_session(seed: Seed, n: usize, session_id: &str, who: Who, reason: &str) -> Step {
    Step::new(
        who,
        CancelSessionRequest {
            request_id: seed.request_id(format_args!("cancel-session-{n}")),
            session_id: session_id.to_owned(),
            reason: reason.to_owned(),
        },
    )
}
