//! `/sessions/{id}`: one community session (DESIGN.md §5 `session`) and what a partner
//! or a referring practice does with it: book places for someone referred (a count and
//! needs, never a name), cancel a booking, record who came. Each form POSTs here with the
//! session's CSRF token and runs the API's own mutation as the visitor, so the policy and
//! the errors are the API's; an error is shown next to the field it names.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::sessions::{place, status, when};
use super::{Org, Shown};
use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::form::{self, CheckedForm, Command, Posted, Problems};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::session::Visitor;
use auth::Role;

const QUERY: &str = r#"
query Session($id: String!) {
  session(id: $id) {
    id title description partner { code name } icb { code name } hostPractice { code name }
    venueName venuePostcodeDistrict startsAt endsAt capacity booked available waitlisted
    full cancelled cancellationReason languages
    bookings { reference referredBy { code name } places interpreterLanguage accessNeeds state promoted }
    attendance { attended { display } noShows { display } walkIns { display } registeredForNhsApp { display } }
  }
}"#;

const BOOK: &str =
    "mutation Book($input: BookSeatInput!) { bookSeat(input: $input) { createdId lastPosition } }";
const CANCEL: &str = "mutation Cancel($input: CancelBookingInput!) { cancelBooking(input: $input) { lastPosition } }";
const ATTEND: &str = "mutation Attend($input: RecordAttendanceInput!) { recordAttendance(input: $input) { lastPosition } }";

#[derive(Debug, Deserialize)]
struct Answer {
    session: Session,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    id: String,
    title: String,
    description: String,
    partner: Org,
    icb: Org,
    host_practice: Option<Org>,
    venue_name: String,
    venue_postcode_district: String,
    starts_at: Option<String>,
    ends_at: Option<String>,
    capacity: u32,
    booked: u32,
    available: u32,
    waitlisted: u32,
    full: bool,
    cancelled: bool,
    cancellation_reason: Option<String>,
    languages: Vec<String>,
    bookings: Vec<Booking>,
    attendance: Option<Attendance>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Booking {
    reference: String,
    referred_by: Org,
    places: u32,
    interpreter_language: Option<String>,
    access_needs: Vec<String>,
    state: String,
    promoted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attendance {
    attended: Shown,
    no_shows: Shown,
    walk_ins: Shown,
    registered_for_nhs_app: Shown,
}

/// The access needs a booking can name, as the API names them and in words.
const NEEDS: [(&str, &str); 12] = [
    ("WHEELCHAIR", "Step-free access and wheelchair space"),
    ("HEARING_LOOP", "Hearing loop"),
    ("BSL_INTERPRETER", "British Sign Language interpreter"),
    ("LARGE_PRINT", "Large print"),
    ("EASY_READ", "Easy-read materials"),
    ("ASSISTANCE_DOG_FRIENDLY", "Assistance dog welcome"),
    ("ACCESSIBLE_TOILET", "Accessible toilet"),
    ("QUIET_SPACE", "A quiet room"),
    ("CARER_WELCOME", "A carer or companion coming too"),
    ("DEVICE_LOAN", "A phone or tablet to borrow"),
    (
        "SCREEN_READER",
        "A device with a screen reader or magnifier",
    ),
    ("OTHER", "Something else"),
];

fn need_word(need: &str) -> &str {
    NEEDS
        .iter()
        .find(|(n, _)| *n == need)
        .map_or(need, |(_, w)| w)
}

#[derive(Debug)]
struct BookingRow {
    reference: String,
    referred_by: String,
    places: u32,
    needs: String,
    state: (&'static str, &'static str),
    /// Still holds places, so it can be cancelled.
    live: bool,
}

#[derive(Template)]
#[template(path = "session.html")]
struct Page {
    layout: Layout,
    s: Session,
    status: (&'static str, &'static str),
    when: String,
    until: String,
    place: String,
    bookings: Vec<BookingRow>,
    needs: Vec<(&'static str, &'static str)>,
    may_book: bool,
    may_record: bool,
    done: Option<&'static str>,
    /// What was typed, shown again with the errors.
    typed: Posted,
    problems: Problems,
}

/// Roles that book places for someone they referred.
const BOOKS: [Role; 3] = [
    Role::PartnerCoordinator,
    Role::PracticeManager,
    Role::PracticeStaff,
];

async fn render(
    gw: &Gateway,
    visitor: &Visitor,
    id: &str,
    typed: Posted,
    problems: Problems,
    done: Option<&'static str>,
) -> Response {
    let layout = Layout::new(gw, visitor, "/sessions");
    let answer: Answer =
        match super::ask(gw, visitor, &layout, QUERY, serde_json::json!({ "id": id })).await {
            Ok(a) => a,
            Err(failed) => return failed,
        };
    let s = answer.session;
    let bookings = s
        .bookings
        .iter()
        .map(|b| BookingRow {
            reference: b.reference.clone(),
            referred_by: format!("{} ({})", b.referred_by.name, b.referred_by.code),
            places: b.places,
            needs: b
                .access_needs
                .iter()
                .map(|n| need_word(n).to_owned())
                .chain(
                    b.interpreter_language
                        .iter()
                        .map(|l| format!("Interpreter: {l}")),
                )
                .collect::<Vec<_>>()
                .join("; "),
            state: match (b.state.as_str(), b.promoted) {
                ("CONFIRMED", false) => ("Booked", "nhsuk-tag--green"),
                ("CONFIRMED", true) => ("Booked from the waitlist", "nhsuk-tag--green"),
                ("WAITLISTED", _) => ("Waiting", "nhsuk-tag--yellow"),
                _ => ("Cancelled", "nhsuk-tag--grey"),
            },
            live: b.state != "CANCELLED",
        })
        .collect();
    let page = Page {
        may_book: layout.may(&BOOKS) && !s.cancelled,
        may_record: layout.may(&[Role::PartnerCoordinator]) && !s.cancelled,
        layout,
        status: status(s.cancelled, s.full),
        when: when(s.starts_at.as_deref()),
        until: when(s.ends_at.as_deref()),
        place: place(
            s.host_practice.as_ref(),
            &s.venue_name,
            &s.venue_postcode_district,
        ),
        bookings,
        needs: NEEDS.to_vec(),
        done,
        typed,
        problems,
        s,
    };
    html(&page)
}

/// `GET /sessions/{id}`; `?done=` says which form just worked.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done.in_words(&[
        ("booked", "The places are booked."),
        (
            "cancelled",
            "The booking is cancelled; its places went to the waitlist if anyone was waiting.",
        ),
        ("recorded", "Attendance is recorded."),
    ]);
    render(
        &gw,
        &visitor,
        &id,
        Posted::default(),
        Problems::default(),
        done,
    )
    .await
}

