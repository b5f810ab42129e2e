//! The small world the in-process schema tests and the GraphQL fuzzing harness share: a
//! tree (national body, a region, an ICB, a PCN with two practices, a partner) and a few
//! facilitation records, on a real sled log, with the read models caught up.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use eventlog::{EventLog, ExpectedVersion, Metadata, NewEvent};
use gateway::projection::Projection;
use gateway::schema::DifactoSchema;
use proto::v1 as pb;
use uuid::Uuid;

/// Appends `message` to `stream` as one event with `metadata`.
pub async fn append<M: prost::Message + prost::Name>(
    log: &dyn EventLog,
    stream: &str,
    message: M,
    metadata: &[(&str, &str)],
) {
    log.append(
        stream,
        ExpectedVersion::Any,
        vec![NewEvent {
            event_id: Uuid::new_v4(),
            event_type: M::full_name(),
            payload: Bytes::from(message.encode_to_vec()),
            metadata: metadata
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Metadata>(),
        }],
    )
    .await
    .expect("append");
}

pub async fn register(log: &dyn EventLog, code: &str, kind: pb::OrganisationKind, parent: &str) {
    let event = pb::OrganisationRegistered {
        code: code.into(),
        kind: kind.into(),
        name: code.into(),
        parent_code: parent.into(),
        effective_date: "2020-01-01".into(),
        ..Default::default()
    };
    append(log, "organisations", event, &[]).await;
}

pub async fn record(log: &dyn EventLog, practice: &str, patients: u32, mode: pb::FacilitationMode) {
    let event = pb::FacilitationRecorded {
        practice_code: practice.into(),
        week: "2026-W10".into(),
        mode: mode.into(),
        service: pb::DigitalService::NhsApp.into(),
        channel: pb::FacilitationChannel::FaceToFace.into(),
        delivered_by: pb::StaffRole::Receptionist.into(),
        patients_supported: patients,
        ..Default::default()
    };
    append(log, &format!("practice-{practice}"), event, &[]).await;
}

/// A new sled log in `dir`.
pub fn sled_log(dir: &Path) -> eventlog::SledLog {
    eventlog::SledLog::open(&eventlog::SledConfig::new(dir.join("log"))).expect("open")
}

/// A schema on `projection` whose mutations go nowhere (no service listens on port 9).
pub fn schema_on(projection: Arc<Projection>) -> DifactoSchema {
    let endpoints =
        gateway::services::DomainEndpoints::from_flag("http://127.0.0.1:9").expect("endpoints");
    gateway::schema::build(projection, endpoints)
}

/// Read models over `log`, folding in the background, that have caught up with it
/// within `limit`.
pub async fn caught_up(log: Arc<dyn EventLog>, limit: Duration) -> Arc<Projection> {
    let projection = Arc::new(Projection::open(log, None).await);
    tokio::spawn(
        projection
            .clone()
            .run(tokio_util::sync::CancellationToken::new()),
    );
    projection.catch_up(limit).await.expect("caught up");
    projection
}

/// An empty log in a temporary directory, for a test that builds its own world event by
/// event (a tree, then what happened in it) and then asks the schema about it.
#[allow(
    dead_code,
    reason = "the GraphQL fuzzing harness shares this file and builds no world of its own"
)]
pub struct Scratch {
    pub log: Arc<dyn EventLog>,
    _dir: tempfile::TempDir,
}

#[allow(
    dead_code,
    reason = "the GraphQL fuzzing harness shares this file and builds no world of its own"
)]
impl Scratch {
    /// A scratch log holding the national body X24, the ICB QWO below it, its PCN U00001
    /// and that PCN's practice A81001, then each of `more` as `(code, kind, parent)`, in
    /// order (a parent before its children).
    pub async fn with_tree(more: &[(&str, pb::OrganisationKind, &str)]) -> Self {
        use pb::OrganisationKind as K;
        let dir = tempfile::tempdir().expect("tempdir");
        let log: Arc<dyn EventLog> = Arc::new(sled_log(dir.path()));
        let base = [
            ("X24", K::NationalBody, ""),
            ("QWO", K::Icb, "X24"),
            ("U00001", K::Pcn, "QWO"),
            ("A81001", K::Practice, "U00001"),
        ];
        for &(code, kind, parent) in base.iter().chain(more) {
            register(log.as_ref(), code, kind, parent).await;
        }
        Self { log, _dir: dir }
    }

