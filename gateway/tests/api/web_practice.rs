//! The practice's inbox with the domain services behind it: a duty proposed by the ICB is
//! accepted or declined, a session it was asked to host is confirmed, each through the
//! API's own mutation, and the page shows what the API's inbox answers.

use auth::Role;
use axum::http::{StatusCode, header};

use crate::web::{Site, live_site};
use crate::web_partner::{api, caller, schedule};
use crate::world::DUTY;

/// Proposes `role` of the world's duty to A81001 for itself, as the ICB; the id.
async fn propose(site: &Site, role: &str) -> String {
    let data = api(
        site,
        caller(site, "QWO", &[Role::IcbCommissioner]),
        "mutation ($input: ProposeResponsibilityInput!) { proposeResponsibility(input: $input) { aggregateId } }",
        serde_json::json!({ "input": {
            "dutyId": DUTY, "areaCode": "A81001", "level": "LOCAL",
            "assigneeCode": "A81001", "role": role,
        }}),
    )
    .await;
    site.world
        .projection
        .catch_up(std::time::Duration::from_secs(10))
        .await
        .expect("caught up");
    data["proposeResponsibility"]["aggregateId"]
        .as_str()
        .expect("id")
        .to_owned()
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
    assert!(home.body.contains("href=\"/inbox\""), "{}", home.body);

    let page = site.get("/inbox", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let before = inbox(&site).await;
    assert!(
        page.body
            .contains(&format!("{} things to answer", before["total"])),
        "{}",
        page.body
    );
    for id in [&accountable, &informed, &session_id] {
        assert!(
            page.body.contains(&format!("name=\"id\" value=\"{id}\"")),
            "{id}"
        );
    }
    assert!(page.body.contains("Accountable at local level"));
    let csrf = page.csrf();

    // Accept one duty: it leaves the inbox, as the API says.
    let accepted = site
        .post(
            "/inbox/accept",
            Some(&session),
            &format!("csrf={csrf}&id={accountable}"),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(accepted.headers[header::LOCATION], "/inbox?done=accepted");
    let after = inbox(&site).await;
    let ids: Vec<&str> = after["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [informed.as_str()]);
    let page = site.get("/inbox?done=accepted", Some(&session)).await;
    assert!(page.body.contains("You accepted the duty."));
    assert!(!page.body.contains(&format!("value=\"{accountable}\"")));

    // Declining without a reason is the API's error, next to that row's reason.
    let refused = site
        .post(
            "/inbox/decline",
            Some(&session),
            &format!("csrf={csrf}&id={informed}"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused
            .body
            .contains(&format!("id=\"reason-{informed}-error\"")),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!("href=\"#reason-{informed}\""))
    );
    let declined = site
        .post(
            "/inbox/decline",
            Some(&session),
            &format!("csrf={csrf}&id={informed}&reason-{informed}=The+PCN+does+this"),
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.body);

    // Confirm hosting the session.
    let hosted = site
        .post(
            "/inbox/host",
            Some(&session),
            &format!("csrf={csrf}&id={session_id}&note-{session_id}=Room+2"),
        )
        .await;
    assert_eq!(hosted.status, StatusCode::SEE_OTHER, "{}", hosted.body);
    let after = inbox(&site).await;
    assert_eq!(after["total"], 0, "{after}");
    let page = site.get("/inbox", Some(&session)).await;
    assert!(page.body.contains("No duty waits for your answer."));
    assert!(
        page.body
            .contains("No session waits for you to confirm hosting.")
    );
    // Without the form's token nothing is done.
    let forged = site.post("/inbox/accept", Some(&session), "id=x").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}
