//! Tests of a practice's week: facilitation, service status, champions, staff training and platforms.

use auth::Role;
use proto::v1::{PlatformRegistered, TrainingProgrammeLaunched};

use super::*;
use crate::platform::PlatformEvent;
use crate::programme::ProgrammeEvent;
use crate::testing::{self, caller_over, then, tree, when};

const PROGRAMME_ID: &str = "5b0e8f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
const PLATFORM_ID: &str = "7d2c1b0a-9e8f-4a6b-8c5d-4e3f2a1b0c9d";
const BASICS: &str = "nhs-app-basics";
const PROXY: &str = "proxy-access";

/// A caller acting for `org` with `roles` over the shared tree, on Wednesday 13 May 2026
/// (in ISO week 2026-W20).
fn ctx_as(org: &str, roles: &[Role]) -> Context {
    caller_over(&tree(), org, roles)
}

fn manager() -> Context {
    ctx_as("A81001", &[Role::PracticeManager])
}

fn given(events: Vec<PracticeEvent>) -> Practice {
    testing::given(&events)
}

fn programme() -> Programme {
    let mut programme = Programme::default();
    programme.apply(&ProgrammeEvent::from(TrainingProgrammeLaunched {
        programme_id: PROGRAMME_ID.into(),
        code: "DFD-2027".into(),
        owner_code: "X24".into(),
        title: "Digital front door".into(),
        audience_roles: vec![
            StaffRole::Receptionist.into(),
            StaffRole::CareNavigator.into(),
        ],
        module_ids: vec![BASICS.into(), PROXY.into()],
        target_percent: 80,
        deadline: "2099-03-31".into(),
    }));
    programme
}

fn platform() -> Platform {
    let mut platform = Platform::default();
    platform.apply(&PlatformEvent::from(PlatformRegistered {
        platform_id: PLATFORM_ID.into(),
        provider_code: "V-nhs-app".into(),
        name: "NHS App".into(),
        services: vec![
            DigitalService::NhsApp.into(),
            DigitalService::OnlineRecords.into(),
        ],
        ..Default::default()
    }));
    platform
}

#[track_caller]
fn assert_invalid(result: Result<Vec<PracticeEvent>>, expected: &str) {
    match result {
        Err(DomainError::Invalid { field, .. }) => assert_eq!(field, expected),
        other => panic!("expected Invalid naming {expected}, got {other:?}"),
    }
}

