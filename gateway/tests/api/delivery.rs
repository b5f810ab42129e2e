//! Did commissioned partners deliver, and how far has training rolled out against staff
//! in post: `commissioning` and `trainingRollout` on a small world with known answers.

use auth::Role;
use chrono::{Duration as Days, Utc};
use proto::v1 as pb;
use serde_json::Value;

use crate::graphql::ask;
use crate::world::{Scratch, append};

const COMMISSION: &str = "00000000-0000-4000-8000-0000000000c1";
const PROGRAMME: &str = "00000000-0000-4000-8000-0000000000c2";

/// A session of `partner` at `host` starting `days` from now (negative: in the past).
fn session(id: u128, partner: &str, host: &str, days: i64) -> (String, pb::SessionScheduled) {
    let id = uuid::Uuid::from_u128(id).to_string();
    let starts = Utc::now() + Days::days(days);
    let event = pb::SessionScheduled {
        session_id: id.clone(),
        partner_code: partner.into(),
        icb_code: "QWO".into(),
        host_practice_code: host.into(),
        starts_at: starts.to_rfc3339(),
        ends_at: (starts + Days::hours(2)).to_rfc3339(),
        capacity: 10,
        topics: vec![pb::DigitalService::NhsApp.into()],
        title: "NHS App help".into(),
        ..Default::default()
    };
    (id, event)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commissioning_shows_what_each_partner_delivered() {
    use pb::OrganisationKind as K;
    let world = Scratch::with_tree(&[
        ("U00002", K::Pcn, "QWO"),
        ("B82001", K::Practice, "U00002"),
        ("P-leeds-libraries", K::Partner, "QWO"),
        ("P-york-digital", K::Partner, "QWO"),
    ])
    .await;
    let log = world.log.as_ref();
    let today = Utc::now().date_naive();
    let commissioned = pb::PartnerCommissioned {
        commission_id: COMMISSION.into(),
        commissioner_code: "QWO".into(),
        partner_code: "P-leeds-libraries".into(),
        area_code: "U00001".into(),
        starts_on: (today - Days::days(60)).to_string(),
        ends_on: (today + Days::days(60)).to_string(),
        sessions_promised: 3,
        topics: vec![],
    };
    append(log, "commissions", commissioned, &[]).await;
    // Leeds: one held (6 came), one to come, one cancelled, all in U00001; one in
    // U00002, outside the commission; York's session in U00001 is not Leeds' work.
    let (held, e) = session(1, "P-leeds-libraries", "A81001", -10);
    append(log, &format!("session-{held}"), e, &[]).await;
    let booked = pb::SeatBooked {
        session_id: held.clone(),
        booking_reference: "REF-0001".into(),
        referring_organisation_code: "A81001".into(),
        places: 4,
        ..Default::default()
    };
    append(log, &format!("session-{held}"), booked, &[]).await;
    let came = pb::AttendanceRecorded {
        session_id: held.clone(),
        attended: 6,
        ..Default::default()
    };
    append(log, &format!("session-{held}"), came, &[]).await;
    let (to_come, e) = session(2, "P-leeds-libraries", "A81001", 10);
    append(log, &format!("session-{to_come}"), e, &[]).await;
    let (cancelled, e) = session(3, "P-leeds-libraries", "A81001", 5);
    append(log, &format!("session-{cancelled}"), e, &[]).await;
    let called_off = pb::SessionCancelled {
        session_id: cancelled.clone(),
        reason: "venue flooded".into(),
    };
    append(log, &format!("session-{cancelled}"), called_off, &[]).await;
    for (n, partner, host) in [
        (4, "P-leeds-libraries", "B82001"),
        (5, "P-york-digital", "A81001"),
    ] {
        let (id, e) = session(n, partner, host, 3);
        append(log, &format!("session-{id}"), e, &[]).await;
    }
    let schema = world.schema().await;
    let query = "{ commissioning(area: \"QWO\") { area { code } totals { sessionsPromised sessionsHeld } commissions { totalCount nodes { id status partner { code } delivery { sessionsPromised sessionsScheduled sessionsHeld sessionsToCome sessionsCancelled seatsBooked percentDelivered attended { display } } } } } }";
    let answer = ask(&schema, "QWO", Role::IcbCommissioner, query).await;
    let c = &answer["data"]["commissioning"];
    assert_eq!(c["commissions"]["totalCount"], 1, "{answer}");
    let node = &c["commissions"]["nodes"][0];
    assert_eq!(node["id"], COMMISSION);
    assert_eq!(node["status"], "RUNNING");
    assert_eq!(node["partner"]["code"], "P-leeds-libraries");
    let expected: Value = serde_json::json!({
        "sessionsPromised": 3, "sessionsScheduled": 2, "sessionsHeld": 1, "sessionsToCome": 1,
        "sessionsCancelled": 1, "seatsBooked": 4, "percentDelivered": 33.3,
        // Six people: a small number, withheld from the commissioner.
        "attended": { "display": "*" }
    });
    assert_eq!(node["delivery"], expected, "{answer}");
    assert_eq!(c["totals"]["sessionsHeld"], 1);
    // The partner sees its own commission; a PCN outside its area sees none.
    let mine = ask(
        &schema,
        "P-leeds-libraries",
        Role::PartnerCoordinator,
        "{ commissioning { commissions { totalCount } } }",
    )
    .await;
    assert_eq!(
        mine["data"]["commissioning"]["commissions"]["totalCount"], 1,
        "{mine}"
    );
    let other = ask(
        &schema,
        "U00002",
        Role::PcnLead,
        "{ commissioning { commissions { totalCount } } }",
    )
    .await;
    assert_eq!(
        other["data"]["commissioning"]["commissions"]["totalCount"], 0,
        "{other}"
    );
    // An area nobody registered is NOT_FOUND, not an empty answer.
    let unknown = schema
        .execute(
            async_graphql::Request::new(
                "{ commissioning(area: \"QZZ\") { totals { sessionsHeld } } }",
            )
            .data(crate::world::verified("QWO", &[Role::IcbCommissioner])),
        )
        .await;
    assert!(
        unknown
            .errors
            .iter()
            .any(|e| e.message.starts_with("area:")),
        "{:?}",
        unknown.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_measures_trained_staff_against_staff_in_post() {
    use pb::OrganisationKind as K;
    let world = Scratch::with_tree(&[
        ("A81002", K::Practice, "U00001"),
        ("A81003", K::Practice, "U00001"),
    ])
    .await;
    let log = world.log.as_ref();
    let today = Utc::now().date_naive();
    let launched = pb::TrainingProgrammeLaunched {
        programme_id: PROGRAMME.into(),
        owner_code: "X24".into(),
        title: "Digital front door".into(),
        audience_roles: vec![pb::StaffRole::Receptionist.into()],
        module_ids: vec!["m1".into()],
        target_percent: 80,
        deadline: (today + Days::days(365)).to_string(),
        code: "DFD-2027".into(),
    };
    append(log, &format!("programme-{PROGRAMME}"), launched, &[]).await;
    // A81001: 4 receptionists, 1 trained. A81002: 2 receptionists, 3 trained (people
    // left since): counts as 2. A81003 reported nobody: no denominator.
    let staff = |practice: &str, headcount: u32| pb::StaffInPostReported {
        practice_code: practice.into(),
        staff_role: pb::StaffRole::Receptionist.into(),
        headcount,
        as_of: today.to_string(),
    };
    append(log, "practice-A81001", staff("A81001", 4), &[]).await;
    append(log, "practice-A81002", staff("A81002", 2), &[]).await;
    let trained = [
        ("A81001", "REC-1"),
        ("A81002", "REC-1"),
        ("A81002", "REC-2"),
        ("A81002", "REC-3"),
    ];
    for (practice, person) in trained {
        let stream = format!("practice-{practice}");
        let enrolled = pb::StaffEnrolled {
            practice_code: practice.into(),
            staff_ref: person.into(),
            staff_role: pb::StaffRole::Receptionist.into(),
            programme_id: PROGRAMME.into(),
            enrolled_on: today.to_string(),
        };
        append(log, &stream, enrolled, &[]).await;
        let done = pb::TrainingCompleted {
            practice_code: practice.into(),
            staff_ref: person.into(),
            programme_id: PROGRAMME.into(),
            completed_on: today.to_string(),
        };
        append(log, &stream, done, &[]).await;
    }
    let schema = world.schema().await;
    let query = "{ trainingRollout(programme: \"DFD-2027\", groupBy: PRACTICE, within: \"QWO\") { treeAt totals { staffInPost trained percentTrained practicesWithoutDenominator expectedPercent onTrack percentCompleted } groups { nodes { area { code } figures { percentTrained } weekly { trained staffInPost } } } weekly { trained staffInPost percentTrained } } }";
    let answer = ask(&schema, "QWO", Role::IcbCommissioner, query).await;
    let r = &answer["data"]["trainingRollout"];
    assert_eq!(r["treeAt"], "FACT_DATE");
    let totals = &r["totals"];
    assert_eq!(totals["staffInPost"], 6, "{answer}");
    assert_eq!(totals["trained"], 3, "{answer}");
    assert_eq!(totals["percentTrained"], 50.0, "{answer}");
    assert_eq!(totals["practicesWithoutDenominator"], 1, "{answer}");
    // Launched today: the straight line starts at 0%.
    assert_eq!(totals["expectedPercent"], 0.0, "{answer}");
    assert_eq!(totals["onTrack"], true, "{answer}");
    // Every one who started finished: the old measure says 100% and means nothing.
    assert_eq!(totals["percentCompleted"], 100.0, "{answer}");
    let groups = r["groups"]["nodes"].as_array().expect("groups");
    let percent = |code: &str| {
        groups
            .iter()
            .find(|g| g["area"]["code"] == code)
            .map(|g| g["figures"]["percentTrained"].clone())
    };
    assert_eq!(percent("A81001"), Some(Value::from(25.0)));
    assert_eq!(percent("A81002"), Some(Value::from(100.0)));
    assert_eq!(percent("A81003"), Some(Value::Null));
    let last_week = r["weekly"]
        .as_array()
        .and_then(|w| w.last())
        .expect("a week");
    assert_eq!(last_week["trained"], 3, "{answer}");
    assert_eq!(last_week["staffInPost"], 6, "{answer}");
    let group_weeks = groups[0]["weekly"].as_array().expect("weeks");
    assert!(!group_weeks.is_empty(), "{answer}");
}
