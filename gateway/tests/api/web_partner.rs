//! The partner's pages with the domain services behind them: my sessions, one session's
//! forms (book for a referral, cancel, record attendance) going through the API's own
//! mutations, and host practices; each compared with what the API answers the same
//! caller.

use auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, Role, TokenIssuer};
use axum::http::StatusCode;
use gateway::caller::Authentication;

use crate::web::{SECRET, Site, Visitor, assert_one_origin, live_site};

const PARTNER: &str = "P-leeds-libraries";

/// A verified caller of `org` with `roles`, as a bearer token of the site's would make.
pub(crate) fn caller(site: &Site, org: &str, roles: &[Role]) -> Authentication {
    let token = TokenIssuer::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .mint(
            &format!("test@{org}"),
            org,
            roles,
            std::time::Duration::from_secs(600),
        )
        .expect("token");
    Authentication::from_token(&token, &site.verifier)
}

/// Runs `query` through the API as `auth`; its data.
pub(crate) async fn api(
    site: &Site,
    auth: Authentication,
    query: &str,
    vars: serde_json::Value,
) -> serde_json::Value {
    let answer = site
        .world
        .schema
        .execute(
            async_graphql::Request::new(query)
                .variables(async_graphql::Variables::from_json(vars))
                .data(auth),
        )
        .await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    answer.data.into_json().expect("json")
}

/// Runs the mutation `field` (`scheduleSession`) with `input` as a caller of `org` with
/// `roles`, and waits for the read models to fold it; the id of the aggregate it acted on.
pub(crate) async fn command(
    site: &Site,
    org: &str,
    roles: &[Role],
    field: &str,
    input: serde_json::Value,
) -> String {
    let input_type = format!("{}{}Input", field[..1].to_uppercase(), &field[1..]);
    let data = api(
        site,
        caller(site, org, roles),
        &format!("mutation ($input: {input_type}!) {{ {field}(input: $input) {{ aggregateId }} }}"),
        serde_json::json!({ "input": input }),
    )
    .await;
    site.caught_up().await;
    data[field]["aggregateId"].as_str().expect("id").to_owned()
}

/// Schedules a session of `capacity` places tomorrow at A81001, as the partner; its id.
pub(crate) async fn schedule(site: &Site, capacity: i64) -> String {
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    command(
        site,
        PARTNER,
        &[Role::PartnerCoordinator],
        "scheduleSession",
        serde_json::json!({
            "partnerCode": PARTNER,
            "icbCode": "QWO",
            "hostPracticeCode": "A81001",
            "startsAt": format!("{tomorrow}T10:00:00Z"),
            "endsAt": format!("{tomorrow}T12:00:00Z"),
            "capacity": capacity,
            "topics": ["NHS_APP"],
            "title": "NHS App help at the surgery",
        }),
    )
    .await
}

/// The session's figures as the API answers the partner.
async fn figures(site: &Site, id: &str) -> serde_json::Value {
    api(
        site,
        caller(site, PARTNER, &[Role::PartnerCoordinator]),
        "query ($id: String!) { session(id: $id) { capacity booked available waitlisted bookings { reference places state } attendance { attended { display } } } }",
        serde_json::json!({ "id": id }),
    )
    .await["session"]
        .clone()
}

