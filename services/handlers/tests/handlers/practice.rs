//! PracticeService over real gRPC: facilitation, digital services, champions, staff
//! training and platforms, recorded on the practice's own stream by those allowed to.

use crate::support::{Harness, assert_denied, assert_rejected, reception_programme, sent_twice};
use auth::Role;
use chrono::{Datelike, Duration, Utc};
use domain::EventSet;
use domain::platform::PlatformEvent;
use domain::practice::PracticeEvent;
use eventlog::{EventLog, ExpectedVersion, Metadata, NewEvent};
use proto::v1 as pb;
use tonic::Code;

/// Last week as an ISO week, so the tests do not depend on the date they run.
fn last_week() -> String {
    let week = (Utc::now().date_naive() - Duration::days(7)).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

fn facilitation(practice: &str) -> pb::RecordFacilitationRequest {
    pb::RecordFacilitationRequest {
        practice_code: practice.into(),
        week: last_week(),
        mode: pb::FacilitationMode::Reactive.into(),
        service: pb::DigitalService::NhsApp.into(),
        channel: pb::FacilitationChannel::FaceToFace.into(),
        delivered_by: pb::StaffRole::Receptionist.into(),
        patient_groups: vec![pb::PatientGroup::OlderPeople.into()],
        patients_supported: 14,
        registered_for_nhs_app: 11,
        completed_task_online: 6,
        declined_help: 2,
        staff_minutes: 210,
        notes: "Help at the front desk after the flu clinic".into(),
        ..Default::default()
    }
}

fn pause(practice: &str) -> pb::ChangeServiceStatusRequest {
    pb::ChangeServiceStatusRequest {
        practice_code: practice.into(),
        service: pb::DigitalService::OnlineConsultation.into(),
        status: pb::ServiceStatus::Paused.into(),
        reason: "not enough reception cover this month".into(),
        reason_kind: pb::ServiceChangeReason::StaffCapacity.into(),
        ..Default::default()
    }
}

fn enrol(staff: &str, programme: &str) -> pb::EnrolStaffRequest {
    pb::EnrolStaffRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        staff_role: pb::StaffRole::Receptionist.into(),
        programme_id: programme.into(),
        ..Default::default()
    }
}

fn module(staff: &str, programme: &str, module: &str) -> pb::CompleteModuleRequest {
    pb::CompleteModuleRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        programme_id: programme.into(),
        module_id: module.into(),
        ..Default::default()
    }
}

fn training(staff: &str, programme: &str) -> pb::CompleteTrainingRequest {
    pb::CompleteTrainingRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        programme_id: programme.into(),
        ..Default::default()
    }
}

/// A national lead launches a programme for reception teams; returns its id.
async fn launch_programme(h: &Harness) -> String {
    h.icb("X24", &[Role::NationalLead])
        .launch_training_programme(reception_programme())
        .await
        .expect("launch")
        .into_inner()
        .aggregate_id
}

/// The practice events stored on `stream`, decoded.
async fn practice_events(h: &Harness, stream: &str) -> Vec<PracticeEvent> {
    h.events()
        .await
        .into_iter()
        .filter(|e| e.stream == stream)
        .map(|e| {
            PracticeEvent::decode(&e.event_type, &e.payload)
                .expect("decodes")
                .expect("a practice event")
        })
        .collect()
}

