//! The practice's inbox with the domain services behind it: a duty proposed by the ICB is
//! accepted or declined, a session it was asked to host is confirmed, each through the
//! API's own mutation, and the page shows what the API's inbox answers.

use auth::Role;
use axum::http::StatusCode;

use crate::web::{Site, Visitor, live_site};
use crate::web_partner::{api, caller, command, schedule};
use crate::world::DUTY;

/// Proposes `role` of the world's duty to A81001 for itself, as the ICB; the id.
async fn propose(site: &Site, role: &str) -> String {
    let input = serde_json::json!({
        "dutyId": DUTY, "areaCode": "A81001", "level": "LOCAL",
        "assigneeCode": "A81001", "role": role,
    });
    command(
        site,
        "QWO",
        &[Role::IcbCommissioner],
        "proposeResponsibility",
        input,
    )
    .await
}

async fn inbox(site: &Site) -> serde_json::Value {
    api(
        site,
        caller(site, "A81001", &[Role::PracticeManager]),
        "{ inbox { total proposals { id } hostingRequests { id } } }",
        serde_json::json!({}),
    )
    .await["inbox"]
        .clone()
}

#[tokio::test]
async fn a_practice_answers_its_inbox_through_the_api() {
    let site = live_site().await;
    let accountable = propose(&site, "ACCOUNTABLE").await;
    let informed = propose(&site, "INFORMED").await;
    let session_id = schedule(&site, 5).await;
    let session = site.sign_in("A81001", "practice_manager").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/inbox\"");

    let page = site.get("/inbox", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    let before = inbox(&site).await;
    page.shows(&format!("{} things to answer", before["total"]));
    for id in [&accountable, &informed, &session_id] {
        assert!(
            page.body.contains(&format!("name=\"id\" value=\"{id}\"")),
            "{id}"
        );
    }
    page.shows("Accountable at local level");
    let visitor = Visitor::new(&site, &session, &page);

    // Accept one duty: it leaves the inbox, as the API says.
    let accepted = visitor
        .post("/inbox/accept", &format!("id={accountable}"))
        .await;
    accepted.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(accepted.location(), "/inbox?done=accepted");
    let after = inbox(&site).await;
    let ids: Vec<&str> = after["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [informed.as_str()]);
    let page = visitor.follow(&accepted).await;
    page.shows("You accepted the duty.");
    assert!(!page.body.contains(&format!("value=\"{accountable}\"")));

    // Declining without a reason is the API's error, next to that row's reason.
    let refused = visitor
        .post("/inbox/decline", &format!("id={informed}"))
        .await;
    refused.assert_status(StatusCode::BAD_REQUEST);
    refused.shows_error_at(&format!("reason-{informed}"));
    let declined = visitor
        .post(
            "/inbox/decline",
            &format!("id={informed}&reason-{informed}=The+PCN+does+this"),
        )
        .await;
    declined.assert_status(StatusCode::SEE_OTHER);

    // Confirm hosting the session.
    let hosted = visitor
        .post(
            "/inbox/host",
            &format!("id={session_id}&note-{session_id}=Room+2"),
        )
        .await;
    hosted.assert_status(StatusCode::SEE_OTHER);
    let after = inbox(&site).await;
    assert_eq!(after["total"], 0, "{after}");
    let page = visitor.get("/inbox").await;
    page.shows("No duty waits for your answer.");
    page.shows("No session waits for you to confirm hosting.");
    // Without the form's token nothing is done.
    let forged = visitor.post_without_token("/inbox/accept", "id=x").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// A change that needs retraining on a platform the practice uses is in its inbox's total
/// and listed on the page: what changes, when, on which platform from which provider, and
/// for whom, leading to where the training is recorded. A change that needs no retraining
/// is neither.
#[tokio::test]
async fn a_practice_sees_the_platform_changes_its_inbox_counts() {
    let site = live_site().await;
    let platform = platform(&site).await;
    let adopt = serde_json::json!({ "practiceCode": "A81001", "platformId": platform });
    command(
        &site,
        "A81001",
        &[Role::PracticeManager],
        "adoptPlatform",
        adopt,
    )
    .await;
    let today = chrono::Utc::now().date_naive().to_string();
    for (summary, retraining) in [
        ("Repeat prescriptions move to their own tab", true),
        ("The buttons are a darker blue", false),
    ] {
        let change = serde_json::json!({
            "platformId": platform, "effectiveDate": today, "summary": summary,
            "retrainingRequired": retraining, "rolesAffected": ["RECEPTIONIST"],
        });
        command(
            &site,
            "V-acme",
            &[Role::ProviderAdmin],
            "announcePlatformChange",
            change,
        )
        .await;
    }
    let answer = api(
        &site,
        caller(&site, "A81001", &[Role::PracticeManager]),
        "{ inbox { total retraining { summary effectiveDate } } }",
        serde_json::json!({}),
    )
    .await;
    let inbox = &answer["inbox"];
    assert_eq!(inbox["total"], 1, "{inbox}");
    assert_eq!(inbox["retraining"][0]["effectiveDate"], today.as_str());

    let session = site.sign_in("A81001", "practice_manager").await;
    let page = site.get("/inbox", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    page.shows("1 thing to answer");
    let card = &page.body[page
        .body
        .find("Platform changes your staff need training for")
        .expect("the section")..];
    for shown in [
        "Repeat prescriptions move to their own tab",
        "Acme Patient App from V-acme",
        today.as_str(),
        "Receptionist",
        "href=\"/staff\"",
    ] {
        assert!(card.contains(shown), "{shown}: {card}");
    }
    assert!(!page.body.contains("darker blue"), "{}", page.body);
    // A practice that does not use the platform has none.
    let neighbour = site.sign_in("A81002", "practice_manager").await;
    let theirs = site.get("/inbox", Some(&neighbour)).await;
    theirs.shows("No change to a platform you use needs your staff retrained.");
}

/// The Monday of an ISO week written `2026-W14`.
fn monday_of(week: &str) -> chrono::NaiveDate {
    let (year, number) = week.split_once("-W").expect("a week");
    chrono::NaiveDate::from_isoywd_opt(
        year.parse().expect("year"),
        number.parse().expect("week"),
        chrono::Weekday::Mon,
    )
    .expect("a monday")
}

/// The practice's figures for it as the API answers.
async fn week_figures(site: &Site, week: &str) -> serde_json::Value {
    let monday = monday_of(week);
    api(
        site,
        caller(site, "A81001", &[Role::PracticeManager]),
        "query ($d: NaiveDate!) { facilitationMix(within: \"A81001\", from: $d, to: $d) { totals { records patients { display } byMode { key records patients { display } } } } }",
        serde_json::json!({ "d": monday }),
    )
    .await["facilitationMix"]["totals"]
        .clone()
}

fn this_week() -> String {
    let week = chrono::Datelike::iso_week(&chrono::Utc::now().date_naive());
    format!("{}-W{:02}", week.year(), week.week())
}

#[tokio::test]
async fn a_practice_records_its_week_of_facilitation_through_the_api() {
    let site = live_site().await;
    let week = this_week();
    // Only the practice's own team records its facilitation.
    assert_eq!(
        site.get("/facilitation", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let partner = site
        .sign_in("P-leeds-libraries", "partner_coordinator")
        .await;
    let refused = site.get("/facilitation", Some(&partner)).await;
    refused.assert_status(StatusCode::FORBIDDEN);
    let home = site.get("/", Some(&partner)).await;
    assert!(!home.body.contains("href=\"/facilitation\""));

    let session = site.sign_in("A81001", "practice_manager").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/facilitation\"");
    let page = site.get("/facilitation", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    crate::web::assert_one_origin("/facilitation", &page.body);
    // The week is preselected, and the modes carry the schema's own descriptions.
    page.shows(&format!("name=\"week\" type=\"text\" value=\"{week}\""));
    page.shows("id=\"mode-PROACTIVE\"");
    page.shows("The practice reached out first");
    page.shows("Nothing is recorded for this week yet.");
    let visitor = Visitor::new(&site, &session, &page);

    let form = |extra: &str| {
        format!(
            "week={week}&mode=PROACTIVE&service=NHS_APP&channel=GROUP_SESSION&deliveredBy=RECEPTIONIST&patientGroups=OLDER_PEOPLE&patientsSupported=9&registeredForNhsApp=4{extra}"
        )
    };
    let recorded = visitor.post("/facilitation", &form("")).await;
    recorded.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        recorded.location(),
        format!("/facilitation?week={week}&done=recorded")
    );
    let shown = visitor.follow(&recorded).await;
    shown.shows(&format!("The facilitation is recorded for week {week}."));
    // The week as the API answers it for the practice.
    let figures = week_figures(&site, &week).await;
    assert_eq!(figures["records"], 1, "{figures}");
    shown.shows(&format!(
        "1 record, {} people helped",
        figures["patients"]["display"].as_str().expect("display")
    ));
    shown.shows(">Proactive</th>");

    // The API's refusal is shown next to the field it names, and nothing is recorded.
    let over = visitor
        .post("/facilitation", &form("&completedTaskOnline=12"))
        .await;
    over.assert_status(StatusCode::BAD_REQUEST);
    over.shows_error_at("completedTaskOnline");
    over.keeps("12");
    let future = visitor
        .post(
            "/facilitation",
            &form("").replace(&format!("week={week}"), "week=2999-W01"),
        )
        .await;
    future.assert_status(StatusCode::BAD_REQUEST);
    future.shows("id=\"week-error\"");
    // A choice the form does not offer, or a count that is not one, is named before
    // anything is sent.
    let sideways = visitor
        .post(
            "/facilitation",
            &form("").replace("mode=PROACTIVE", "mode=SIDEWAYS"),
        )
        .await;
    assert_eq!(sideways.status, StatusCode::BAD_REQUEST);
    sideways.shows("Choose how the help came about");
    // Without the form's token nothing is done.
    let forged = visitor.post_without_token("/facilitation", &form("")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(week_figures(&site, &week).await["records"], 1);

    // The week's CSV is the API's.
    shown.shows("/export/facilitationMix.totals.byMode.csv?within=A81001");
    let monday = monday_of(&week);
    let csv = visitor
        .get(&format!(
            "/export/facilitationMix.totals.byMode.csv?within=A81001&from={monday}&to={monday}"
        ))
        .await;
    csv.assert_status(StatusCode::OK);
    assert_eq!(
        csv.body.lines().collect::<Vec<_>>(),
        [
            "mode,records,patients".to_owned(),
            format!(
                "PROACTIVE,1,{}",
                figures["byMode"][0]["patients"]["display"]
                    .as_str()
                    .expect("display")
            )
        ]
    );
}

/// Registers the provider `V-acme` and its platform, as the provider; the platform's id.
pub(crate) async fn platform(site: &Site) -> String {
    crate::world::register(
        site.world.log.as_ref(),
        "V-acme",
        proto::v1::OrganisationKind::Provider,
        "X24",
    )
    .await;
    let input = serde_json::json!({
        "providerCode": "V-acme", "name": "Acme Patient App", "category": "PATIENT_APP",
        "services": ["NHS_APP"],
    });
    command(
        site,
        "V-acme",
        &[Role::ProviderAdmin],
        "registerPlatform",
        input,
    )
    .await
}

/// The usability issues as the API answers the practice.
pub(crate) async fn issues(site: &Site) -> serde_json::Value {
    api(
        site,
        caller(site, "A81001", &[Role::PracticeManager]),
        "{ platformIssues { nodes { id status reportedBy { code } description } } }",
        serde_json::json!({}),
    )
    .await["platformIssues"]["nodes"]
        .clone()
}

#[tokio::test]
async fn a_practice_reports_a_usability_problem_through_the_api() {
    let site = live_site().await;
    let platform = platform(&site).await;
    let provider = site.sign_in("V-acme", "provider_admin").await;
    assert_eq!(
        site.get("/usability", Some(&provider)).await.status,
        StatusCode::FORBIDDEN
    );
    let session = site.sign_in("A81001", "practice_staff").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/usability\"");
    let page = site.get("/usability", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    crate::web::assert_one_origin("/usability", &page.body);
    page.shows(&format!("value=\"{platform}\""));
    page.shows("Your practice has not reported a problem yet.");
    let visitor = Visitor::new(&site, &session, &page);
    let form = format!(
        "platformId={platform}&category=LOGIN_IDENTITY&severity=HIGH&service=NHS_APP&patientGroupsAffected=OLDER_PEOPLE"
    );

    // No description: the API's refusal, next to the field, and nothing recorded.
    let empty = visitor.post("/usability", &form).await;
    empty.assert_status(StatusCode::BAD_REQUEST);
    empty.shows_error_at("description");
    assert!(issues(&site).await.as_array().expect("list").is_empty());
    // Without the form's token nothing is done.
    let forged = visitor
        .post_without_token("/usability", &format!("{form}&description=x"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let sent = visitor
        .post(
            "/usability",
            &format!("{form}&description=Older+people+cannot+get+past+the+login+code"),
        )
        .await;
    sent.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(sent.location(), "/usability?done=reported");
    let reported = issues(&site).await;
    assert_eq!(reported.as_array().expect("list").len(), 1, "{reported}");
    assert_eq!(reported[0]["status"], "OPEN");
    let shown = visitor.follow(&sent).await;
    shown.shows("Your report is sent");
    shown.shows("Older people cannot get past the login code");
    shown.shows("Waiting for an answer");
    shown.shows("Login identity, High severity, NHS App");

    // Another practice's report: the API lists it to everyone who may see issues, and
    // `reportedBy` narrows the list to one practice's, which is all the page shows.
    crate::world::register(
        site.world.log.as_ref(),
        "A81002",
        proto::v1::OrganisationKind::Practice,
        "U00001",
    )
    .await;
    let input = serde_json::json!({
        "practiceCode": "A81002", "platformId": platform, "category": "ACCESSIBILITY",
        "severity": "LOW", "service": "NHS_APP", "patientGroupsAffected": ["SENSORY_IMPAIRMENT"],
        "description": "The font is too small for the other practice",
    });
    command(
        &site,
        "A81002",
        &[Role::PracticeManager],
        "reportUsabilityIssue",
        input,
    )
    .await;
    assert_eq!(issues(&site).await.as_array().expect("list").len(), 2);
    let own = api(
        &site,
        caller(&site, "A81001", &[Role::PracticeManager]),
        "query($p: String) { platformIssues(reportedBy: $p) { nodes { reportedBy { code } } } }",
        serde_json::json!({ "p": "A81002" }),
    )
    .await;
    assert_eq!(
        own["platformIssues"]["nodes"],
        serde_json::json!([{ "reportedBy": { "code": "A81002" } }])
    );
    let mine = visitor.get("/usability").await;
    mine.shows("Older people cannot get past the login code");
    assert!(
        !mine.body.contains("too small for the other practice"),
        "{}",
        mine.body
    );
}
