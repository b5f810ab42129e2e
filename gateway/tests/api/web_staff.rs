//! The practice manager records staff and training on `/staff` with the domain services
//! behind it: staff in post, a member of staff enrolled by a pseudonymous reference (a
//! name is refused, next to its field), a module and the whole programme completed, each
//! through the API's own mutation; the page and its CSV show what the API answers.

use auth::Role;
use axum::http::StatusCode;

use crate::web::{Site, Visitor, assert_one_origin, live_site};
use crate::web_partner::{api, caller};
use crate::world::{PROGRAMME, launch_training};

/// The receptionists' figures of DFR-2027 at A81001, as the API answers the practice.
async fn receptionists(site: &Site) -> serde_json::Value {
    let answer = api(
        site,
        caller(site, "A81001", &[Role::PracticeManager]),
        r#"{ trainingRollout(programme: "DFR-2027", groupBy: PRACTICE, within: "A81001") {
              totals { byRole { role enrolled completed staffInPost } } } }"#,
        serde_json::json!({}),
    )
    .await;
    answer["trainingRollout"]["totals"]["byRole"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["role"] == "RECEPTIONIST")
        .cloned()
        .expect("receptionists")
}

/// The receptionists' row of the page's table.
fn row(body: &str) -> &str {
    let row = &body[body.find(">Receptionist</th>").expect("the row")..];
    &row[..row.find("</tr>").expect("row end")]
}

#[tokio::test]
async fn a_practice_manager_records_staff_and_training_through_the_api() {
    let site = live_site().await;
    launch_training(&site.world).await;
    // A commissioner reads the page, but has no forms: recording is the practice's.
    let commissioner = site.sign_in("QWO", "icb_commissioner").await;
    let read = site.get("/staff", Some(&commissioner)).await;
    read.assert_status(StatusCode::OK);
    assert!(!read.body.contains("action=\"/staff/"), "{}", read.body);

    let session = site.sign_in("A81001", "practice_manager").await;
    let page = site.get("/staff", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    assert_one_origin("/staff", &page.body);
    for form in ["/staff/in-post", "/staff/enrol", "/staff/complete"] {
        assert!(page.body.contains(&format!("action=\"{form}\"")), "{form}");
    }
    page.shows(&format!("value=\"{PROGRAMME}:m1\""));
    page.shows("DFR-2027: the whole programme");
    let visitor = Visitor::new(&site, &session, &page);

    // Staff in post: three receptionists now.
    let bad = visitor
        .post("/staff/in-post", "staffRole=RECEPTIONIST&headcount=three")
        .await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    bad.shows_error_at("headcount");
    let reported = visitor
        .post("/staff/in-post", "staffRole=RECEPTIONIST&headcount=3")
        .await;
    reported.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(reported.location(), "/staff?done=in-post");
    assert_eq!(receptionists(&site).await["staffInPost"], 3);
    let shown = visitor.follow(&reported).await;
    shown.shows("The staff in post are recorded.");
    assert!(row(&shown.body).contains(">3</td>"), "{}", row(&shown.body));

    // A name is refused next to the reference, and never repeated in the message.
    let named = visitor
        .post(
            "/staff/enrol",
            &format!(
                "enrolStaffRef=Jane+Smith&enrolStaffRole=RECEPTIONIST&programmeId={PROGRAMME}"
            ),
        )
        .await;
    named.assert_status(StatusCode::BAD_REQUEST);
    let error = &named.body[named
        .body
        .find("id=\"enrolStaffRef-error\"")
        .unwrap_or_else(|| panic!("{}", named.body))..];
    let error = error.lines().next().unwrap_or_default();
    assert!(error.contains("never a name"), "{error}");
    assert!(!error.contains("Jane"), "{error}");
    assert_eq!(receptionists(&site).await["enrolled"], 1);

    // REC-07 starts the programme.
    let enrol = format!("enrolStaffRef=REC-07&enrolStaffRole=RECEPTIONIST&programmeId={PROGRAMME}");
    let enrolled = visitor.post("/staff/enrol", &enrol).await;
    enrolled.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(enrolled.location(), "/staff?done=enrolled");
    assert_eq!(receptionists(&site).await["enrolled"], 2);
    let again = visitor.post("/staff/enrol", &enrol).await;
    again.assert_status(StatusCode::CONFLICT);
    again.shows("id=\"enrolStaffRef-error\"");

    // The whole programme before its module: the API's refusal, on the reference.
    let whole = format!("staffRef=REC-07&finished={PROGRAMME}");
    let early = visitor.post("/staff/complete", &whole).await;
    early.assert_status(StatusCode::CONFLICT);
    early.shows("id=\"staffRef-error\"");
    early.shows("has not completed module(s) m1");
    let nothing = visitor.post("/staff/complete", "staffRef=REC-07").await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
    nothing.shows("Choose what they finished");
    let module = visitor
        .post(
            "/staff/complete",
            &format!("staffRef=REC-07&finished={PROGRAMME}:m1"),
        )
        .await;
    module.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(receptionists(&site).await["completed"], 1);
    let done = visitor.post("/staff/complete", &whole).await;
    done.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/staff?done=completed");
    let figures = receptionists(&site).await;
    assert_eq!(figures["completed"], 2, "{figures}");
    let shown = visitor.follow(&done).await;
    shown.shows("The completed training is recorded.");
    for n in [
        &figures["staffInPost"],
        &figures["enrolled"],
        &figures["completed"],
    ] {
        assert!(row(&shown.body).contains(&format!(">{n}</td>")), "{n}");
    }

    // Without the form's token nothing is done.
    let forged = visitor
        .post_without_token("/staff/in-post", "staffRole=RECEPTIONIST&headcount=9")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(receptionists(&site).await["staffInPost"], 3);

    // The page's CSV is the API's.
    let csv = visitor
        .get(
            "/export/trainingRollout.totals.byRole.csv?programme=DFR-2027&groupBy=PRACTICE&within=A81001",
        )
        .await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.body.lines().any(|l| l == "RECEPTIONIST,3,2,2"),
        "{}",
        csv.body
    );
}