#[tokio::test]
async fn facilitation_is_recorded_on_the_practice_stream_with_who_recorded_it() {
    let h = Harness::with_tree().await;
    let mut manager = h.practice("A81001", &[Role::PracticeManager]);
    let result = manager
        .record_facilitation(facilitation("A81001"))
        .await
        .expect("recorded")
        .into_inner();
    assert_eq!(result.aggregate_id, "A81001");
    assert_eq!(result.event_ids.len(), 1);
    assert_eq!(result.stream_version, 0);

    let events = h.events().await;
    let stored = events.last().expect("an event");
    assert_eq!(stored.stream, "practice-A81001");
    assert_eq!(stored.position, result.last_position);
    assert_eq!(stored.event_id.to_string(), result.event_ids[0]);
    assert_eq!(stored.event_type, "difacto.v1.FacilitationRecorded");
    let meta = |key: &str| stored.metadata.get(key).map(String::as_str);
    assert_eq!(meta("actor"), Some("user@A81001"));
    assert_eq!(meta("organisation"), Some("A81001"));
    assert_eq!(meta("aggregate_id"), Some("A81001"));
    let version = domain::envelope::SCHEMA_VERSION.to_string();
    assert_eq!(meta("schema_version"), Some(version.as_str()));
    assert!(meta("correlation_id").is_some());

    let Some(PracticeEvent::FacilitationRecorded(recorded)) =
        PracticeEvent::decode(&stored.event_type, &stored.payload).expect("decodes")
    else {
        panic!("not a FacilitationRecorded: {}", stored.event_type);
    };
    let request = facilitation("A81001");
    assert_eq!(
        recorded,
        pb::FacilitationRecorded {
            practice_code: "A81001".into(),
            week: request.week,
            mode: request.mode,
            service: request.service,
            channel: request.channel,
            delivered_by: request.delivered_by,
            patient_groups: request.patient_groups,
            patients_supported: 14,
            registered_for_nhs_app: 11,
            completed_task_online: 6,
            referred_to_community_session: 0,
            declined_help: 2,
            set_up_proxy_access: 0,
            staff_minutes: 210,
            notes: request.notes,
        }
    );
}

#[tokio::test]
async fn callers_write_only_for_their_own_practice_or_area() {
    let h = Harness::with_tree().await;
    let head = h.head().await;

    // A practice manager of A81001 cannot record for A81002.
    let mut manager = h.practice("A81001", &[Role::PracticeManager]);
    assert_denied(
        manager.record_facilitation(facilitation("A81002")).await,
        "another practice",
    );
    assert_denied(
        manager.change_service_status(pause("A81002")).await,
        "another practice",
    );
    assert_eq!(h.head().await, head, "a denial stores nothing");

    // A PCN lead records for the PCN's practices, not for another PCN's.
    let mut pcn = h.practice("U00001", &[Role::PcnLead]);
    pcn.record_facilitation(facilitation("A81001"))
        .await
        .expect("within the PCN");
    assert_eq!(h.head().await, head + 1);
    assert_denied(
        pcn.record_facilitation(facilitation("B82001")).await,
        "another PCN",
    );
    assert_eq!(h.head().await, head + 1);

    // Practice staff record facilitation, but only the manager changes what is offered.
    let mut staff = h.practice("A81001", &[Role::PracticeStaff]);
    staff
        .record_facilitation(facilitation("A81001"))
        .await
        .expect("staff record facilitation");
    assert_denied(staff.change_service_status(pause("A81001")).await, "staff");
    let head = h.head().await;

    // An auditor never writes, wherever it sits.
    for org in ["A81001", "X24"] {
        let mut auditor = h.practice(org, &[Role::Auditor]);
        let denials = [
            auditor
                .record_facilitation(facilitation("A81001"))
                .await
                .map(drop),
            auditor
                .change_service_status(pause("A81001"))
                .await
                .map(drop),
            auditor
                .name_digital_champion(pb::NameDigitalChampionRequest {
                    practice_code: "A81001".into(),
                    staff_ref: "CN-01".into(),
                    staff_role: pb::StaffRole::CareNavigator.into(),
                    ..Default::default()
                })
                .await
                .map(drop),
        ];
        for denial in denials {
            assert_eq!(
                denial.expect_err("auditor").code(),
                Code::PermissionDenied,
                "{org}"
            );
        }
    }
    assert_eq!(h.head().await, head, "auditors stored nothing");
}

