//! The inbox: each organisation sees what waits for it to act on, and nothing else.

use auth::Role;
use proto::v1 as pb;
use serde_json::Value;

use crate::graphql::ask;
use crate::world::{Scratch, append};

const ASSIGNMENT: &str = "00000000-0000-4000-8000-0000000000b1";
const SESSION: &str = "00000000-0000-4000-8000-0000000000b2";
const PLATFORM: &str = "00000000-0000-4000-8000-0000000000b3";
const ISSUE: &str = "00000000-0000-4000-8000-0000000000b4";
const QUERY: &str = "{ inbox { organisation { code } total proposals { id status } hostingRequests { id hosting } issuesToAnswer { id status } retraining { changeId platform { id } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_organisation_sees_what_waits_for_it() {
    use pb::OrganisationKind as K;
    let world = Scratch::with_tree(&[
        ("A81002", K::Practice, "U00001"),
        ("P-leeds-libraries", K::Partner, "X24"),
        ("V-acme", K::Provider, "X24"),
    ])
    .await;
    let log = world.log.as_ref();
    let soon = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let today = chrono::Utc::now().date_naive().to_string();
    let stream = format!("assignment-{ASSIGNMENT}");
    let proposed = pb::ResponsibilityProposed {
        assignment_id: ASSIGNMENT.into(),
        duty_id: "00000000-0000-4000-8000-000000000001".into(),
        area_code: "A81001".into(),
        level: pb::Level::Local.into(),
        assignee_code: "A81001".into(),
        role: pb::RaciRole::Responsible.into(),
        proposer_code: "QWO".into(),
        note: String::new(),
    };
    append(log, &stream, proposed, &[]).await;
    let session = pb::SessionScheduled {
        session_id: SESSION.into(),
        partner_code: "P-leeds-libraries".into(),
        icb_code: "QWO".into(),
        host_practice_code: "A81001".into(),
        starts_at: soon.clone(),
        ends_at: soon,
        capacity: 10,
        title: "NHS App drop-in".into(),
        ..Default::default()
    };
    append(log, &format!("session-{SESSION}"), session, &[]).await;
    let platform = pb::PlatformRegistered {
        platform_id: PLATFORM.into(),
        provider_code: "V-acme".into(),
        name: "Acme Online".into(),
        ..Default::default()
    };
    append(log, &format!("platform-{PLATFORM}"), platform, &[]).await;
    let adopted = pb::PlatformAdopted {
        practice_code: "A81001".into(),
        platform_id: PLATFORM.into(),
        effective_date: today.clone(),
        services: vec![],
    };
    append(log, "practice-A81001", adopted, &[]).await;
    for (change, retraining) in [("c-retrain", true), ("c-cosmetic", false)] {
        let announced = pb::PlatformChangeAnnounced {
            change_id: change.into(),
            platform_id: PLATFORM.into(),
            effective_date: today.clone(),
            retraining_required: retraining,
            summary: "new sign-in screen".into(),
            ..Default::default()
        };
        append(log, &format!("platform-{PLATFORM}"), announced, &[]).await;
    }
    let reported = pb::UsabilityIssueReported {
        issue_id: ISSUE.into(),
        platform_id: PLATFORM.into(),
        provider_code: "V-acme".into(),
        practice_code: "A81001".into(),
        severity: pb::IssueSeverity::High.into(),
        description: "the button is hidden".into(),
        ..Default::default()
    };
    append(log, &format!("issue-{ISSUE}"), reported, &[]).await;
    let schema = world.schema().await;
    let ask = |org: &'static str, role: Role, query: &'static str| {
        let schema = schema.clone();
        async move {
            let answer = ask(&schema, org, role, query).await;
            assert!(answer["errors"].is_null(), "{answer}");
            answer["data"].clone()
        }
    };
    let practice: Value = ask("A81001", Role::PracticeManager, QUERY).await["inbox"].clone();
    assert_eq!(practice["total"], 3, "{practice}");
    assert_eq!(practice["proposals"][0]["id"], ASSIGNMENT);
    assert_eq!(practice["proposals"][0]["status"], "PROPOSED");
    assert_eq!(practice["hostingRequests"][0]["id"], SESSION);
    assert_eq!(practice["hostingRequests"][0]["hosting"], "PENDING");
    assert_eq!(practice["retraining"].as_array().map(Vec::len), Some(1));
    assert_eq!(practice["retraining"][0]["changeId"], "c-retrain");
    assert_eq!(practice["issuesToAnswer"], serde_json::json!([]));

    let provider = ask("V-acme", Role::ProviderAdmin, QUERY).await["inbox"].clone();
    assert_eq!(provider["total"], 1, "{provider}");
    assert_eq!(provider["issuesToAnswer"][0]["id"], ISSUE);
    assert_eq!(provider["issuesToAnswer"][0]["status"], "OPEN");

    let neighbour = ask("A81002", Role::PracticeManager, QUERY).await["inbox"].clone();
    assert_eq!(neighbour["total"], 0, "{neighbour}");

    // The partner sees the practice it asked to host, still to answer.
    let hosts = ask(
        "P-leeds-libraries",
        Role::PartnerCoordinator,
        "{ hostPractices { practice { code } confirmed pending declined } }",
    )
    .await;
    assert_eq!(
        hosts["hostPractices"],
        serde_json::json!([{ "practice": { "code": "A81001" }, "confirmed": 0, "pending": 1, "declined": 0 }])
    );
}
