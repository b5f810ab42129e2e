//! Family 8, the smaller holes (issue 8 item 8): undecodable requests, unbounded lists,
//! bad tokens on the websocket, oversized tokens, `/readyz`, reflection `v1alpha`, what
//! an auditor and a provider read.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use auth::Role;
use bytes::{Buf, BufMut};
use proto::v1 as pb;
use serde_json::{Value, json};
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;

use crate::support::{self, Reflection, listed_services};

use super::fixture::{Fixture, LEEDS, facilitation, session_request};
use super::tools::{
    InitAnswer, Tally, Target, attack, clip, expired, forged, graphql, graphql_code, http_exchange,
    mint, status_text, ws_execute, ws_init, ws_open,
};

/// Sends and receives message bodies as they are, so that the bytes can be anything.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n).to_vec()))
    }
}

/// Calls `path` with `body` as the encoded request.
async fn raw_call(
    t: &Target,
    path: &'static str,
    token: &str,
    body: Vec<u8>,
) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(t.channel());
    grpc.ready()
        .await
        .map_err(|err| tonic::Status::unavailable(err.to_string()))?;
    let mut request = tonic::Request::new(body);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("a header value"),
    );
    grpc.unary(request, PathAndQuery::from_static(path), Raw)
        .await
        .map(tonic::Response::into_inner)
}

/// A length-delimited protobuf field.
fn field(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![(tag << 3) | 2];
    out.push(u8::try_from(bytes.len()).expect("short field"));
    out.extend_from_slice(bytes);
    out
}

/// The outcome of an undecodable request: INVALID_ARGUMENT, naming `field` when given.
fn undecodable(result: &Result<Vec<u8>, tonic::Status>, field: Option<&str>) -> Option<String> {
    match result {
        Ok(body) => Some(format!("accepted ({} bytes back)", body.len())),
        Err(status) if status.code() != Code::InvalidArgument => {
            Some(format!("wrong answer: {}", status_text(status)))
        }
        Err(status) if field.is_some_and(|f| !status.message().contains(f)) => Some(format!(
            "the message does not name {}: {}",
            field.unwrap_or_default(),
            clip(status.message(), 200)
        )),
        Err(_) => None,
    }
}

/// The outcome of a 10,000-entry list: refused, and not by a server error.
fn unbounded<T: std::fmt::Debug>(
    result: &Result<tonic::Response<T>, tonic::Status>,
) -> Option<String> {
    match result {
        Ok(r) => Some(format!(
            "accepted: {}",
            clip(&format!("{:?}", r.get_ref()), 200)
        )),
        Err(status) if matches!(status.code(), Code::Internal | Code::Unknown) => {
            Some(format!("a server error: {}", status_text(status)))
        }
        Err(_) => None,
    }
}

/// A validly signed token of more than 16 KiB.
fn oversized_token() -> String {
    let now = support::now_secs();
    let claims = auth::Claims {
        sub: "x".repeat(17 * 1024),
        org: "A81001".into(),
        roles: vec!["practice_manager".into()],
        iss: "difacto".into(),
        aud: "difacto".into(),
        exp: now + 600,
        iat: now,
    };
    support::sign(&claims, support::secret().as_bytes())
}

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("8 smaller holes", "sm");
    decoding(t, &mut tally).await;
    lists(t, f, &mut tally).await;
    tokens(t, f, &mut tally).await;
    readiness_and_reflection(t, &mut tally).await;
    reads(t, f, &mut tally).await;
    t.check_log(&mut tally).await;
    tally.finish()
}

