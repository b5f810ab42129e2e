//! The platform provider's pages with the domain services behind them: the usability
//! issues practices reported, acknowledged and resolved; changes announced and training
//! material published; each through the API's own mutation, each error next to its field.

use auth::Role;
use axum::http::StatusCode;

use crate::web::{Site, Visitor, live_site};
use crate::web_partner::{api, caller, command};
use crate::web_practice::{issues, platform};

/// Reports a problem with `platform` as A81001; the issue's id.
async fn report(site: &Site, platform: &str) -> String {
    let input = serde_json::json!({
        "platformId": platform, "practiceCode": "A81001", "category": "NAVIGATION",
        "severity": "MEDIUM", "description": "The repeat prescription button is hidden",
    });
    command(
        site,
        "A81001",
        &[Role::PracticeManager],
        "reportUsabilityIssue",
        input,
    )
    .await
}

#[tokio::test]
async fn a_provider_answers_the_issues_on_its_platforms_through_the_api() {
    let site = live_site().await;
    let platform = platform(&site).await;
    let id = report(&site, &platform).await;
    // Not a page for a practice.
    let practice = site.sign_in("A81001", "practice_manager").await;
    let refused = site.get("/provider/issues", Some(&practice)).await;
    refused.assert_status(StatusCode::FORBIDDEN);

    let session = site.sign_in("V-acme", "provider_admin").await;
    let home = site.get("/", Some(&session)).await;
    for page in [
        "/provider/issues",
        "/provider/changes",
        "/provider/materials",
    ] {
        assert!(home.body.contains(&format!("href=\"{page}\"")), "{page}");
    }
    let page = site.get("/provider/issues", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    crate::web::assert_one_origin("/provider/issues", &page.body);
    page.shows("The repeat prescription button is hidden");
    page.shows(&format!("id=\"note-{id}\""));
    let visitor = Visitor::new(&site, &session, &page);

    // An expected date in the past is the API's refusal, next to that row's date.
    let past = visitor
        .post(
            "/provider/issues/acknowledge",
            &format!("id={id}&expected-{id}=2020-01-01"),
        )
        .await;
    past.assert_status(StatusCode::BAD_REQUEST);
    past.shows(&format!("id=\"expected-{id}-error\""));
    assert_eq!(issues(&site).await[0]["status"], "OPEN");
    let acknowledged = visitor
        .post(
            "/provider/issues/acknowledge",
            &format!("id={id}&note-{id}=We+are+moving+it"),
        )
        .await;
    acknowledged.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        acknowledged.location(),
        "/provider/issues?done=acknowledged"
    );
    assert_eq!(issues(&site).await[0]["status"], "ACKNOWLEDGED");
    let page = visitor.follow(&acknowledged).await;
    page.shows("You acknowledged the issue.");
    page.shows("Being dealt with");
    page.shows("We are moving it");

    // Resolving says what was done: left empty, the API's error is next to it.
    let empty = visitor
        .post(
            "/provider/issues/resolve",
            &format!("id={id}&kind-{id}=FIXED"),
        )
        .await;
    empty.assert_status(StatusCode::BAD_REQUEST);
    empty.shows(&format!("id=\"resolution-{id}-error\""));
    let forged = visitor
        .post_without_token(
            "/provider/issues/resolve",
            &format!("id={id}&resolution-{id}=Moved"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(issues(&site).await[0]["status"], "ACKNOWLEDGED");
    let resolved = visitor
        .post(
            "/provider/issues/resolve",
            &format!("id={id}&resolution-{id}=Moved+to+the+top&kind-{id}=FIXED"),
        )
        .await;
    resolved.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(issues(&site).await[0]["status"], "RESOLVED");
    let page = visitor.get("/provider/issues").await;
    page.shows("No issue waits for your answer.");
    // The practice sees the answer.
    let theirs = site.get("/usability", Some(&practice)).await;
    theirs.shows("Resolved on");
    theirs.shows("(fixed): Moved to the top");

    // The CSV of the issues is the API's, the provider's own.
    let csv = visitor
        .get("/export/platformIssues.csv?provider=V-acme")
        .await;
    csv.assert_status(StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(lines[0].starts_with("issue_id,platform_id,platform,provider"));
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[1].starts_with(&format!(
            "{id},{platform},Acme Patient App,V-acme,A81001,NAVIGATION,MEDIUM,,RESOLVED"
        )),
        "{}",
        lines[1]
    );
}

/// What the platform's trail holds of `event`, as the API answers the provider.
async fn published(site: &Site, platform: &str, event: &str) -> usize {
    let trail = api(
        site,
        caller(site, "V-acme", &[Role::ProviderAdmin]),
        "query ($s: String!) { history(stream: $s) { nodes { eventType } } }",
        serde_json::json!({ "s": format!("platform-{platform}") }),
    )
    .await;
    trail["history"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["eventType"] == event)
        .count()
}

#[tokio::test]
async fn a_provider_announces_changes_and_publishes_material_through_the_api() {
    let site = live_site().await;
    let platform = platform(&site).await;
    let practice = site.sign_in("A81001", "practice_manager").await;
    assert_eq!(
        site.get("/provider/changes", Some(&practice)).await.status,
        StatusCode::FORBIDDEN
    );
    let session = site.sign_in("V-acme", "provider_admin").await;
    let page = site.get("/provider/changes", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    crate::web::assert_one_origin("/provider/changes", &page.body);
    page.shows(&format!("value=\"{platform}\""));
    page.shows("Nothing yet.");
    let visitor = Visitor::new(&site, &session, &page);
    let live = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    let change = format!(
        "platformId={platform}&effectiveDate={live}&summary=The+login+page+moves&retrainingRequired=true&servicesAffected=NHS_APP"
    );

    // Retraining for nobody: the API's refusal, next to the staff affected.
    let nobody = visitor.post("/provider/changes", &change).await;
    nobody.assert_status(StatusCode::BAD_REQUEST);
    nobody.shows("id=\"rolesAffected-error\"");
    assert!(
        nobody.body.contains("The login page moves"),
        "the form keeps what was typed"
    );
    let changes = "difacto.v1.PlatformChangeAnnounced";
    assert_eq!(published(&site, &platform, changes).await, 0);
    let forged = visitor
        .post_without_token(
            "/provider/changes",
            &format!("{change}&rolesAffected=RECEPTIONIST"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let announced = visitor
        .post(
            "/provider/changes",
            &format!("{change}&rolesAffected=RECEPTIONIST"),
        )
        .await;
    announced.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(published(&site, &platform, changes).await, 1);
    let page = visitor.get("/provider/changes?done=announced").await;
    page.shows("The change is announced");
    page.shows("The login page moves");
    page.shows(&live.to_string());
    page.shows(">Receptionist</dd>");

    // Material: at least one format, or the API says so next to the formats.
    let page = visitor.get("/provider/materials").await;
    page.assert_status(StatusCode::OK);
    // The change just announced is offered as what the material trains for.
    page.shows("Acme Patient App: The login page moves");
    let material = format!(
        "platformId={platform}&title=Signing+in+after+the+change&url=https%3A%2F%2Facme.example%2Fguide&languages=en%2C+pl&audienceRoles=RECEPTIONIST"
    );
    let formatless = visitor.post("/provider/materials", &material).await;
    formatless.assert_status(StatusCode::BAD_REQUEST);
    formatless.shows("id=\"formats-error\"");
    let materials = "difacto.v1.TrainingMaterialPublished";
    assert_eq!(published(&site, &platform, materials).await, 0);
    let done = visitor
        .post(
            "/provider/materials",
            &format!("{material}&formats=GUIDE&formats=EASY_READ"),
        )
        .await;
    done.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/provider/materials?done=published");
    assert_eq!(published(&site, &platform, materials).await, 1);
    let page = visitor.follow(&done).await;
    page.shows("Signing in after the change");
    page.shows("Guide, Easy read");
    page.shows("en, pl");
}
