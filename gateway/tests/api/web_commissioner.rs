//! The commissioner's pages: commissioning with the domain services behind it (a partner
//! commissioned by the ICB, shown with what the API says it delivered, and its CSV), and
//! the responsibility map's drill-down to a unit, its perceptions and an assignment's
//! history, each as the API answers them.

use auth::Role;
use axum::http::StatusCode;

use crate::web::live_site;
use crate::web_partner::{api, caller, schedule};
use crate::world::DUTY;

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
    home.shows("href=\"/commissioning\"");
    let page = site.get("/commissioning", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    let answer = api(
        &site,
        caller(&site, "QWO", &[Role::IcbCommissioner]),
        "{ commissioning(area: \"QWO\") { totals { sessionsPromised sessionsHeld seatsBooked }
           commissions { nodes { partner { code } delivery { sessionsPromised sessionsScheduled sessionsHeld } } } } }",
        serde_json::json!({}),
    )
    .await;
    let c = &answer["commissioning"];
    page.shows(&format!(
        "{} of {} promised",
        c["totals"]["sessionsHeld"], c["totals"]["sessionsPromised"]
    ));
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
    csv.assert_status(StatusCode::OK);
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
    bad.assert_status(StatusCode::BAD_REQUEST);
    bad.shows("id=\"area-error\"");
}

#[tokio::test]
async fn the_map_drills_down_to_a_unit_its_perceptions_and_an_assignments_history() {
    let site = crate::web::site().await;
    // A81002 believes A81001 is accountable for the duty for it, which A81001 never
    // accepted: a misattribution, and a belief about someone else.
    crate::world::append(
        site.world.log.as_ref(),
        "attribution-00000000-0000-4000-8000-0000000000b1",
        proto::v1::ResponsibilityAttributed {
            attribution_id: "00000000-0000-4000-8000-0000000000b1".into(),
            duty_id: DUTY.into(),
            area_code: "A81002".into(),
            level: proto::v1::Level::Local.into(),
            attributed_by_code: "A81002".into(),
            believed_owner_code: "A81001".into(),
            role: proto::v1::RaciRole::Accountable.into(),
        },
        &[],
    )
    .await;
    site.caught_up().await;
    let session = site.sign_in("QWO", "icb_commissioner").await;
    let map = site.get("/responsibility", Some(&session)).await;
    map.shows(&format!("href=\"/responsibility/A81002?duty={DUTY}\""));
    map.shows(&format!("href=\"/responsibility/QWO?duty={DUTY}\""));

    let unit = site
        .get(
            &format!("/responsibility/A81002?duty={DUTY}"),
            Some(&session),
        )
        .await;
    unit.assert_status(StatusCode::OK);
    crate::web::assert_one_origin("/responsibility/A81002", &unit.body);
    unit.shows("NHS App sign-up support");
    // Its owners as the API answers them: the PCN responsible, nobody accountable.
    unit.shows(">U00001 (U00001)</dd>");
    unit.shows(">Nobody</dd>");
    unit.shows("Misattributed");
    unit.shows(
        "A81002 (A81002) believes A81001 (A81001) is Accountable, which it has not accepted.",
    );
    // The perceptions, as the API answers them.
    let answer = api(
        &site,
        caller(&site, "QWO", &[Role::IcbCommissioner]),
        "query ($d: String!) { perceptions(area: \"A81002\", duty: $d) { beliefs notAccepted believedToBeOthers } }",
        serde_json::json!({ "d": DUTY }),
    )
    .await;
    let p = &answer["perceptions"];
    assert_eq!(p["notAccepted"], 1, "{p}");
    unit.shows(&format!( "{} belief stated inside A81002 (A81002): 0 name an owner who accepted the duty there, {} do not, and {} name someone other than the believer.", p["beliefs"], p["notAccepted"], p["believedToBeOthers"] ));
    let csv = site
        .get(
            &format!("/export/perceptions.matrix.csv?area=A81002&duty={DUTY}"),
            Some(&session),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    assert_eq!(
        csv.body.lines().nth(1),
        Some("A81002,A81001,LOCAL,ACCOUNTABLE,1,A81002,0,true")
    );

    // The PCN's page lists its assignment, which links to its history.
    let assignment = "00000000-0000-4000-8000-0000000000a1";
    let pcn = site
        .get(
            &format!("/responsibility/U00001?duty={DUTY}"),
            Some(&session),
        )
        .await;
    pcn.assert_status(StatusCode::OK);
    pcn.shows(&format!(
        "href=\"/responsibility/assignments/{assignment}\""
    ));
    let history = site
        .get(
            &format!("/responsibility/assignments/{assignment}"),
            Some(&session),
        )
        .await;
    history.assert_status(StatusCode::OK);
    let proposed = history
        .body
        .find("Responsibility proposed")
        .expect("proposed");
    let accepted = history
        .body
        .find("Responsibility accepted")
        .expect("accepted");
    assert!(proposed < accepted, "oldest first");
    let csv = site
        .get(
            &format!("/export/history.csv?stream=assignment-{assignment}"),
            Some(&session),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);

    // Not a page for a partner; a duty that names nothing is the API's not found.
    let partner = site
        .sign_in("P-leeds-libraries", "partner_coordinator")
        .await;
    let refused = site
        .get(
            &format!("/responsibility/A81002?duty={DUTY}"),
            Some(&partner),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = site
        .get("/responsibility/A81002?duty=nothing", Some(&session))
        .await;
    assert!(unknown.status.is_client_error(), "{}", unknown.status);
}