async fn decoding(t: &Target, tally: &mut Tally) {
    let manager = mint(&tally.subject(), "A81001", &[Role::PracticeManager]);
    let leeds = mint(&tally.subject(), LEEDS, &[Role::PartnerCoordinator]);
    let national = mint(&tally.subject(), "X24", &[Role::NationalLead]);
    let service = mint(&tally.subject(), "X24", &[Role::Service]);
    let bad = [0xff, 0xfe, 0xfd, 0xfc];
    let book_seat = "/difacto.v1.PartnerService/BookSeat";

    for (what, path, token, body, named) in [
        (
            "BookSeat with session_id not UTF-8",
            book_seat,
            &manager,
            [field(2, &bad), field(4, b"A81001"), vec![0x28, 1]].concat(),
            "session_id",
        ),
        (
            "ScheduleSession with title not UTF-8",
            "/difacto.v1.PartnerService/ScheduleSession",
            &leeds,
            [field(3, LEEDS.as_bytes()), field(15, &bad)].concat(),
            "title",
        ),
        (
            "RegisterOrganisation with name not UTF-8",
            "/difacto.v1.IcbService/RegisterOrganisation",
            &national,
            [field(2, b"A81009"), field(4, &bad)].concat(),
            "name",
        ),
    ] {
        let r = raw_call(t, path, token, body).await;
        tally.attempt(what, None, undecodable(&r, Some(named)));
    }

    for (what, body) in [
        ("a length prefix cut short", vec![0x12, 0xff, 0xff, 0xff]),
        ("a length beyond the message", vec![0x12, 0x10, 0x41]),
        ("wire type 7", vec![0x0f, 0x01]),
        (
            "a varint that never ends",
            vec![0x28; 1].into_iter().chain([0xff; 11]).collect(),
        ),
    ] {
        let r = raw_call(t, book_seat, &manager, body).await;
        tally.attempt(format!("BookSeat with {what}"), None, undecodable(&r, None));
    }
    let r = raw_call(
        t,
        "/difacto.v1.EventLogService/Append",
        &service,
        [field(1, b"attack-garbage"), field(3, &[0xff; 8])].concat(),
    )
    .await;
    tally.attempt(
        "Append with garbage where an EventData belongs",
        None,
        undecodable(&r, None),
    );
}

async fn lists(t: &Target, f: &Fixture, tally: &mut Tally) {
    const N: usize = 10_000;
    let coordinator = [Role::PartnerCoordinator];
    let national = [Role::NationalLead];

    attack!(
        t,
        tally,
        "ScheduleSession.languages × 10,000",
        partner(LEEDS, &coordinator).schedule_session(pb::ScheduleSessionRequest {
            languages: vec!["en".into(); N],
            ..session_request(5, "Many languages")
        }),
        unbounded,
    );
    attack!(
        t,
        tally,
        "ScheduleSession.topics × 10,000",
        partner(LEEDS, &coordinator).schedule_session(pb::ScheduleSessionRequest {
            topics: vec![pb::DigitalService::NhsApp.into(); N],
            ..session_request(5, "Many topics")
        }),
        unbounded,
    );
    attack!(
        t,
        tally,
        "ScheduleSession.accessibility × 10,000",
        partner(LEEDS, &coordinator).schedule_session(pb::ScheduleSessionRequest {
            accessibility: (0..N).map(|i| (i % 12 + 1) as i32).collect(),
            ..session_request(5, "Many needs")
        }),
        unbounded,
    );
    attack!(
        t,
        tally,
        "RegisterOrganisation.covers_codes × 10,000",
        icb("X24", &national).register_organisation(pb::RegisterOrganisationRequest {
            code: "P-many-areas".into(),
            kind: pb::OrganisationKind::Partner.into(),
            name: "Many areas".into(),
            parent_code: "QE1".into(),
            covers_codes: (0..N).map(|i| format!("Q{i:05}")).collect(),
            ..Default::default()
        }),
        unbounded,
    );
    attack!(
        t,
        tally,
        "MergeOrganisations.predecessor_codes × 10,000",
        icb("X24", &national).merge_organisations(pb::MergeOrganisationsRequest {
            predecessor_codes: (0..N).map(|i| format!("Q{i:05}")).collect(),
            successor_code: "QE1".into(),
            effective_date: "2099-04-01".into(),
            ..Default::default()
        }),
        unbounded,
    );
    attack!(
        t,
        tally,
        "LaunchTrainingProgramme.module_ids × 10,000",
        icb("X24", &national).launch_training_programme(pb::LaunchTrainingProgrammeRequest {
            owner_code: "X24".into(),
            title: "Many modules".into(),
            audience_roles: vec![pb::StaffRole::Receptionist.into()],
            module_ids: (0..N).map(|i| format!("module-{i}")).collect(),
            target_percent: 80,
            deadline: "2099-03-31".into(),
            ..Default::default()
        }),
        unbounded,
    );
    attack!(
        t,
        tally,
        "RecordFacilitation.patient_groups × 10,000",
        practice("A81001", &[Role::PracticeManager]).record_facilitation(
            pb::RecordFacilitationRequest {
                patient_groups: (0..N).map(|i| (i % 9 + 1) as i32).collect(),
                ..facilitation("A81001", "Many groups")
            }
        ),
        unbounded,
    );
    attack!(
        t,
        tally,
        "PublishTrainingMaterial.languages × 10,000",
        provider("V-nhs-app", &[Role::ProviderAdmin]).publish_training_material(
            pb::PublishTrainingMaterialRequest {
                platform_id: f.nhs_platform.clone(),
                title: "Many languages".into(),
                formats: vec![pb::MaterialFormat::Guide.into()],
                languages: vec!["en".into(); N],
                url: "https://example.org/guide".into(),
                ..Default::default()
            }
        ),
        unbounded,
    );

    // Through GraphQL.
    let sub = tally.subject();
    let answer = graphql(
        &t.http_addr,
        Some(&mint(&sub, LEEDS, &coordinator)),
        "mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { aggregateId } }",
        json!({ "input": {
            "partnerCode": LEEDS, "icbCode": "QE1", "venueName": "Hyde Park library",
            "venuePostcodeDistrict": "LS6", "startsAt": super::fixture::tomorrow(10),
            "endsAt": super::fixture::tomorrow(12), "capacity": 5, "topics": ["NHS_APP"],
            "languages": vec!["en"; N], "title": "Many languages" } }),
        Duration::from_secs(20),
    )
    .await;
    tally.refused_graphql(
        "scheduleSession languages × 10,000 through GraphQL",
        &sub,
        "scheduleSession",
        &answer,
    );
}