    /// A schema over read models caught up with everything appended so far.
    pub async fn schema(&self) -> DifactoSchema {
        schema_on(caught_up(self.log.clone(), Duration::from_secs(10)).await)
    }
}

/// The one duty of the world.
pub const DUTY: &str = "00000000-0000-4000-8000-000000000001";

pub struct World {
    pub schema: DifactoSchema,
    /// For tests that serve the schema over HTTP (the web app's); the fuzzer, which
    /// shares this file, does not.
    #[allow(dead_code)]
    pub projection: Arc<Projection>,
    /// For tests that add to the world after it is built (the web app's pages over
    /// training); the projection keeps folding what they append.
    #[allow(dead_code)]
    pub log: Arc<dyn EventLog>,
    /// The log's directory, when the world made it.
    _dir: Option<tempfile::TempDir>,
}

pub async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let log: Arc<dyn EventLog> = Arc::new(sled_log(dir.path()));
    let endpoints =
        gateway::services::DomainEndpoints::from_flag("http://127.0.0.1:9").expect("endpoints");
    world_on(log, endpoints, Some(dir)).await
}

/// The world on `log`, its mutations sent to `endpoints`: with the domain services
/// serving the same log, a write through the schema is read back by its views.
pub async fn world_on(
    log: Arc<dyn EventLog>,
    endpoints: gateway::services::DomainEndpoints,
    dir: Option<tempfile::TempDir>,
) -> World {
    use pb::OrganisationKind as K;
    register(log.as_ref(), "X24", K::NationalBody, "").await;
    register(log.as_ref(), "Y63", K::Region, "X24").await;
    register(log.as_ref(), "QWO", K::Icb, "Y63").await;
    register(log.as_ref(), "U00001", K::Pcn, "QWO").await;
    register(log.as_ref(), "A81001", K::Practice, "U00001").await;
    register(log.as_ref(), "A81002", K::Practice, "U00001").await;
    register(log.as_ref(), "P-leeds-libraries", K::Partner, "X24").await;
    // A81001 helped 3 people proactively and 9 reactively; A81002 helped 5.
    record(log.as_ref(), "A81001", 3, pb::FacilitationMode::Proactive).await;
    record(log.as_ref(), "A81001", 9, pb::FacilitationMode::Reactive).await;
    record(log.as_ref(), "A81002", 5, pb::FacilitationMode::Passive).await;
    // One duty owned at LOCAL level: PCN U00001 accepted being Responsible for its
    // practices, and nobody is Accountable.
    append(
        log.as_ref(),
        &format!("duty-{DUTY}"),
        pb::DutyDefined {
            duty_id: DUTY.into(),
            title: "NHS App sign-up support".into(),
            description: String::new(),
            required_levels: vec![pb::Level::Local.into(), pb::Level::National.into()],
        },
        &[],
    )
    .await;
    let assignment = "00000000-0000-4000-8000-0000000000a1";
    append(
        log.as_ref(),
        &format!("assignment-{assignment}"),
        pb::ResponsibilityProposed {
            assignment_id: assignment.into(),
            duty_id: DUTY.into(),
            area_code: "U00001".into(),
            level: pb::Level::Local.into(),
            assignee_code: "U00001".into(),
            role: pb::RaciRole::Responsible.into(),
            proposer_code: "QWO".into(),
            note: String::new(),
        },
        &[],
    )
    .await;
    append(
        log.as_ref(),
        &format!("assignment-{assignment}"),
        pb::ResponsibilityAccepted {
            assignment_id: assignment.into(),
            assignee_code: "U00001".into(),
        },
        &[],
    )
    .await;
    let projection = caught_up(log.clone(), Duration::from_secs(10)).await;
    World {
        schema: gateway::schema::build(projection.clone(), endpoints),
        projection,
        log,
        _dir: dir,
    }
}

