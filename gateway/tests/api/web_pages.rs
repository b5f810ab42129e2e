//! The web app's pages for each user of DESIGN.md §1, in-process: each signs in with the
//! development form and checks that the page shows what the API answers the same
//! caller (asked through the schema, not written down here), with its CSV download.

use auth::Role;
use axum::http::StatusCode;

use crate::web::{Site, assert_one_origin, site};
use crate::world::{launch_training, verified};

/// What the API answers `query` for a caller of `org` with `roles`: its `data`.
async fn api(site: &Site, org: &str, roles: &[Role], query: &str) -> serde_json::Value {
    let answer = site
        .world
        .schema
        .execute(async_graphql::Request::new(query).data(verified(org, roles)))
        .await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    answer.data.into_json().expect("json")
}

/// A percentage as the pages write it.
fn percent(value: &serde_json::Value) -> String {
    match value.as_f64() {
        Some(p) => format!("{p:.1}%"),
        None => "not known".into(),
    }
}

#[tokio::test]
async fn the_rollout_drills_down_from_region_to_practice_as_the_api_answers() {
    let site = site().await;
    launch_training(&site.world).await;
    let signed_out = site.get("/rollout", None).await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
    let session = site.sign_in("X24", "national_lead").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/rollout\"");
    // England, by region: the first programme, chosen without asking.
    let page = site.get("/rollout", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    assert_one_origin("/rollout", &page.body);
    assert!(page.body.len() < 300_000);
    let answer = api(
        &site,
        "X24",
        &[Role::NationalLead],
        r#"{ trainingRollout(programme: "DFR-2027", groupBy: REGION) {
              totals { trained staffInPost percentTrained onTrack }
              groups { nodes { area { code } figures { trained staffInPost percentTrained onTrack } } }
              practicesWithoutTrainedReception { nodes { code } } } }"#,
    )
    .await;
    let rollout = &answer["trainingRollout"];
    let totals = &rollout["totals"];
    page.shows(&format!(
        "{} ({} of {} in post)",
        percent(&totals["percentTrained"]),
        totals["trained"],
        totals["staffInPost"]
    ));
    let region = &rollout["groups"]["nodes"][0];
    assert_eq!(region["area"]["code"], "Y63");
    assert!(
        page.body
            .contains("href=\"/rollout?programme=DFR-2027&#38;within=Y63\"")
            || page
                .body
                .contains("href=\"/rollout?programme=DFR-2027&amp;within=Y63\""),
        "{}",
        page.body
    );
    let tag = if region["figures"]["onTrack"] == true {
        "On track"
    } else {
        "Behind"
    };
    page.shows(&format!("\">{tag}</strong>"));
    // The weekly chart says what it is and has its figures as a table.
    assert!(page.body.contains("<svg") && page.body.contains("<title id=\"chart-title\">"));
    page.shows("<desc id=\"chart-desc\">");
    page.shows("Staff trained each week");
    // The practices without trained reception staff are the API's.
    let without: Vec<&str> = rollout["practicesWithoutTrainedReception"]["nodes"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert_eq!(without, ["A81002"]);
    let listed = &page.body[page
        .body
        .find("id=\"without-reception\"")
        .expect("the list")..];
    assert!(listed.contains("<td class=\"nhsuk-table__cell\">A81002</td>"));
    assert!(!listed.contains("<td class=\"nhsuk-table__cell\">A81001</td>"));

    // Down to the PCN: its practices, each row the API's.
    let pcn = site
        .get("/rollout?programme=DFR-2027&within=u00001", Some(&session))
        .await;
    pcn.assert_status(StatusCode::OK);
    let answer = api(
        &site,
        "X24",
        &[Role::NationalLead],
        r#"{ trainingRollout(programme: "DFR-2027", groupBy: PRACTICE, within: "U00001") {
              groups { nodes { area { code } figures { trained staffInPost percentTrained } } } } }"#,
    )
    .await;
    let practices = answer["trainingRollout"]["groups"]["nodes"]
        .as_array()
        .expect("groups");
    assert_eq!(practices.len(), 2);
    for p in practices {
        let code = p["area"]["code"].as_str().expect("code");
        let row = &pcn.body[pcn.body.find(&format!("({code})</th>")).expect(code)..];
        let row = &row[..row.find("</tr>").expect("row end")];
        let f = &p["figures"];
        for figure in [
            f["staffInPost"].to_string(),
            f["trained"].to_string(),
            percent(&f["percentTrained"]),
        ] {
            assert!(
                row.contains(&format!(">{figure}<")),
                "{code} {figure}: {row}"
            );
        }
    }

    // The CSV of the same table has the API's rows.
    let csv = site
        .get(
            "/export/trainingRollout.csv?programme=DFR-2027&groupBy=PRACTICE&within=U00001",
            Some(&session),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    let mut lines = csv.body.lines();
    assert!(
        lines
            .next()
            .expect("heading")
            .starts_with("area_code,area,practices,staff_in_post,trained,percent_trained")
    );
    for (line, p) in lines.zip(practices) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], p["area"]["code"].as_str().expect("code"));
        assert_eq!(cells[3], p["figures"]["staffInPost"].to_string());
        assert_eq!(cells[4], p["figures"]["trained"].to_string());
    }
    let without = site
        .get(
            "/export/trainingRollout.practicesWithoutTrainedReception.csv?programme=DFR-2027&groupBy=PRACTICE&within=U00001",
            Some(&session),
        )
        .await;
    assert_eq!(
        without.body.lines().collect::<Vec<_>>(),
        ["practice_code,practice", "A81002,A81002"]
    );

    // A programme nobody launched is named next to its field.
    let bad = site.get("/rollout?programme=NOPE", Some(&session)).await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    bad.shows_error_at("programme");
    let bad = site.get("/rollout?within=ZZZ", Some(&session)).await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    bad.shows("id=\"within-error\"");
}

