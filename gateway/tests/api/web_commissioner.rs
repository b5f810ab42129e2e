//! The commissioner's commissioning page with the domain services behind it: a partner
//! commissioned by the ICB, shown with what the API says it delivered, and its CSV.

use auth::Role;
use axum::http::StatusCode;

use crate::web::live_site;
use crate::web_partner::{api, caller, schedule};

#[tokio::test]
async fn the_commissioning_page_shows_what_the_api_answers() {
    let site = live_site().await;
    let ends = chrono::Utc::now().date_naive() + chrono::Days::new(90);
    api(
        &site,
        caller(&site, "QWO", &[Role::IcbCommissioner]),
        "mutation ($input: CommissionPartnerInput!) { commissionPartner(input: $input) { aggregateId } }",
        serde_json::json!({ "input": {
            "commissionerCode": "QWO", "partnerCode": "P-leeds-libraries", "areaCode": "QWO",
            "endsOn": ends.to_string(), "sessionsPromised": 12,
        }}),
    )
    .await;
    schedule(&site, 5).await;
    let session = site.sign_in("QWO", "icb_commissioner").await;
    let home = site.get("/", Some(&session)).await;
    assert!(home.body.contains("href=\"/commissioning\""));
    let page = site.get("/commissioning", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let answer = api(
        &site,
        caller(&site, "QWO", &[Role::IcbCommissioner]),
        "{ commissioning(area: \"QWO\") { totals { sessionsPromised sessionsHeld seatsBooked }
           commissions { nodes { partner { code } delivery { sessionsPromised sessionsScheduled sessionsHeld } } } } }",
        serde_json::json!({}),
    )
    .await;
    let c = &answer["commissioning"];
    assert!(
        page.body.contains(&format!(
            "{} of {} promised",
            c["totals"]["sessionsHeld"], c["totals"]["sessionsPromised"]
        )),
        "{}",
        page.body
    );
    let node = &c["commissions"]["nodes"][0];
    assert_eq!(node["partner"]["code"], "P-leeds-libraries");
    let row = &page.body[page
        .body
        .find("(P-leeds-libraries)</th>")
        .expect("the partner")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    for n in [
        &node["delivery"]["sessionsPromised"],
        &node["delivery"]["sessionsScheduled"],
        &node["delivery"]["sessionsHeld"],
    ] {
        assert!(row.contains(&format!(">{n}</td>")), "{n}: {row}");
    }
    let csv = site.get("/export/commissioning.csv", Some(&session)).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("commission_id,partner_code,"),
        "{}",
        lines[0]
    );
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(cells[1], "P-leeds-libraries");
    assert_eq!(cells[8], node["delivery"]["sessionsPromised"].to_string());
    // An area that names nothing is named next to its field.
    let bad = site.get("/commissioning?area=zzz", Some(&session)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("id=\"area-error\""), "{}", bad.body);
}