async fn tokens(t: &Target, f: &Fixture, tally: &mut Tally) {
    let good = mint(&tally.subject(), "A81001", &[Role::PracticeManager]);
    let big = oversized_token();

    // Bad tokens in connection_init close the socket with 4401 or 4403.
    for (what, token) in [
        ("not a JWT", "not-a-jwt".to_owned()),
        ("a forged signature", forged(&good)),
        ("an expired token", expired("A81001", Role::PracticeManager)),
        ("a 17 KiB token", big.clone()),
    ] {
        let leak = match ws_open(&t.http_addr).await {
            Err(err) => Some(format!("no websocket: {err}")),
            Ok(mut socket) => {
                match ws_init(
                    &mut socket,
                    json!({ "Authorization": format!("Bearer {token}") }),
                )
                .await
                {
                    InitAnswer::Closed(Some(4401 | 4403)) => None,
                    other => Some(format!("answered {other}")),
                }
            }
        };
        tally.attempt(format!("websocket connection_init with {what}"), None, leak);
    }
    let answer = match ws_open(&t.http_addr).await {
        Ok(mut socket) => {
            ws_init(
                &mut socket,
                json!({ "Authorization": format!("Bearer {good}") }),
            )
            .await
        }
        Err(err) => InitAnswer::Other(err),
    };
    tally.control(
        "websocket connection_init with a good token is acknowledged",
        (!matches!(answer, InitAnswer::Ack)).then(|| answer.to_string()),
    );

    // A token over 16 KiB is UNAUTHENTICATED on every surface.
    let r = t
        .partner_with(&big)
        .book_seat(super::fixture::booking(&f.open_session, "A81001"))
        .await;
    let leak = match &r {
        Err(status) if status.code() == Code::Unauthenticated => None,
        Err(status) => Some(format!("wrong answer: {}", status_text(status))),
        Ok(r) => Some(format!("accepted: {:?}", r.get_ref())),
    };
    tally.attempt("gRPC BookSeat with a 17 KiB token", None, leak);
    let r = t
        .log_with(&big)
        .read_all(pb::ReadAllRequest {
            after_position: 0,
            max_count: 1,
        })
        .await;
    let leak = match &r {
        Err(status) if status.code() == Code::Unauthenticated => None,
        Err(status) => Some(format!("wrong answer: {}", status_text(status))),
        Ok(_) => Some("read the log".to_owned()),
    };
    tally.attempt("gRPC ReadAll with a 17 KiB token", None, leak);
    let answer = http_exchange(
        &t.http_addr,
        "POST",
        "/graphql",
        Some(&big),
        Some(
            json!({ "query": "{ organisations(kind: PRACTICE) { totalCount } }" })
                .to_string()
                .into_bytes(),
        ),
        Duration::from_secs(10),
    )
    .await;
    let leak = match &answer {
        Ok(r) if r.status == 401 => None,
        Ok(r) => {
            let json: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            match graphql_code(&json) {
                Some("UNAUTHENTICATED") => None,
                _ => Some(format!("HTTP {}: {}", r.status, clip(&r.body, 200))),
            }
        }
        Err(err) => Some(err.clone()),
    };
    tally.attempt("GraphQL over HTTP with a 17 KiB token", None, leak);
}