#[tokio::test]
async fn a_member_of_staff_is_trained() {
    let h = Harness::with_tree().await;
    let programme = launch_programme(&h).await;
    let mut practice = h.practice("A81001", &[Role::PracticeStaff]);

    // Completing anything before enrolling is refused, naming the member of staff.
    assert_rejected(
        practice
            .complete_module(module("REC-07", &programme, "nhs-app-basics"))
            .await,
        Code::FailedPrecondition,
        "staff_ref",
    );
    practice
        .enrol_staff(enrol("REC-07", &programme))
        .await
        .expect("enrolled");
    assert_rejected(
        practice.enrol_staff(enrol("REC-07", &programme)).await,
        Code::AlreadyExists,
        "staff_ref",
    );
    assert_rejected(
        practice
            .enrol_staff(pb::EnrolStaffRequest {
                staff_role: pb::StaffRole::Gp.into(),
                ..enrol("GP-01", &programme)
            })
            .await,
        Code::InvalidArgument,
        "staff_role",
    );
    practice
        .complete_module(module("REC-07", &programme, "nhs-app-basics"))
        .await
        .expect("first module");
    let early = practice
        .complete_training(training("REC-07", &programme))
        .await;
    assert_rejected(early, Code::FailedPrecondition, "staff_ref");
    let head = h.head().await;
    practice
        .complete_module(module("REC-07", &programme, "nhs-app-basics"))
        .await
        .expect("a module completed again is accepted");
    assert_eq!(h.head().await, head, "... and records nothing");
    assert_rejected(
        practice
            .complete_module(module("REC-07", &programme, "advanced"))
            .await,
        Code::InvalidArgument,
        "module_id",
    );
    practice
        .complete_module(module("REC-07", &programme, "proxy-access"))
        .await
        .expect("second module");
    let done = practice
        .complete_training(training("REC-07", &programme))
        .await
        .expect("trained")
        .into_inner();
    assert_eq!(done.stream_version, 3);

    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    let kinds: Vec<String> = practice_events(&h, "practice-A81001")
        .await
        .iter()
        .map(EventSet::type_name)
        .collect();
    assert_eq!(
        kinds,
        [
            "difacto.v1.StaffEnrolled",
            "difacto.v1.ModuleCompleted",
            "difacto.v1.ModuleCompleted",
            "difacto.v1.TrainingCompleted",
        ]
    );
    let Some(PracticeEvent::TrainingCompleted(last)) =
        practice_events(&h, "practice-A81001").await.pop()
    else {
        panic!("no TrainingCompleted");
    };
    assert_eq!(
        last,
        pb::TrainingCompleted {
            practice_code: "A81001".into(),
            staff_ref: "REC-07".into(),
            programme_id: programme,
            completed_on: today,
        }
    );
}