#[tokio::test]
async fn a_practice_sees_only_its_own_rollout() {
    let site = site().await;
    launch_training(&site.world).await;
    let session = site.sign_in("A81002", "practice_manager").await;
    let own = site.get("/rollout", Some(&session)).await;
    own.assert_status(StatusCode::OK);
    own.shows("0.0% (0 of 3 in post)");
    let other = site.get("/rollout?within=A81001", Some(&session)).await;
    other.assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_heat_map_shows_the_share_covered_in_words_as_the_api_answers() {
    let site = site().await;
    let session = site.sign_in("X24", "national_lead").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/heatmap\"");
    for (path, group_by) in [("/heatmap", "REGION"), ("/heatmap?groupBy=ICB", "ICB")] {
        let page = site.get(path, Some(&session)).await;
        page.assert_status(StatusCode::OK);
        assert_one_origin(path, &page.body);
        let answer = api(
            &site,
            "X24",
            &[Role::NationalLead],
            &format!(
                r#"{{ responsibilityGaps(area: "X24", groupBy: {group_by}) {{
                      coverage {{ level byArea {{ area {{ code }} units counts {{ flag units }} }} }} }} }}"#
            ),
        )
        .await;
        let coverage = answer["responsibilityGaps"]["coverage"]
            .as_array()
            .expect("coverage");
        assert!(!coverage.is_empty());
        for entry in coverage {
            for area in entry["byArea"].as_array().expect("byArea") {
                let units = area["units"].as_u64().expect("units");
                let covered = area["counts"]
                    .as_array()
                    .and_then(|c| c.iter().find(|c| c["flag"] == "COVERED"))
                    .and_then(|c| c["units"].as_u64())
                    .expect("covered");
                let code = area["area"]["code"].as_str().expect("code");
                assert!(page.body.contains(&format!("({code})")), "{code}");
                let words = format!(
                    "{:.0}% covered ({covered} of {units})",
                    covered as f64 * 100.0 / units as f64
                );
                assert!(page.body.contains(&words), "{path}: {words}: {}", page.body);
            }
        }
        // The colour is a class beside the words, never instead of them.
        page.shows("difacto-heat difacto-heat--");
    }
    // The CSV of the heat map: a row per duty, level and area, figures the API's.
    let csv = site
        .get(
            "/export/responsibilityGaps.byArea.csv?area=X24&groupBy=ICB",
            Some(&session),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("duty_id,duty,level,area_code,area,units,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1..].iter().any(|l| l.starts_with(&format!(
            "{},NHS App sign-up support,LOCAL,QWO,QWO,2,",
            crate::world::DUTY
        ))),
        "{}",
        csv.body
    );
    // A practice manager is not offered the heat map.
    let practice = site.sign_in("A81001", "practice_manager").await;
    let home = site.get("/", Some(&practice)).await;
    assert!(!home.body.contains("href=\"/heatmap\""));
}