async fn readiness_and_reflection(t: &Target, tally: &mut Tally) {
    // /readyz: 503 until the read models have caught up, then 200; never missing.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    let leak = loop {
        match http_exchange(
            &t.http_addr,
            "GET",
            "/readyz",
            None,
            None,
            Duration::from_secs(5),
        )
        .await
        {
            Ok(r) if r.status == 200 => break None,
            Ok(r) if r.status == 503 && Instant::now() < deadline => seen.push(503),
            Ok(r) => break Some(format!("HTTP {} after {seen:?}", r.status)),
            Err(err) => break Some(err),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tally.attempt("GET /readyz is 200 once ready", None, leak);

    let expected = [
        "difacto.v1.IcbService",
        "difacto.v1.PracticeService",
        "difacto.v1.PartnerService",
        "difacto.v1.ProviderService",
        "difacto.v1.EventLogService",
        "grpc.health.v1.Health",
    ];
    let listed = |names: HashSet<String>| {
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|n| !names.contains(*n))
            .collect();
        (!missing.is_empty()).then(|| format!("missing {missing:?} from {names:?}"))
    };
    for (version, what) in [
        (Reflection::V1Alpha, "reflection v1alpha lists the services"),
        (Reflection::V1, "reflection v1 lists the services"),
    ] {
        let failure = match listed_services(t.channel(), version).await {
            Ok(names) => listed(names),
            Err(err) => Some(err),
        };
        // v1alpha is the hole being checked; v1 is the control beside it.
        match version {
            Reflection::V1Alpha => tally.attempt(what, None, failure),
            Reflection::V1 => tally.control(what, failure),
        }
    }
}

async fn reads(t: &Target, f: &Fixture, tally: &mut Tally) {
    let limit = Duration::from_secs(20);

    // Auditors and national leads see aggregates, never individual bookings.
    let one = format!(
        r#"{{ session(id: "{}") {{ booked bookings {{ reference }} }} }}"#,
        f.open_session
    );
    let all = r#"{ sessions(within: "QE1") { nodes { id booked bookings { reference } } } }"#;
    for (org, role) in [("X24", Role::Auditor), ("X24", Role::NationalLead)] {
        let token = mint(&tally.subject(), org, &[role]);
        for (query, over_ws) in [(one.as_str(), false), (all, false), (one.as_str(), true)] {
            let answer = if over_ws {
                ws_execute(&t.http_addr, &token, query, json!({})).await
            } else {
                graphql(&t.http_addr, Some(&token), query, json!({}), limit).await
            };
            let data = super::fixture::data(&answer);
            let sessions: Vec<&Value> = match data["sessions"]["nodes"].as_array() {
                Some(nodes) => nodes.iter().collect(),
                None => vec![&data["session"]],
            };
            let shown: usize = sessions
                .iter()
                .map(|s| s["bookings"].as_array().map_or(0, Vec::len))
                .sum();
            let booked: u64 = sessions.iter().filter_map(|s| s["booked"].as_u64()).sum();
            let view = if query == all { "sessions" } else { "session" };
            let how = if over_ws { "websocket" } else { "HTTP" };
            tally.attempt(
                format!("{} reads bookings through {view} over {how}", role.as_str()),
                None,
                (shown > 0).then(|| format!("{shown} individual booking(s) shown")),
            );
            tally.control(
                format!(
                    "{} sees the booked count through {view} over {how}",
                    role.as_str()
                ),
                (booked == 0).then(|| format!("no counts: {}", clip(&format!("{answer:?}"), 300))),
            );
        }
    }

    // A provider lists only the issues on its own platforms.
    let token = mint(&tally.subject(), "V-other-app", &[Role::ProviderAdmin]);
    let ids = |answer: &Result<Value, String>| -> Vec<String> {
        super::fixture::data(answer)["platformIssues"]["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .filter_map(|n| n["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mine = graphql(
        &t.http_addr,
        Some(&token),
        "{ platformIssues { nodes { id } } }",
        json!({}),
        limit,
    )
    .await;
    let listed = ids(&mine);
    tally.attempt(
        "V-other-app lists platformIssues",
        None,
        listed
            .contains(&f.nhs_issue)
            .then(|| "V-nhs-app's issue is listed".to_owned()),
    );
    tally.control(
        "V-other-app sees the issue on its own platform",
        (!listed.contains(&f.other_issue)).then(|| format!("{mine:?}")),
    );
    let theirs = ws_execute(
        &t.http_addr,
        &token,
        r#"{ platformIssues(provider: "V-nhs-app") { nodes { id } } }"#,
        json!({}),
    )
    .await;
    tally.attempt(
        "V-other-app lists platformIssues(provider: V-nhs-app) over a websocket",
        None,
        ids(&theirs)
            .contains(&f.nhs_issue)
            .then(|| "V-nhs-app's issue is listed".to_owned()),
    );
}