#[track_caller]
fn assert_precondition(result: Result<Vec<PracticeEvent>>, expected: &str) -> String {
    match result {
        Err(DomainError::Precondition { field, reason }) => {
            assert_eq!(field, expected);
            reason
        }
        other => panic!("expected Precondition naming {expected}, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found(result: Result<Vec<PracticeEvent>>, expected: &str) {
    match result {
        Err(DomainError::NotFound { field, .. }) => assert_eq!(field, expected),
        other => panic!("expected NotFound naming {expected}, got {other:?}"),
    }
}

#[track_caller]
fn assert_forbidden(result: Result<Vec<PracticeEvent>>) {
    assert!(
        matches!(result, Err(DomainError::Forbidden(_))),
        "expected Forbidden, got {result:?}"
    );
}

// ---- staff references and weeks ----

#[test]
fn staff_refs_are_pseudonymous() {
    for ok in ["REC-07", "rec.07", "a1", "CN_2026-03", &"x".repeat(64)] {
        assert_eq!(staff_ref("staff_ref", ok).as_deref(), Ok(ok), "{ok}");
    }
    assert_eq!(staff_ref("staff_ref", "  REC-07 "), Ok("REC-07".into()));
    for refused in [
        "",
        "   ",
        "A",
        "Jane Smith",
        "-REC",
        ".rec",
        "rec/07",
        "jane@example.nhs.uk",
        &"x".repeat(65),
        "9434765919",  // an NHS number
        "07700900123", // a phone number
    ] {
        assert_invalid(
            staff_ref("staff_ref", refused).map(|_| Vec::new()),
            "staff_ref",
        );
    }
    let err = staff_ref("staff_ref", "Jane Smith").expect_err("a name");
    assert!(!err.to_string().contains("Jane"), "never echoes a name");
}

#[test]
fn weeks_are_iso_weeks_up_to_the_current_one() {
    let today = manager().today();
    let monday = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    assert_eq!(iso_week("week", "2026-W20", today), Ok(monday(2026, 5, 11)));
    assert_eq!(
        iso_week("week", "2026-W01", today),
        Ok(monday(2025, 12, 29))
    );
    // 2020 is a long year: it has a week 53; 2025 does not.
    assert_eq!(
        iso_week("week", "2020-W53", today),
        Ok(monday(2020, 12, 28))
    );
    for refused in [
        "2025-W53",
        "2026-W60",
        "2026-W00",
        "2026-W21",
        "2027-W01",
        "1999-W10",
        "2026-14",
        "2026W14",
        "2026-w14",
        "26-W14",
        "2026-W1",
        "2026-W014",
        "+026-W14",
        "",
    ] {
        assert_invalid(iso_week("week", refused, today).map(|_| Vec::new()), "week");
    }
}

// ---- RecordFacilitation ----

fn facilitation() -> RecordFacilitationRequest {
    RecordFacilitationRequest {
        practice_code: "A81001".into(),
        week: "2026-W19".into(),
        mode: FacilitationMode::Proactive.into(),
        service: DigitalService::NhsApp.into(),
        channel: FacilitationChannel::GroupSession.into(),
        delivered_by: StaffRole::Receptionist.into(),
        patient_groups: vec![
            PatientGroup::OlderPeople.into(),
            PatientGroup::LimitedEnglish.into(),
        ],
        patients_supported: 12,
        registered_for_nhs_app: 9,
        completed_task_online: 7,
        referred_to_community_session: 2,
        declined_help: 1,
        set_up_proxy_access: 3,
        staff_minutes: 180,
        notes: "Tuesday drop-in at the library".into(),
        ..Default::default()
    }
}

#[test]
fn facilitation_is_recorded_as_counts() {
    let practice = given(vec![]);
    let events = when(facilitation(), |c| {
        practice.record_facilitation(c, &manager())
    })
    .expect("recorded");
    let [PracticeEvent::FacilitationRecorded(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.practice_code, "A81001");
    assert_eq!(e.week, "2026-W19");
    assert_eq!(e.mode(), FacilitationMode::Proactive);
    assert_eq!(e.channel(), FacilitationChannel::GroupSession);
    assert_eq!(e.delivered_by(), StaffRole::Receptionist);
    assert_eq!(
        e.patient_groups().collect::<Vec<_>>(),
        [PatientGroup::OlderPeople, PatientGroup::LimitedEnglish]
    );
    assert_eq!((e.patients_supported, e.registered_for_nhs_app), (12, 9));
    assert_eq!(e.notes, "Tuesday drop-in at the library");
    assert_eq!(then(&practice, &events).facilitation_records, 1);
}

#[test]
fn facilitation_state_stays_a_count() {
    let recorded = PracticeEvent::from(FacilitationRecorded::default());
    let practice = given(vec![recorded; 520]);
    assert_eq!(
        practice,
        Practice {
            facilitation_records: 520,
            ..Practice::default()
        }
    );
}

#[test]
fn facilitation_accepts_unknown_groups_a_long_year_and_the_current_week() {
    let practice = given(vec![]);
    for request in [
        RecordFacilitationRequest {
            patient_groups: vec![],
            ..facilitation()
        },
        RecordFacilitationRequest {
            week: "2020-W53".into(),
            ..facilitation()
        },
        RecordFacilitationRequest {
            week: "2026-W20".into(),
            notes: String::new(),
            staff_minutes: 0,
            ..facilitation()
        },
    ] {
        when(request.clone(), |c| {
            practice.record_facilitation(c, &manager())
        })
        .unwrap_or_else(|e| panic!("{request:?}: {e}"));
    }
}

#[test]
fn facilitation_refusals_name_the_field() {
    let practice = given(vec![]);
    let cases: Vec<(RecordFacilitationRequest, &str)> = vec![
        (
            RecordFacilitationRequest {
                practice_code: "A8100".into(),
                ..facilitation()
            },
            "practice_code",
        ),
        (
            RecordFacilitationRequest {
                week: "2026-W60".into(),
                ..facilitation()
            },
            "week",
        ),
        (
            RecordFacilitationRequest {
                week: "2025-W53".into(),
                ..facilitation()
            },
            "week",
        ),
        (
            RecordFacilitationRequest {
                week: "2026-W21".into(),
                ..facilitation()
            },
            "week",
        ),
        (
            RecordFacilitationRequest {
                mode: 0,
                ..facilitation()
            },
            "mode",
        ),
        (
            RecordFacilitationRequest {
                service: 99,
                ..facilitation()
            },
            "service",
        ),
        (
            RecordFacilitationRequest {
                channel: 0,
                ..facilitation()
            },
            "channel",
        ),
        (
            RecordFacilitationRequest {
                delivered_by: 42,
                ..facilitation()
            },
            "delivered_by",
        ),
        (
            RecordFacilitationRequest {
                patient_groups: vec![1, 77],
                ..facilitation()
            },
            "patient_groups[1]",
        ),
        (
            RecordFacilitationRequest {
                patient_groups: vec![1, 2, 1],
                ..facilitation()
            },
            "patient_groups[2]",
        ),
        (
            RecordFacilitationRequest {
                patients_supported: 0,
                ..facilitation()
            },
            "patients_supported",
        ),
        (
            RecordFacilitationRequest {
                patients_supported: 10_001,
                ..facilitation()
            },
            "patients_supported",
        ),
        (
            RecordFacilitationRequest {
                registered_for_nhs_app: 13,
                ..facilitation()
            },
            "registered_for_nhs_app",
        ),
        (
            RecordFacilitationRequest {
                completed_task_online: 13,
                ..facilitation()
            },
            "completed_task_online",
        ),
        (
            RecordFacilitationRequest {
                referred_to_community_session: 13,
                ..facilitation()
            },
            "referred_to_community_session",
        ),
        (
            RecordFacilitationRequest {
                declined_help: 13,
                ..facilitation()
            },
            "declined_help",
        ),
        (
            RecordFacilitationRequest {
                set_up_proxy_access: 13,
                ..facilitation()
            },
            "set_up_proxy_access",
        ),
        (
            RecordFacilitationRequest {
                staff_minutes: MAX_STAFF_MINUTES + 1,
                ..facilitation()
            },
            "staff_minutes",
        ),
        (
            RecordFacilitationRequest {
                notes: "helped 9434765919 with the app".into(),
                ..facilitation()
            },
            "notes",
        ),
        (
            RecordFacilitationRequest {
                notes: "x".repeat(MAX_NOTES_CHARS + 1),
                ..facilitation()
            },
            "notes",
        ),
    ];
    for (request, field) in cases {
        assert_invalid(
            when(request, |c| practice.record_facilitation(c, &manager())),
            field,
        );
    }
}

#[test]
fn facilitation_is_recorded_only_by_the_practice_team_or_its_pcn() {
    let practice = given(vec![]);
    for allowed in [
        ctx_as("A81001", &[Role::PracticeStaff]),
        ctx_as("U00001", &[Role::PcnLead]),
        ctx_as("X24", &[Role::Service]),
    ] {
        when(facilitation(), |c| {
            practice.record_facilitation(c, &allowed)
        })
        .unwrap_or_else(|e| panic!("{:?}: {e}", allowed.actor));
    }
    for refused in [
        ctx_as("A81002", &[Role::PracticeManager]),
        ctx_as("U00002", &[Role::PcnLead]),
        ctx_as("X24", &[Role::Auditor]),
        ctx_as("A81001", &[Role::Auditor]),
        ctx_as("QE1", &[Role::IcbCommissioner]),
    ] {
        assert_forbidden(when(facilitation(), |c| {
            practice.record_facilitation(c, &refused)
        }));
    }
}

#[test]
fn facilitation_needs_an_open_registered_practice() {
    let practice = given(vec![]);
    assert_precondition(
        when(
            RecordFacilitationRequest {
                practice_code: "A81009".into(),
                ..facilitation()
            },
            |c| practice.record_facilitation(c, &ctx_as("A81009", &[Role::PracticeManager])),
        ),
        "practice_code",
    );
    // A PCN's code has a practice's shape; the registry knows better.
    assert_invalid(
        when(
            RecordFacilitationRequest {
                practice_code: "U00001".into(),
                ..facilitation()
            },
            |c| practice.record_facilitation(c, &ctx_as("U00001", &[Role::PcnLead])),
        ),
        "practice_code",
    );
    assert_not_found(
        when(
            RecordFacilitationRequest {
                practice_code: "A89999".into(),
                ..facilitation()
            },
            |c| practice.record_facilitation(c, &ctx_as("A89999", &[Role::PracticeManager])),
        ),
        "practice_code",
    );
}

// ---- ChangeServiceStatus ----

fn status(status: ServiceStatus, reason: &str) -> ChangeServiceStatusRequest {
    ChangeServiceStatusRequest {
        practice_code: "A81001".into(),
        service: DigitalService::OnlineConsultation.into(),
        status: status.into(),
        reason: reason.into(),
        reason_kind: ServiceChangeReason::StaffCapacity.into(),
        ..Default::default()
    }
}

#[test]
fn a_service_is_paused_with_a_reason() {
    let practice = given(vec![]);
    let events = when(
        status(ServiceStatus::Paused, "two receptionists off sick"),
        |c| practice.change_service_status(c, &manager()),
    )
    .expect("paused");
    let [PracticeEvent::DigitalServiceStatusChanged(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.status(), ServiceStatus::Paused);
    assert_eq!(e.reason_kind(), ServiceChangeReason::StaffCapacity);
    assert_eq!(e.effective_date, "2026-05-13", "today when empty");
    assert_eq!(
        then(&practice, &events)
            .services
            .get(&DigitalService::OnlineConsultation),
        Some(&ServiceStatus::Paused)
    );
}

#[test]
fn an_unchanged_status_records_nothing() {
    let practice = given(vec![
        DigitalServiceStatusChanged {
            practice_code: "A81001".into(),
            service: DigitalService::OnlineConsultation.into(),
            status: ServiceStatus::Offered.into(),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        when(status(ServiceStatus::Offered, ""), |c| practice
            .change_service_status(c, &manager())),
        Ok(Vec::new())
    );
    // ... and offering it needs no reason, while pausing it is a change.
    assert_eq!(
        when(status(ServiceStatus::Withdrawn, "contract ended"), |c| {
            practice.change_service_status(c, &manager())
        })
        .map(|events| events.len()),
        Ok(1)
    );
}

#[test]
fn status_refusals_name_the_field() {
    let practice = given(vec![]);
    let cases = [
        (status(ServiceStatus::Paused, ""), "reason"),
        (status(ServiceStatus::Withdrawn, "   "), "reason"),
        (
            status(ServiceStatus::Paused, "ring 0113 496 0000 for details"),
            "reason",
        ),
        (
            ChangeServiceStatusRequest {
                status: 0,
                ..status(ServiceStatus::Offered, "")
            },
            "status",
        ),
        (
            ChangeServiceStatusRequest {
                service: 0,
                ..status(ServiceStatus::Offered, "")
            },
            "service",
        ),
        (
            ChangeServiceStatusRequest {
                reason_kind: 99,
                ..status(ServiceStatus::Offered, "")
            },
            "reason_kind",
        ),
        (
            ChangeServiceStatusRequest {
                effective_date: "2026-05-14".into(),
                ..status(ServiceStatus::Offered, "")
            },
            "effective_date",
        ),
        (
            ChangeServiceStatusRequest {
                effective_date: "14/05/2026".into(),
                ..status(ServiceStatus::Offered, "")
            },
            "effective_date",
        ),
    ];
    for (request, field) in cases {
        assert_invalid(
            when(request, |c| practice.change_service_status(c, &manager())),
            field,
        );
    }
    // Practice staff record facilitation, but only the manager changes what is offered.
    assert_forbidden(when(status(ServiceStatus::Offered, ""), |c| {
        practice.change_service_status(c, &ctx_as("A81001", &[Role::PracticeStaff]))
    }));
}

// ---- NameDigitalChampion ----

fn champion(staff: &str) -> NameDigitalChampionRequest {
    NameDigitalChampionRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        staff_role: StaffRole::CareNavigator.into(),
        services: vec![DigitalService::NhsApp.into()],
        effective_date: "2026-05-01".into(),
        ..Default::default()
    }
}

#[test]
fn a_champion_is_named_and_renaming_unchanged_records_nothing() {
    let practice = given(vec![]);
    let events = when(champion("CN-01"), |c| {
        practice.name_digital_champion(c, &manager())
    })
    .expect("named");
    let [PracticeEvent::DigitalChampionNamed(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        (e.staff_ref.as_str(), e.effective_date.as_str()),
        ("CN-01", "2026-05-01")
    );
    let practice = then(&practice, &events);
    assert_eq!(
        when(champion("CN-01"), |c| practice
            .name_digital_champion(c, &manager())),
        Ok(Vec::new())
    );
    let wider = NameDigitalChampionRequest {
        services: vec![],
        ..champion("CN-01")
    };
    assert_eq!(
        when(wider, |c| practice.name_digital_champion(c, &manager())).map(|events| events.len()),
        Ok(1),
        "new services update the champion"
    );
}

#[test]
fn champion_refusals_name_the_field() {
    let practice = given(vec![]);
    let cases = [
        (champion("Jane Smith"), "staff_ref"),
        (champion("9434765919"), "staff_ref"),
        (champion(""), "staff_ref"),
        (
            NameDigitalChampionRequest {
                staff_role: 0,
                ..champion("CN-01")
            },
            "staff_role",
        ),
        (
            NameDigitalChampionRequest {
                services: vec![1, 1],
                ..champion("CN-01")
            },
            "services[1]",
        ),
    ];
    for (request, field) in cases {
        assert_invalid(
            when(request, |c| practice.name_digital_champion(c, &manager())),
            field,
        );
    }
    assert_forbidden(when(champion("CN-01"), |c| {
        practice.name_digital_champion(c, &ctx_as("A81002", &[Role::PracticeManager]))
    }));
}

// ---- Training ----

fn enrol(staff: &str, role: StaffRole) -> EnrolStaffRequest {
    EnrolStaffRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        staff_role: role.into(),
        programme_id: PROGRAMME_ID.into(),
        enrolled_on: "2026-05-04".into(),
        ..Default::default()
    }
}

fn module(staff: &str, module: &str) -> CompleteModuleRequest {
    CompleteModuleRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        programme_id: PROGRAMME_ID.into(),
        module_id: module.into(),
        completed_on: "2026-05-11".into(),
        ..Default::default()
    }
}

fn training(staff: &str) -> CompleteTrainingRequest {
    CompleteTrainingRequest {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        programme_id: PROGRAMME_ID.into(),
        ..Default::default()
    }
}

fn enrolled(staff: &str) -> PracticeEvent {
    StaffEnrolled {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        staff_role: StaffRole::Receptionist.into(),
        programme_id: PROGRAMME_ID.into(),
        enrolled_on: "2026-05-04".into(),
    }
    .into()
}

fn completed(staff: &str, module: &str) -> PracticeEvent {
    ModuleCompleted {
        practice_code: "A81001".into(),
        staff_ref: staff.into(),
        programme_id: PROGRAMME_ID.into(),
        module_id: module.into(),
        completed_on: "2026-05-11".into(),
    }
    .into()
}

#[test]
fn staff_are_enrolled_on_a_launched_programme_for_their_role() {
    let practice = given(vec![]);
    let events = when(enrol("REC-07", StaffRole::Receptionist), |c| {
        practice.enrol_staff(c, &programme(), &manager())
    })
    .expect("enrolled");
    assert_eq!(events, vec![enrolled("REC-07")]);
    let practice = then(&practice, &events);
    let enrolment = practice
        .enrolments
        .get(&("REC-07".to_owned(), PROGRAMME_ID.to_owned()))
        .expect("an enrolment");
    assert_eq!(enrolment.role, StaffRole::Receptionist);
    assert!(enrolment.modules_completed.is_empty());
}

#[test]
fn enrolment_refusals() {
    let practice = given(vec![enrolled("REC-07")]);
    let reception = || enrol("REC-08", StaffRole::Receptionist);
    assert_not_found(
        when(reception(), |c| {
            practice.enrol_staff(c, &Programme::default(), &manager())
        }),
        "programme_id",
    );
    assert_not_found(
        when(
            EnrolStaffRequest {
                programme_id: Uuid::new_v4().to_string(),
                ..reception()
            },
            |c| practice.enrol_staff(c, &programme(), &manager()),
        ),
        "programme_id",
    );
    assert_invalid(
        when(enrol("GP-01", StaffRole::Gp), |c| {
            practice.enrol_staff(c, &programme(), &manager())
        }),
        "staff_role",
    );
    assert!(matches!(
        when(enrol("REC-07", StaffRole::Receptionist), |c| practice.enrol_staff(c, &programme(), &manager())),
        Err(DomainError::AlreadyExists { ref field, .. }) if field == "staff_ref"
    ));
    for (request, field) in [
        (enrol("Jane Smith", StaffRole::Receptionist), "staff_ref"),
        (
            EnrolStaffRequest {
                programme_id: "nope".into(),
                ..reception()
            },
            "programme_id",
        ),
        (
            EnrolStaffRequest {
                staff_role: 0,
                ..reception()
            },
            "staff_role",
        ),
        (
            EnrolStaffRequest {
                enrolled_on: "2026-06-01".into(),
                ..reception()
            },
            "enrolled_on",
        ),
    ] {
        assert_invalid(
            when(request, |c| {
                practice.enrol_staff(c, &programme(), &manager())
            }),
            field,
        );
    }
    assert_forbidden(when(reception(), |c| {
        practice.enrol_staff(c, &programme(), &ctx_as("X24", &[Role::Auditor]))
    }));
}

#[test]
fn modules_are_completed_once() {
    let practice = given(vec![enrolled("REC-07")]);
    let events = when(module("REC-07", BASICS), |c| {
        practice.complete_module(c, &programme(), &manager())
    })
    .expect("completed");
    assert_eq!(events, vec![completed("REC-07", BASICS)]);
    let practice = then(&practice, &events);
    assert_eq!(
        when(module("REC-07", BASICS), |c| practice.complete_module(
            c,
            &programme(),
            &manager()
        )),
        Ok(Vec::new()),
        "completing a module again records nothing"
    );
}

#[test]
fn module_refusals() {
    let practice = given(vec![enrolled("REC-07")]);
    let reason = assert_precondition(
        when(module("REC-99", BASICS), |c| {
            practice.complete_module(c, &programme(), &manager())
        }),
        "staff_ref",
    );
    assert!(reason.contains("REC-99"), "{reason}");
    assert_invalid(
        when(module("REC-07", "advanced-ninja"), |c| {
            practice.complete_module(c, &programme(), &manager())
        }),
        "module_id",
    );
    assert_invalid(
        when(module("REC-07", ""), |c| {
            practice.complete_module(c, &programme(), &manager())
        }),
        "module_id",
    );
    assert_invalid(
        when(
            CompleteModuleRequest {
                completed_on: "2026-05-01".into(),
                ..module("REC-07", BASICS)
            },
            |c| practice.complete_module(c, &programme(), &manager()),
        ),
        "completed_on",
    );
    assert_not_found(
        when(module("REC-07", BASICS), |c| {
            practice.complete_module(c, &Programme::default(), &manager())
        }),
        "programme_id",
    );
    assert_forbidden(when(module("REC-07", BASICS), |c| {
        practice.complete_module(c, &programme(), &ctx_as("B82001", &[Role::PracticeStaff]))
    }));
}

#[test]
fn training_completes_after_every_module() {
    let practice = given(vec![
        enrolled("REC-07"),
        completed("REC-07", BASICS),
        completed("REC-07", PROXY),
    ]);
    let events = when(training("REC-07"), |c| {
        practice.complete_training(c, &programme(), &manager())
    })
    .expect("completed");
    let [PracticeEvent::TrainingCompleted(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        (
            e.staff_ref.as_str(),
            e.programme_id.as_str(),
            e.completed_on.as_str()
        ),
        ("REC-07", PROGRAMME_ID, "2026-05-13")
    );
    let practice = then(&practice, &events);
    assert_eq!(
        when(training("REC-07"), |c| practice.complete_training(
            c,
            &programme(),
            &manager()
        )),
        Ok(Vec::new()),
        "completing it again records nothing"
    );
}

#[test]
fn training_refusals_name_what_is_missing() {
    let practice = given(vec![enrolled("REC-07"), completed("REC-07", BASICS)]);
    let reason = assert_precondition(
        when(training("REC-07"), |c| {
            practice.complete_training(c, &programme(), &manager())
        }),
        "staff_ref",
    );
    assert!(
        reason.contains(PROXY) && !reason.contains(BASICS),
        "{reason}"
    );
    assert_precondition(
        when(training("REC-99"), |c| {
            practice.complete_training(c, &programme(), &manager())
        }),
        "staff_ref",
    );
    assert_invalid(
        when(training("Jane Smith"), |c| {
            practice.complete_training(c, &programme(), &manager())
        }),
        "staff_ref",
    );
    assert_not_found(
        when(training("REC-07"), |c| {
            practice.complete_training(c, &Programme::default(), &manager())
        }),
        "programme_id",
    );
}

// ---- AdoptPlatform ----

fn adopt() -> AdoptPlatformRequest {
    AdoptPlatformRequest {
        practice_code: "A81001".into(),
        platform_id: PLATFORM_ID.into(),
        services: vec![DigitalService::NhsApp.into()],
        ..Default::default()
    }
}

#[test]
fn a_platform_is_adopted_once() {
    let practice = given(vec![]);
    let events = when(adopt(), |c| {
        practice.adopt_platform(c, &platform(), &manager())
    })
    .expect("adopted");
    let [PracticeEvent::PlatformAdopted(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.platform_id, PLATFORM_ID);
    let practice = then(&practice, &events);
    assert_eq!(
        when(adopt(), |c| practice.adopt_platform(
            c,
            &platform(),
            &manager()
        )),
        Ok(Vec::new())
    );
}

#[test]
fn adoption_refusals() {
    let practice = given(vec![]);
    assert_not_found(
        when(adopt(), |c| {
            practice.adopt_platform(c, &Platform::default(), &manager())
        }),
        "platform_id",
    );
    assert_not_found(
        when(
            AdoptPlatformRequest {
                platform_id: Uuid::new_v4().to_string(),
                ..adopt()
            },
            |c| practice.adopt_platform(c, &platform(), &manager()),
        ),
        "platform_id",
    );
    for (request, field) in [
        (
            AdoptPlatformRequest {
                platform_id: "nope".into(),
                ..adopt()
            },
            "platform_id",
        ),
        (
            AdoptPlatformRequest {
                services: vec![DigitalService::VideoConsultation.into()],
                ..adopt()
            },
            "services[0]",
        ),
        (
            AdoptPlatformRequest {
                effective_date: "2027-01-01".into(),
                ..adopt()
            },
            "effective_date",
        ),
    ] {
        assert_invalid(
            when(request, |c| {
                practice.adopt_platform(c, &platform(), &manager())
            }),
            field,
        );
    }
    assert_forbidden(when(adopt(), |c| {
        practice.adopt_platform(c, &platform(), &ctx_as("A81001", &[Role::PracticeStaff]))
    }));
}

fn staff_in_post(role: StaffRole, headcount: u32, as_of: &str) -> ReportStaffInPostRequest {
    ReportStaffInPostRequest {
        practice_code: "A81001".into(),
        staff_role: role.into(),
        headcount,
        as_of: as_of.into(),
        ..Default::default()
    }
}

#[test]
fn staff_in_post_is_recorded_once_per_figure_and_date() {
    let report = |practice: &Practice, request| {
        when(request, |c| practice.report_staff_in_post(c, &manager()))
    };
    let first = report(
        &Practice::default(),
        staff_in_post(StaffRole::Receptionist, 4, ""),
    )
    .expect("decided");
    assert_eq!(
        first,
        vec![PracticeEvent::from(StaffInPostReported {
            practice_code: "A81001".into(),
            staff_role: StaffRole::Receptionist.into(),
            headcount: 4,
            as_of: testing::TODAY.into(),
        })]
    );
    let practice = given(first);
    let same = staff_in_post(StaffRole::Receptionist, 4, testing::TODAY);
    assert_eq!(report(&practice, same).expect("decided"), Vec::new());
    for changed in [
        staff_in_post(StaffRole::Receptionist, 5, testing::TODAY),
        staff_in_post(StaffRole::Receptionist, 4, "2026-04-01"),
        staff_in_post(StaffRole::CareNavigator, 0, testing::TODAY),
    ] {
        assert_eq!(report(&practice, changed).expect("decided").len(), 1);
    }
}

#[test]
fn staff_in_post_refusals_name_the_field() {
    let practice = Practice::default();
    let cases = [
        (staff_in_post(StaffRole::Unspecified, 4, ""), "staff_role"),
        (
            staff_in_post(StaffRole::Receptionist, 1_001, ""),
            "headcount",
        ),
        (
            staff_in_post(StaffRole::Receptionist, 4, "2099-01-01"),
            "as_of",
        ),
        (staff_in_post(StaffRole::Receptionist, 4, "May"), "as_of"),
        (
            ReportStaffInPostRequest {
                practice_code: "QE1".into(),
                ..staff_in_post(StaffRole::Receptionist, 4, "")
            },
            "practice_code",
        ),
    ];
    for (request, field) in cases {
        assert_invalid(
            when(request, |c| practice.report_staff_in_post(c, &manager())),
            field,
        );
    }
    let other = ctx_as("A81002", &[Role::PracticeManager]);
    let staff = ctx_as("A81001", &[Role::PracticeStaff]);
    for caller in [other, staff] {
        let denied = when(staff_in_post(StaffRole::Receptionist, 4, ""), |c| {
            practice.report_staff_in_post(c, &caller)
        });
        assert!(
            matches!(denied, Err(DomainError::Forbidden(_))),
            "{denied:?}"
        );
    }
}