#[tokio::test]
async fn service_status_shows_the_services_practices_switched_off_as_the_api_answers() {
    let site = site().await;
    crate::world::append(
        site.world.log.as_ref(),
        "practice-A81002",
        proto::v1::DigitalServiceStatusChanged {
            practice_code: "A81002".into(),
            service: proto::v1::DigitalService::OnlineConsultation.into(),
            status: proto::v1::ServiceStatus::Paused.into(),
            reason: "Two receptionists off sick".into(),
            effective_date: "2026-03-02".into(),
            reason_kind: proto::v1::ServiceChangeReason::StaffCapacity.into(),
        },
        &[],
    )
    .await;
    site.world
        .projection
        .catch_up(std::time::Duration::from_secs(10))
        .await
        .expect("caught up");
    let session = site.sign_in("QWO", "icb_commissioner").await;
    let page = site.get("/service-status", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    let answer = api(
        &site,
        "QWO",
        &[Role::IcbCommissioner],
        r#"{ serviceStatus { nodes { practice { code } service status reason effectiveDate } } }"#,
    )
    .await;
    let nodes = answer["serviceStatus"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 1, "{answer}");
    let n = &nodes[0];
    let row = &page.body[page.body.find("(A81002)</th>").expect("the practice")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(row.contains(n["reason"].as_str().expect("reason")), "{row}");
    assert!(
        row.contains(n["effectiveDate"].as_str().expect("date")),
        "{row}"
    );
    assert!(row.contains("nhsuk-tag--yellow\">Paused<"), "{row}");
    assert_eq!(n["status"], "PAUSED");
    let csv = site.get("/export/serviceStatus.csv", Some(&session)).await;
    csv.assert_status(StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[1].starts_with(&format!(
            "A81002,A81002,{},PAUSED,",
            n["service"].as_str().expect("service")
        )),
        "{}",
        lines[1]
    );
    let bad = site.get("/service-status?within=zzz", Some(&session)).await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    bad.shows("id=\"within-error\"");
}

#[tokio::test]
async fn a_practice_sees_its_staff_and_training_as_the_api_answers() {
    let site = site().await;
    launch_training(&site.world).await;
    let session = site.sign_in("A81001", "practice_manager").await;
    let home = site.get("/", Some(&session)).await;
    home.shows("href=\"/staff\"");
    let page = site.get("/staff", Some(&session)).await;
    page.assert_status(StatusCode::OK);
    let answer = api(
        &site,
        "A81001",
        &[Role::PracticeManager],
        r#"{ trainingRollout(programme: "DFR-2027", groupBy: PRACTICE, within: "A81001") {
              totals { byRole { role enrolled completed staffInPost } } } }"#,
    )
    .await;
    let roles = answer["trainingRollout"]["totals"]["byRole"]
        .as_array()
        .expect("roles");
    let reception = roles
        .iter()
        .find(|r| r["role"] == "RECEPTIONIST")
        .expect("receptionists");
    assert_eq!(reception["staffInPost"], 2, "{answer}");
    let row = &page.body[page.body.find(">Receptionist</th>").expect("the row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    for n in [
        &reception["staffInPost"],
        &reception["enrolled"],
        &reception["completed"],
    ] {
        assert!(row.contains(&format!(">{n}</td>")), "{n}: {row}");
    }
}