#[tokio::test]
async fn refusals_name_the_field_and_store_nothing() {
    let h = Harness::with_tree().await;
    let programme = launch_programme(&h).await;
    let head = h.head().await;
    let mut manager = h.practice("A81001", &[Role::PracticeManager]);
    assert_rejected(
        manager
            .record_facilitation(pb::RecordFacilitationRequest {
                week: "2026-W60".into(),
                ..facilitation("A81001")
            })
            .await,
        Code::InvalidArgument,
        "week",
    );
    assert_rejected(
        manager
            .record_facilitation(pb::RecordFacilitationRequest {
                registered_for_nhs_app: 15,
                ..facilitation("A81001")
            })
            .await,
        Code::InvalidArgument,
        "registered_for_nhs_app",
    );
    assert_rejected(
        manager
            .record_facilitation(pb::RecordFacilitationRequest {
                notes: "helped 9434765919 with repeat prescriptions".into(),
                ..facilitation("A81001")
            })
            .await,
        Code::InvalidArgument,
        "notes",
    );
    assert_rejected(
        manager
            .name_digital_champion(pb::NameDigitalChampionRequest {
                practice_code: "A81001".into(),
                staff_ref: "Jane Smith".into(),
                staff_role: pb::StaffRole::Receptionist.into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "staff_ref",
    );
    assert_rejected(
        manager.enrol_staff(enrol("Jane Smith", &programme)).await,
        Code::InvalidArgument,
        "staff_ref",
    );
    assert_rejected(
        manager
            .enrol_staff(enrol("REC-07", &uuid::Uuid::new_v4().to_string()))
            .await,
        Code::NotFound,
        "programme_id",
    );
    assert_rejected(
        manager.enrol_staff(enrol("REC-07", "not-a-uuid")).await,
        Code::InvalidArgument,
        "programme_id",
    );
    assert_rejected(
        manager
            .change_service_status(pb::ChangeServiceStatusRequest {
                reason: String::new(),
                ..pause("A81001")
            })
            .await,
        Code::InvalidArgument,
        "reason",
    );
    assert_rejected(
        manager.record_facilitation(facilitation("A8100")).await,
        Code::InvalidArgument,
        "practice_code",
    );
    assert_eq!(h.head().await, head, "nothing refused was stored");
}

#[tokio::test]
async fn re_sent_and_repeated_commands_store_nothing_new() {
    let h = Harness::with_tree().await;
    let mut manager = h.practice("A81001", &[Role::PracticeManager]);
    let request = pb::RecordFacilitationRequest {
        request_id: "facilitation-reception-1".into(),
        ..facilitation("A81001")
    };
    sent_twice!(h, manager.record_facilitation(request));

    // The same status again is accepted and stores nothing.
    manager
        .change_service_status(pause("A81001"))
        .await
        .expect("paused");
    let head = h.head().await;
    let unchanged = manager
        .change_service_status(pause("A81001"))
        .await
        .expect("unchanged")
        .into_inner();
    assert!(unchanged.event_ids.is_empty());
    assert_eq!(h.head().await, head);
}

#[tokio::test]
async fn a_practice_adopts_a_registered_platform_once() {
    let h = Harness::with_tree().await;
    // The platform is put in the log directly, so this test depends only on the practice
    // slice, not on how ProviderService registers platforms.
    let platform_id = uuid::Uuid::new_v4();
    let registered = PlatformEvent::from(pb::PlatformRegistered {
        platform_id: platform_id.to_string(),
        provider_code: "V-nhs-app".into(),
        name: "NHS App".into(),
        category: pb::PlatformCategory::PatientApp.into(),
        services: vec![pb::DigitalService::NhsApp.into()],
        ..Default::default()
    });
    h.log
        .append(
            &domain::platform::stream(&platform_id),
            ExpectedVersion::NoStream,
            vec![NewEvent {
                event_id: uuid::Uuid::new_v4(),
                event_type: registered.type_name(),
                payload: registered.encode().into(),
                metadata: Metadata::new(),
            }],
        )
        .await
        .expect("platform registered");

    let mut manager = h.practice("A81001", &[Role::PracticeManager]);
    let adopt = pb::AdoptPlatformRequest {
        practice_code: "A81001".into(),
        platform_id: platform_id.to_string(),
        ..Default::default()
    };
    manager
        .adopt_platform(adopt.clone())
        .await
        .expect("adopted");
    let head = h.head().await;
    manager
        .adopt_platform(adopt.clone())
        .await
        .expect("adopting again is accepted");
    assert_eq!(h.head().await, head, "and stores nothing");
    assert_rejected(
        manager
            .adopt_platform(pb::AdoptPlatformRequest {
                platform_id: uuid::Uuid::new_v4().to_string(),
                ..adopt.clone()
            })
            .await,
        Code::NotFound,
        "platform_id",
    );
    assert_rejected(
        manager
            .adopt_platform(pb::AdoptPlatformRequest {
                services: vec![pb::DigitalService::VideoConsultation.into()],
                ..adopt
            })
            .await,
        Code::InvalidArgument,
        "services[0]",
    );
    assert!(matches!(
        practice_events(&h, "practice-A81001").await.as_slice(),
        [PracticeEvent::PlatformAdopted(e)] if e.platform_id == platform_id.to_string()
    ));
}