/// The inputs' ids are the API's field names, so an error's `extensions.field` is the
/// input it concerns; a booking reference's error goes to the bookings table.
const FIELDS: [(&str, &str); 9] = [
    ("referringOrganisationCode", "referringOrganisationCode"),
    ("places", "places"),
    ("interpreterLanguage", "interpreterLanguage"),
    ("accessNeeds", "accessNeeds"),
    ("bookingReference", "bookings"),
    ("attended", "attended"),
    ("noShows", "noShows"),
    ("walkIns", "walkIns"),
    ("registeredForNhsApp", "registeredForNhsApp"),
];

/// Sends a form's command, unless the form has `problems` of its own, and shows what
/// came of it: the page again after a redirect when it worked (so a reload does not send
/// it twice), or the form with the problems next to their fields.
async fn submit(
    gw: &Gateway,
    visitor: &Visitor,
    id: &str,
    typed: Posted,
    problems: Problems,
    command: Command<'_>,
    done: &str,
) -> Response {
    let done = format!("/sessions/{}?done={done}", encode(id));
    form::submit_checked(
        gw,
        visitor,
        problems,
        command,
        &done,
        "/sessions",
        |problems| render(gw, visitor, id, typed, problems, None),
    )
    .await
}

/// `POST /sessions/{id}/book`.
pub async fn book(
    State(gw): State<Gateway>,
    Path(id): Path<String>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let mut problems = Problems::default();
    let places = typed.count("places", "how many places", None, &mut problems);
    // The hint offers the partner's own code, which is mixed case.
    let referrer = form::known_code(&gw, Some(typed.get("referringOrganisationCode")));
    if referrer.is_empty() {
        problems.add(
            "referringOrganisationCode",
            "Enter the code of the practice that referred them",
        );
    }
    // Only the needs the form offers: anything else is no choice the visitor made.
    let needs: Vec<&str> = typed
        .all("accessNeeds")
        .into_iter()
        .filter(|n| NEEDS.iter().any(|(need, _)| need == n))
        .collect();
    let input = serde_json::json!({
        "sessionId": id,
        "referringOrganisationCode": referrer,
        "places": places,
        "interpreterLanguage": typed.optional("interpreterLanguage"),
        "accessNeeds": needs,
    });
    let command = Command {
        mutation: BOOK,
        input,
        fields: &FIELDS,
        fallback: "places",
    };
    submit(&gw, &visitor, &id, typed, problems, command, "booked").await
}

/// `POST /sessions/{id}/cancel`: one booking's button.
pub async fn cancel(
    State(gw): State<Gateway>,
    Path(id): Path<String>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let input = serde_json::json!({
        "sessionId": id,
        "bookingReference": typed.get("bookingReference").trim(),
    });
    let command = Command {
        mutation: CANCEL,
        input,
        fields: &FIELDS,
        fallback: "bookings",
    };
    let none = Problems::default();
    submit(
        &gw,
        &visitor,
        &id,
        Posted::default(),
        none,
        command,
        "cancelled",
    )
    .await
}

/// `POST /sessions/{id}/attendance`.
pub async fn attendance(
    State(gw): State<Gateway>,
    Path(id): Path<String>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let mut problems = Problems::default();
    let p = &mut problems;
    let input = serde_json::json!({
        "sessionId": id,
        "attended": typed.count("attended", "how many people came", None, p),
        "noShows": typed.count("noShows", "how many booked places nobody took up", Some(0), p),
        "walkIns": typed.count("walkIns", "how many came without a booking", Some(0), p),
        "registeredForNhsApp": typed.count(
            "registeredForNhsApp",
            "how many are now registered for the NHS App",
            Some(0),
            p,
        ),
    });
    let command = Command {
        mutation: ATTEND,
        input,
        fields: &FIELDS,
        fallback: "attended",
    };
    submit(&gw, &visitor, &id, typed, problems, command, "recorded").await
}
