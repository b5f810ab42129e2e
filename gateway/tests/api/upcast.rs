//! An event stored under an older schema version reads the same, upcast, through both
//! readers: the services' store (what commands decide on) and the gateway's read models
//! (what every view answers from).

use std::sync::Arc;
use std::time::Duration;

use domain::envelope::meta;
use domain::programme::{Programme, derived_code, stream};
use eventlog::EventLog;
use handlers::Store;
use proto::v1 as pb;
use uuid::Uuid;

use crate::world::{append, caught_up, register, sled_log};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_stored_under_schema_1_has_the_same_derived_code_for_the_service_and_the_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log: Arc<dyn EventLog> = Arc::new(sled_log(dir.path()));
    register(log.as_ref(), "X24", pb::OrganisationKind::NationalBody, "").await;
    let id = Uuid::parse_str("00000000-0000-4000-8000-0000000000aa").expect("uuid");
    let launched = pb::TrainingProgrammeLaunched {
        programme_id: id.to_string(),
        owner_code: "X24".into(),
        title: "Train reception staff in digital facilitation".into(),
        audience_roles: vec![pb::StaffRole::Receptionist.into()],
        module_ids: vec!["m1".into()],
        target_percent: 60,
        deadline: "2027-03-31".into(),
        code: String::new(), // schema 1 had no code
    };
    append(
        log.as_ref(),
        &stream(&id),
        launched,
        &[(meta::SCHEMA_VERSION, "1")],
    )
    .await;
    let expected = derived_code(
        "Train reception staff in digital facilitation",
        "2027-03-31",
    );
    assert_eq!(expected, "TRSDF-2027");

    let store = Store::new(log.clone());
    let programme = store.load::<Programme>(&stream(&id)).await.expect("loads");
    assert_eq!(programme.code, expected, "the service's fold");

    let projection = caught_up(log.clone(), Duration::from_secs(10)).await;
    projection.live().read(|model| {
        let seen = model
            .training
            .programme(&expected)
            .expect("found by its code");
        assert_eq!(seen.id, id.to_string());
        assert_eq!(seen.code, expected, "the view's fold");
    });
}