#[tokio::test]
async fn a_partner_books_cancels_and_records_attendance_through_the_api() {
    let site = live_site().await;
    let id = schedule(&site, 3).await;
    let session = site.sign_in(PARTNER, "partner_coordinator").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/sessions\"");
    home.shows("href=\"/host-practices\"");

    // My sessions: the one scheduled, with the API's fill.
    let list = site.get("/sessions", Some(&session)).await;
    list.assert_status(StatusCode::OK);
    assert_one_origin("/sessions", &list.body);
    list.shows(&format!("href=\"/sessions/{id}\""));
    list.shows("Places free");

    // Book 2 places for a referral from A81001, with needs and no name.
    let page = site.get(&format!("/sessions/{id}"), Some(&session)).await;
    page.assert_status(StatusCode::OK);
    let visitor = Visitor::new(&site, &session, &page);
    let book = format!("/sessions/{id}/book");
    let booked = visitor
        .post(
            &book,
            "referringOrganisationCode=a81001&places=2&accessNeeds=WHEELCHAIR&accessNeeds=QUIET_SPACE",
        )
        .await;
    let after = visitor.follow(&booked).await;
    let api_now = figures(&site, &id).await;
    assert_eq!(api_now["booked"], 2, "{api_now}");
    after.shows("The places are booked.");
    after.shows(&format!(
        "{} of {} booked, {} free, {} waiting",
        api_now["booked"], api_now["capacity"], api_now["available"], api_now["waitlisted"]
    ));
    after.shows("Step-free access and wheelchair space; A quiet room");

    // Overbooking is the API's CONFLICT, shown next to the places and nothing recorded.
    let over = visitor
        .post(&book, "referringOrganisationCode=A81001&places=5")
        .await;
    over.assert_status(StatusCode::CONFLICT);
    over.shows_error_at("places");
    over.keeps("5");
    assert_eq!(figures(&site, &id).await["booked"], 2);
    // A count that is not a number is named before anything is sent.
    let typo = visitor
        .post(&book, "referringOrganisationCode=A81001&places=two")
        .await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
    typo.shows("Enter how many places as a whole number");
    // Without the CSRF token nothing happens.
    let forged = visitor
        .post_without_token(&book, "referringOrganisationCode=A81001&places=1")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(figures(&site, &id).await["booked"], 2);

    // Cancel the booking: its places are free again.
    let reference = api_now["bookings"][0]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    after.shows(&format!("value=\"{reference}\""));
    let cancelled = visitor
        .post(
            &format!("/sessions/{id}/cancel"),
            &format!("bookingReference={reference}"),
        )
        .await;
    cancelled.assert_status(StatusCode::SEE_OTHER);
    let api_now = figures(&site, &id).await;
    assert_eq!(api_now["booked"], 0, "{api_now}");
    assert_eq!(api_now["bookings"][0]["state"], "CANCELLED");

    // Attendance before the session has started is the API's refusal, shown next to the
    // count, and nothing is recorded.
    let early = visitor
        .post(
            &format!("/sessions/{id}/attendance"),
            "attended=12&walkIns=2",
        )
        .await;
    early.assert_status(StatusCode::CONFLICT);
    early.shows("id=\"attended-error\"");
    early.shows("has not started yet");
    early.keeps("12");
    assert!(figures(&site, &id).await["attendance"].is_null());
    let page = visitor.get(&format!("/sessions/{id}")).await;
    page.shows("Not recorded yet");

    // The CSV of my sessions is the API's.
    let csv = visitor.get("/export/sessions.csv").await;
    csv.assert_status(StatusCode::OK);
    let rows: Vec<&str> = csv.body.lines().collect();
    assert!(
        rows[0].starts_with("session_id,title,starts_at"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with(&format!("{id},NHS App help at the surgery,")),
        "{}",
        rows[1]
    );

    // Host practices: A81001 was asked, as the API says.
    let hosts = visitor.get("/host-practices").await;
    hosts.assert_status(StatusCode::OK);
    let answer = api(
        &site,
        caller(&site, PARTNER, &[Role::PartnerCoordinator]),
        "{ hostPractices { practice { code } confirmed pending declined } }",
        serde_json::json!({}),
    )
    .await;
    let host = &answer["hostPractices"][0];
    assert_eq!(host["practice"]["code"], "A81001");
    let row = &hosts.body[hosts.body.find("(A81001)</th>").expect("the practice")..];
    for n in [&host["confirmed"], &host["pending"], &host["declined"]] {
        assert!(row.contains(&format!(">{n}</td>")), "{n}: {row}");
    }
}

#[tokio::test]
async fn a_practice_cannot_book_in_another_practices_name() {
    let site = live_site().await;
    let id = schedule(&site, 3).await;
    // A practice refers only for itself (DESIGN.md §6): naming another is refused.
    let other = site.sign_in("A81002", "practice_staff").await;
    let page = site.get(&format!("/sessions/{id}"), Some(&other)).await;
    page.assert_status(StatusCode::OK);
    let refused = Visitor::new(&site, &other, &page)
        .post(
            &format!("/sessions/{id}/book"),
            "referringOrganisationCode=A81001&places=1",
        )
        .await;
    refused.assert_status(StatusCode::FORBIDDEN);
    refused.shows("nhsuk-error-summary");
    assert_eq!(figures(&site, &id).await["booked"], 0);
}

#[tokio::test]
async fn a_partner_books_for_someone_who_came_to_it_with_its_own_mixed_case_code() {
    let site = live_site().await;
    let id = schedule(&site, 3).await;
    let session = site.sign_in(PARTNER, "partner_coordinator").await;
    let page = site.get(&format!("/sessions/{id}"), Some(&session)).await;
    // The form's hint offers the partner's own code, which is not upper case.
    let booked = Visitor::new(&site, &session, &page)
        .post(
            &format!("/sessions/{id}/book"),
            &format!("referringOrganisationCode={PARTNER}&places=1"),
        )
        .await;
    booked.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(figures(&site, &id).await["booked"], 1);
}