/// A caller of `org` with `roles`, as the token check would let them in.
pub fn verified(org: &str, roles: &[auth::Role]) -> gateway::caller::Authentication {
    gateway::caller::Authentication::Verified(gateway::caller::Caller {
        principal: auth::Principal {
            subject: format!("test@{org}"),
            organisation: org.into(),
            roles: roles.to_vec(),
        },
        token: "unused".into(),
    })
}

/// The training programme of [`launch_training`].
#[allow(dead_code)]
pub const PROGRAMME: &str = "00000000-0000-4000-8000-0000000000f1";

/// A drop-in of P-leeds-libraries in QWO, `session_id`: 10 places on 2 March 2030 at a
/// library, none booked.
#[allow(dead_code)]
pub fn library_drop_in(session_id: &str) -> pb::SessionScheduled {
    pb::SessionScheduled {
        session_id: session_id.into(),
        partner_code: "P-leeds-libraries".into(),
        icb_code: "QWO".into(),
        venue_name: "Hyde Park library".into(),
        venue_postcode_district: "LS6".into(),
        starts_at: "2030-03-02T10:00:00Z".into(),
        ends_at: "2030-03-02T12:00:00Z".into(),
        capacity: 10,
        title: "NHS App drop-in".into(),
        ..Default::default()
    }
}

/// NHS England's reception programme `DFR-2027`, launched as `programme_id`: one module,
/// 60 % trained by March 2027.
pub fn reception_programme(programme_id: &str) -> pb::TrainingProgrammeLaunched {
    pb::TrainingProgrammeLaunched {
        programme_id: programme_id.into(),
        owner_code: "X24".into(),
        title: "Digital facilitation for reception teams".into(),
        audience_roles: vec![pb::StaffRole::Receptionist as i32],
        module_ids: vec!["m1".into()],
        target_percent: 60,
        deadline: "2027-03-31".into(),
        code: "DFR-2027".into(),
    }
}

/// Adds to `world` a reception programme, `DFR-2027`, launched today: A81001 has 2
/// receptionists in post, one of them trained today; A81002 has 3, none trained.
#[allow(dead_code)]
pub async fn launch_training(world: &World) {
    let log = world.log.as_ref();
    let today = chrono::Utc::now().date_naive().to_string();
    append(
        log,
        &format!("programme-{PROGRAMME}"),
        reception_programme(PROGRAMME),
        &[],
    )
    .await;
    for (practice, headcount) in [("A81001", 2), ("A81002", 3)] {
        append(
            log,
            &format!("practice-{practice}"),
            pb::StaffInPostReported {
                practice_code: practice.into(),
                staff_role: pb::StaffRole::Receptionist.into(),
                headcount,
                as_of: today.clone(),
            },
            &[],
        )
        .await;
    }
    append(
        log,
        "practice-A81001",
        pb::StaffEnrolled {
            practice_code: "A81001".into(),
            staff_ref: "S-1".into(),
            staff_role: pb::StaffRole::Receptionist.into(),
            programme_id: PROGRAMME.into(),
            enrolled_on: today.clone(),
        },
        &[],
    )
    .await;
    append(
        log,
        "practice-A81001",
        pb::TrainingCompleted {
            practice_code: "A81001".into(),
            staff_ref: "S-1".into(),
            programme_id: PROGRAMME.into(),
            completed_on: today,
        },
        &[],
    )
    .await;
    world
        .projection
        .catch_up(Duration::from_secs(10))
        .await
        .expect("caught up");
}
