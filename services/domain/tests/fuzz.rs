//! Fuzzing of every command of every aggregate, and of the parsers behind them.
//!
//! Each input is the bytes of a request as a client would send them: random bytes,
//! a valid request with bytes flipped, inserted or cut, or a valid request changed field
//! by field on the wire (see `fuzz/kit.rs`). The bytes are decoded with prost into the
//! command's request message, parsed into the domain's command (`TryFrom`) and handed to
//! the aggregate's method as the service's handler would, by one of a set of callers
//! (every role, an auditor, a caller with no roles, one whose organisation does not
//! exist), on an empty aggregate or on one that several commands have shaped, sometimes
//! several commands in a row. Besides "never panics", every outcome is checked:
//! a caller with no right to write is never admitted, and every refusal names a field
//! and echoes little of the input.
//!
//! `DIFACTO_FUZZ_CASES=2000000 cargo test --release -p domain --test fuzz`
//! runs each harness on two million inputs.

#[path = "../../../fuzz/kit.rs"]
mod kit;

use std::cell::Cell;
use std::sync::{Arc, LazyLock};

use auth::{Principal, Role};
use chrono::{DateTime, NaiveDate, Utc};
use domain::duty::{Duty, RetireDuty};
use domain::platform::{
    AcknowledgeUsabilityIssue, AnnouncePlatformChange, Platform, PublishTrainingMaterial,
    ReportUsabilityIssue, ResolveUsabilityIssue, UsabilityIssue,
};
use domain::practice::{
    self, AdoptPlatform, ChangeServiceStatus, Completion, EnrolStaff, NameDigitalChampion,
    Practice, PracticeEvent, RecordFacilitation,
};
use domain::programme::{Programme, SetRolloutTarget};
use domain::registry::Registry;
use domain::responsibility::{
    Assignment, AssignmentEvent, AssignmentStep, AttributeResponsibility, Attribution,
    ProposeResponsibility,
};
use domain::session::{
    CancelBooking, CancelSession, ConfirmHosting, DeclineHosting, RecordAttendance, Referral,
    ScheduleSession, Session,
};
use domain::testing::{tree, when};
use domain::{Aggregate, Context, DomainError, codes, privacy, values};
use kit::Dictionary;
use prost::Message;
use proto::v1 as pb;
use uuid::Uuid;

/// Longest refusal message allowed: the field, the reason, and at most a short echo of
/// what was sent (DESIGN.md: no error echoes more than 100 characters of input).
const MAX_MESSAGE_CHARS: usize = 400;

const DUTY: Uuid = Uuid::from_u128(0xd0000000_0000_4000_8000_000000000001);
const ASSIGNMENT: Uuid = Uuid::from_u128(0xa0000000_0000_4000_8000_000000000001);
const ATTRIBUTION: Uuid = Uuid::from_u128(0xa7000000_0000_4000_8000_000000000001);
const PROGRAMME: Uuid = Uuid::from_u128(0x90000000_0000_4000_8000_000000000001);
const SESSION: Uuid = Uuid::from_u128(0x50000000_0000_4000_8000_000000000001);
const PLATFORM: Uuid = Uuid::from_u128(0x71000000_0000_4000_8000_000000000001);
const CHANGE: Uuid = Uuid::from_u128(0xc0000000_0000_4000_8000_000000000001);
const MATERIAL: Uuid = Uuid::from_u128(0x3a000000_0000_4000_8000_000000000001);
const ISSUE: Uuid = Uuid::from_u128(0x15000000_0000_4000_8000_000000000001);

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid instant")
        .to_utc()
}

/// "Now" in the world: before the session, during it, and after it.
fn nows() -> [DateTime<Utc>; 3] {
    [
        instant("2026-05-13T10:00:00Z"),
        instant("2026-05-20T11:00:00Z"),
        instant("2026-07-01T09:00:00Z"),
    ]
}

fn person(org: &str, roles: &[Role]) -> Principal {
    Principal {
        subject: format!("user@{org}"),
        organisation: org.into(),
        roles: roles.to_vec(),
    }
}

/// Callers of every kind, including ones that must never be admitted.
fn callers() -> Vec<Principal> {
    use Role::*;
    vec![
        person("svc", &[Service]),
        person("X24", &[NationalLead]),
        person("Y56", &[RegionalLead]),
        person("QE1", &[IcbCommissioner]),
        person("QWO", &[IcbCommissioner]),
        person("U00001", &[PcnLead]),
        person("A81001", &[PracticeManager]),
        person("A81002", &[PracticeStaff]),
        person("B82001", &[PracticeManager, PracticeStaff]),
        person("A81009", &[PracticeManager]),
        person("P-leeds-libraries", &[PartnerCoordinator]),
        person("V-nhs-app", &[ProviderAdmin]),
        person(
            "A81001",
            &[PracticeManager, PartnerCoordinator, ProviderAdmin],
        ),
        person("Z99999", &[PracticeManager, PcnLead, IcbCommissioner]),
        person("X24", &[Auditor]),
        person("A81001", &[]),
        person("QE1", &Role::ALL),
    ]
}

/// Whether `actor` may write nothing at all (DESIGN.md §6: the auditor reads only).
fn powerless(actor: &Principal) -> bool {
    actor.roles.iter().all(|r| *r == Role::Auditor)
}

fn context(actor: Principal, registry: Arc<Registry>, now: DateTime<Utc>) -> Context {
    Context {
        actor,
        registry,
        commissions: Arc::default(),
        now,
    }
}

/// `state` after the events of a command the world is built with, which must succeed.
fn then<A: Aggregate>(state: &A, what: &str, decided: Result<Vec<A::Event>, DomainError>) -> A {
    let mut next = state.clone();
    for event in decided.unwrap_or_else(|e| panic!("building the world: {what}: {e}")) {
        next.apply(&event);
    }
    next
}

// ---------------------------------------------------------------------------------------
// The valid requests every command's inputs are mutated from.

fn register_practice() -> pb::RegisterOrganisationRequest {
    pb::RegisterOrganisationRequest {
        request_id: "r-1".into(),
        code: "A81003".into(),
        kind: pb::OrganisationKind::Practice.into(),
        name: "Hillside Surgery".into(),
        parent_code: "U00001".into(),
        effective_date: "2026-05-01".into(),
        covers_codes: vec![],
        postcode_district: "LS6".into(),
    }
}

fn register_partner() -> pb::RegisterOrganisationRequest {
    pb::RegisterOrganisationRequest {
        code: "P-new-partner".into(),
        kind: pb::OrganisationKind::Partner.into(),
        name: "Digital Champions Network".into(),
        parent_code: "QE1".into(),
        covers_codes: vec!["A81001".into(), "00L".into()],
        effective_date: String::new(),
        ..register_practice()
    }
}

fn register_national() -> pb::RegisterOrganisationRequest {
    pb::RegisterOrganisationRequest {
        code: "X24".into(),
        kind: pb::OrganisationKind::NationalBody.into(),
        name: "NHS England".into(),
        parent_code: String::new(),
        postcode_district: String::new(),
        ..register_practice()
    }
}

fn rename() -> pb::RenameOrganisationRequest {
    pb::RenameOrganisationRequest {
        request_id: "r-2".into(),
        code: "A81001".into(),
        name: "Hillside and Moor Surgery".into(),
        effective_date: "2026-05-13".into(),
    }
}

fn reparent() -> pb::ReparentOrganisationRequest {
    pb::ReparentOrganisationRequest {
        request_id: "r-3".into(),
        code: "A81002".into(),
        parent_code: "U00002".into(),
        effective_date: "2026-06-01".into(),
    }
}

fn merge() -> pb::MergeOrganisationsRequest {
    pb::MergeOrganisationsRequest {
        request_id: "r-4".into(),
        predecessor_codes: vec!["A81002".into()],
        successor_code: "A81001".into(),
        effective_date: "2026-06-01".into(),
    }
}

fn close() -> pb::CloseOrganisationRequest {
    pb::CloseOrganisationRequest {
        request_id: "r-5".into(),
        code: "B82001".into(),
        effective_date: "2026-06-01".into(),
        reason: "the partnership dissolved".into(),
    }
}

fn record_import() -> pb::RecordRegistryImportRequest {
    pb::RecordRegistryImportRequest {
        request_id: "r-5b".into(),
        source_file: "epraccur.csv".into(),
        extract_date: "2026-06-01".into(),
        rows: 13_000,
        digest: "ab".repeat(32),
    }
}

fn define_duty() -> pb::DefineDutyRequest {
    pb::DefineDutyRequest {
        request_id: "r-6".into(),
        duty_id: String::new(),
        title: "Digital inclusion lead".into(),
        description: "Leads digital inclusion work for the area".into(),
        required_levels: vec![pb::Level::Local.into(), pb::Level::Regional.into()],
    }
}

fn retire_duty() -> pb::RetireDutyRequest {
    pb::RetireDutyRequest {
        request_id: "r-7".into(),
        duty_id: DUTY.to_string(),
        reason: "folded into the ICB's strategy".into(),
    }
}

fn propose() -> pb::ProposeResponsibilityRequest {
    pb::ProposeResponsibilityRequest {
        request_id: "r-8".into(),
        assignment_id: String::new(),
        duty_id: DUTY.to_string(),
        area_code: "QE1".into(),
        level: pb::Level::Local.into(),
        assignee_code: "A81001".into(),
        role: pb::RaciRole::Responsible.into(),
        note: "agreed at the locality meeting".into(),
    }
}

fn accept() -> pb::AcceptResponsibilityRequest {
    pb::AcceptResponsibilityRequest {
        request_id: "r-9".into(),
        assignment_id: ASSIGNMENT.to_string(),
    }
}

fn decline() -> pb::DeclineResponsibilityRequest {
    pb::DeclineResponsibilityRequest {
        request_id: "r-10".into(),
        assignment_id: ASSIGNMENT.to_string(),
        reason: "no capacity this year".into(),
    }
}

fn end() -> pb::EndResponsibilityRequest {
    pb::EndResponsibilityRequest {
        request_id: "r-11".into(),
        assignment_id: ASSIGNMENT.to_string(),
        reason: "handed to the PCN".into(),
        effective_date: "2026-05-13".into(),
    }
}

fn attribute() -> pb::AttributeResponsibilityRequest {
    pb::AttributeResponsibilityRequest {
        request_id: "r-12".into(),
        duty_id: DUTY.to_string(),
        area_code: "QE1".into(),
        level: pb::Level::Local.into(),
        believed_owner_code: "U00001".into(),
        role: pb::RaciRole::Accountable.into(),
    }
}

fn launch() -> pb::LaunchTrainingProgrammeRequest {
    pb::LaunchTrainingProgrammeRequest {
        request_id: "r-13".into(),
        programme_id: String::new(),
        owner_code: "QE1".into(),
        title: "NHS App for reception teams".into(),
        audience_roles: vec![pb::StaffRole::Receptionist.into()],
        module_ids: vec!["m1".into(), "m2".into()],
        target_percent: 80,
        deadline: "2026-12-31".into(),
        code: "NAR-2026".into(),
    }
}

fn set_target() -> pb::SetRolloutTargetRequest {
    pb::SetRolloutTargetRequest {
        request_id: "r-14".into(),
        programme_id: PROGRAMME.to_string(),
        area_code: "00L".into(),
        target_percent: 50,
        deadline: "2026-09-30".into(),
    }
}

fn record_facilitation() -> pb::RecordFacilitationRequest {
    pb::RecordFacilitationRequest {
        request_id: "r-15".into(),
        practice_code: "A81001".into(),
        week: "2026-W19".into(),
        mode: pb::FacilitationMode::Passive.into(),
        service: pb::DigitalService::NhsApp.into(),
        channel: pb::FacilitationChannel::FaceToFace.into(),
        delivered_by: pb::StaffRole::Receptionist.into(),
        patient_groups: vec![pb::PatientGroup::OlderPeople.into()],
        patients_supported: 3,
        registered_for_nhs_app: 2,
        completed_task_online: 1,
        referred_to_community_session: 1,
        declined_help: 0,
        set_up_proxy_access: 1,
        staff_minutes: 45,
        notes: "helped with repeat prescriptions".into(),
    }
}

fn change_status() -> pb::ChangeServiceStatusRequest {
    pb::ChangeServiceStatusRequest {
        request_id: "r-16".into(),
        practice_code: "A81001".into(),
        service: pb::DigitalService::NhsApp.into(),
        status: pb::ServiceStatus::Paused.into(),
        reason: "two receptionists on leave".into(),
        effective_date: String::new(),
        reason_kind: pb::ServiceChangeReason::StaffCapacity.into(),
    }
}

fn name_champion() -> pb::NameDigitalChampionRequest {
    pb::NameDigitalChampionRequest {
        request_id: "r-17".into(),
        practice_code: "A81001".into(),
        staff_ref: "REC-07".into(),
        staff_role: pb::StaffRole::Receptionist.into(),
        services: vec![],
        effective_date: String::new(),
    }
}

fn enrol() -> pb::EnrolStaffRequest {
    pb::EnrolStaffRequest {
        request_id: "r-18".into(),
        practice_code: "A81001".into(),
        staff_ref: "REC-07".into(),
        staff_role: pb::StaffRole::Receptionist.into(),
        programme_id: PROGRAMME.to_string(),
        enrolled_on: String::new(),
    }
}

fn complete_module(module: &str) -> pb::CompleteModuleRequest {
    pb::CompleteModuleRequest {
        request_id: "r-19".into(),
        practice_code: "A81001".into(),
        staff_ref: "REC-07".into(),
        programme_id: PROGRAMME.to_string(),
        module_id: module.into(),
        completed_on: String::new(),
    }
}

fn complete_training() -> pb::CompleteTrainingRequest {
    pb::CompleteTrainingRequest {
        request_id: "r-20".into(),
        practice_code: "A81001".into(),
        staff_ref: "REC-07".into(),
        programme_id: PROGRAMME.to_string(),
        completed_on: String::new(),
    }
}

fn adopt() -> pb::AdoptPlatformRequest {
    pb::AdoptPlatformRequest {
        request_id: "r-21".into(),
        practice_code: "A81001".into(),
        platform_id: PLATFORM.to_string(),
        effective_date: String::new(),
        services: vec![],
    }
}

fn schedule_at_host() -> pb::ScheduleSessionRequest {
    pb::ScheduleSessionRequest {
        request_id: "r-22".into(),
        session_id: String::new(),
        partner_code: "P-leeds-libraries".into(),
        icb_code: "QE1".into(),
        host_practice_code: "A81001".into(),
        venue_name: String::new(),
        venue_postcode_district: String::new(),
        starts_at: "2026-05-20T10:00:00Z".into(),
        ends_at: "2026-05-20T12:00:00Z".into(),
        capacity: 10,
        topics: vec![pb::DigitalService::NhsApp.into()],
        languages: vec!["en".into(), "pl".into()],
        accessibility: vec![pb::AccessNeed::Wheelchair.into()],
        target_groups: vec![pb::PatientGroup::OlderPeople.into()],
        title: "NHS App drop-in".into(),
        description: "Bring your phone".into(),
        commissioner_code: "QE1".into(),
    }
}

fn schedule_at_venue() -> pb::ScheduleSessionRequest {
    pb::ScheduleSessionRequest {
        host_practice_code: String::new(),
        venue_name: "Leeds Central Library".into(),
        venue_postcode_district: "LS1".into(),
        commissioner_code: String::new(),
        ..schedule_at_host()
    }
}

fn confirm_hosting() -> pb::ConfirmHostingRequest {
    pb::ConfirmHostingRequest {
        request_id: "r-23".into(),
        session_id: SESSION.to_string(),
        note: "room 2 is booked".into(),
    }
}

fn decline_hosting() -> pb::DeclineHostingRequest {
    pb::DeclineHostingRequest {
        request_id: "r-24".into(),
        session_id: SESSION.to_string(),
        reason: "the building is closed for repairs".into(),
    }
}

fn book(reference: &str, referrer: &str, places: u32) -> pb::BookSeatRequest {
    pb::BookSeatRequest {
        request_id: "r-25".into(),
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        referring_organisation_code: referrer.into(),
        places,
        interpreter_language: "pl".into(),
        access_needs: vec![pb::AccessNeed::Wheelchair.into()],
    }
}

fn cancel_booking(reference: &str) -> pb::CancelBookingRequest {
    pb::CancelBookingRequest {
        request_id: "r-26".into(),
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        reason: "feeling unwell".into(),
    }
}

fn join_waitlist(reference: &str, referrer: &str, places: u32) -> pb::JoinWaitlistRequest {
    pb::JoinWaitlistRequest {
        request_id: "r-27".into(),
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        referring_organisation_code: referrer.into(),
        places,
        interpreter_language: String::new(),
        access_needs: vec![],
    }
}

fn cancel_session() -> pb::CancelSessionRequest {
    pb::CancelSessionRequest {
        request_id: "r-28".into(),
        session_id: SESSION.to_string(),
        reason: "the facilitator is ill".into(),
    }
}

fn record_attendance() -> pb::RecordAttendanceRequest {
    pb::RecordAttendanceRequest {
        request_id: "r-29".into(),
        session_id: SESSION.to_string(),
        attended: 4,
        no_shows: 1,
        walk_ins: 1,
        registered_for_nhs_app: 2,
        completed_task_online: 1,
        referred_to_community_session: 0,
        declined_help: 1,
        set_up_proxy_access: 0,
        notes: "good turnout".into(),
    }
}

fn register_platform() -> pb::RegisterPlatformRequest {
    pb::RegisterPlatformRequest {
        request_id: "r-30".into(),
        platform_id: String::new(),
        provider_code: "V-nhs-app".into(),
        name: "NHS App".into(),
        category: pb::PlatformCategory::PatientApp.into(),
        services: vec![pb::DigitalService::NhsApp.into()],
        website_url: "https://www.nhs.uk/nhs-app/".into(),
        description: "The app for patients in England".into(),
    }
}

fn announce() -> pb::AnnouncePlatformChangeRequest {
    pb::AnnouncePlatformChangeRequest {
        request_id: "r-31".into(),
        change_id: String::new(),
        platform_id: PLATFORM.to_string(),
        effective_date: "2026-06-01".into(),
        roles_affected: vec![pb::StaffRole::Receptionist.into()],
        retraining_required: true,
        summary: "New log-in screen".into(),
        patient_facing: true,
        services_affected: vec![pb::DigitalService::NhsApp.into()],
    }
}

fn publish() -> pb::PublishTrainingMaterialRequest {
    pb::PublishTrainingMaterialRequest {
        request_id: "r-32".into(),
        material_id: String::new(),
        platform_id: PLATFORM.to_string(),
        title: "The new log-in, step by step".into(),
        formats: vec![pb::MaterialFormat::Video.into()],
        languages: vec!["en".into(), "pl".into()],
        url: "https://example.org/training/login".into(),
        change_id: CHANGE.to_string(),
        audience_roles: vec![pb::StaffRole::Receptionist.into()],
        for_patients: false,
    }
}

fn report() -> pb::ReportUsabilityIssueRequest {
    pb::ReportUsabilityIssueRequest {
        request_id: "r-33".into(),
        issue_id: String::new(),
        platform_id: PLATFORM.to_string(),
        practice_code: "A81001".into(),
        category: pb::UsabilityIssueCategory::Accessibility.into(),
        severity: pb::IssueSeverity::Low.into(),
        description: "The log-in button is hard to find with a screen reader".into(),
        service: pb::DigitalService::NhsApp.into(),
        patient_groups_affected: vec![pb::PatientGroup::OlderPeople.into()],
    }
}

fn acknowledge() -> pb::AcknowledgeUsabilityIssueRequest {
    pb::AcknowledgeUsabilityIssueRequest {
        request_id: "r-34".into(),
        issue_id: ISSUE.to_string(),
        note: "we are looking at it".into(),
        expected_resolution_date: "2026-06-30".into(),
    }
}

fn resolve() -> pb::ResolveUsabilityIssueRequest {
    pb::ResolveUsabilityIssueRequest {
        request_id: "r-35".into(),
        issue_id: ISSUE.to_string(),
        resolution: "fixed in release 2.3".into(),
        resolution_kind: pb::IssueResolutionKind::Fixed.into(),
    }
}

// ---------------------------------------------------------------------------------------
// The world: the tree, and every aggregate empty and shaped by commands.

struct World {
    tree: Arc<Registry>,
    callers: Vec<Principal>,
    dict: Dictionary,
    registries: Vec<Registry>,
    duties: Vec<Duty>,
    assignments: Vec<Assignment>,
    attributions: Vec<Attribution>,
    programmes: Vec<Programme>,
    practices: Vec<Practice>,
    sessions: Vec<Session>,
    platforms: Vec<Platform>,
    issues: Vec<UsabilityIssue>,
}

static WORLD: LazyLock<World> = LazyLock::new(World::build);

impl World {
    fn build() -> Self {
        let tree = Arc::new(tree());
        let [now, during, _] = nows();
        let service = || context(person("svc", &[Role::Service]), tree.clone(), now);
        let svc = service();

        let mut registries = vec![Registry::default(), (*tree).clone()];
        let shaped = [
            (when(rename(), |c| tree.rename(c, &svc)), "rename"),
            (when(reparent(), |c| tree.reparent(c, &svc)), "reparent"),
            (when(close(), |c| tree.close(c, &svc)), "close"),
        ]
        .into_iter()
        .fold((*tree).clone(), |state, (decided, what)| {
            then(&state, what, decided)
        });
        let merged = then(&shaped, "merge", when(merge(), |c| shaped.merge(c, &svc)));
        registries.push(merged);

        let duty = then(
            &Duty::default(),
            "define",
            when(define_duty(), |c| Duty::default().define(DUTY, c, &svc)),
        );
        let retired = then(
            &duty,
            "retire",
            when(retire_duty(), |c| duty.retire(c, &svc)),
        );
        let duties = vec![Duty::default(), duty.clone(), retired];

        let proposed = then(
            &Assignment::default(),
            "propose",
            when(propose(), |c| {
                Assignment::default().propose(ASSIGNMENT, c, &duty, &svc)
            }),
        );
        let assignments = vec![
            Assignment::default(),
            proposed.clone(),
            then(
                &proposed,
                "accept",
                when(accept(), |c| proposed.accept(c, &svc)),
            ),
            then(
                &proposed,
                "decline",
                when(decline(), |c| proposed.decline(c, &svc)),
            ),
            then(&proposed, "end", when(end(), |c| proposed.end(c, &svc))),
        ];
        let attributions = vec![
            Attribution::default(),
            then(
                &Attribution::default(),
                "attribute",
                when(attribute(), |c| {
                    Attribution::default().attribute(ATTRIBUTION, c, &duty, &svc)
                }),
            ),
        ];

        let launched = then(
            &Programme::default(),
            "launch",
            when(launch(), |c| {
                Programme::default().launch(PROGRAMME, c, &svc)
            }),
        );
        let targeted = then(
            &launched,
            "target",
            when(set_target(), |c| launched.set_target(c, &svc)),
        );
        let programmes = vec![Programme::default(), launched.clone(), targeted];

        let platform = then(
            &Platform::default(),
            "register platform",
            when(register_platform(), |c| {
                Platform::default().register(PLATFORM, c, &svc)
            }),
        );
        let announced = then(
            &platform,
            "announce",
            when(announce(), |c| platform.announce_change(CHANGE, c, &svc)),
        );
        let published = then(
            &announced,
            "publish",
            when(publish(), |c| announced.publish_material(MATERIAL, c, &svc)),
        );
        let platforms = vec![Platform::default(), platform, announced, published.clone()];

        let mut practices = vec![Practice::default()];
        let mut practice = Practice::default();
        type Step = fn(&Practice, &Context, &Programme, &Platform) -> Decision<PracticeEvent>;
        let steps: [(&str, Step); 8] = [
            ("facilitation", |p, c, _, _| {
                when(record_facilitation(), |cmd| p.record_facilitation(cmd, c))
            }),
            ("status", |p, c, _, _| {
                when(change_status(), |cmd| p.change_service_status(cmd, c))
            }),
            ("champion", |p, c, _, _| {
                when(name_champion(), |cmd| p.name_digital_champion(cmd, c))
            }),
            ("enrol", |p, c, programme, _| {
                when(enrol(), |cmd| p.enrol_staff(cmd, programme, c))
            }),
            ("module m1", |p, c, programme, _| {
                when(complete_module("m1"), |cmd| {
                    p.complete_module(cmd, programme, c)
                })
            }),
            ("module m2", |p, c, programme, _| {
                when(complete_module("m2"), |cmd| {
                    p.complete_module(cmd, programme, c)
                })
            }),
            ("training", |p, c, programme, _| {
                when(complete_training(), |cmd| {
                    p.complete_training(cmd, programme, c)
                })
            }),
            ("adopt", |p, c, _, platform| {
                when(adopt(), |cmd| p.adopt_platform(cmd, platform, c))
            }),
        ];
        for (what, step) in steps {
            let decided = step(&practice, &svc, &launched, &published);
            practice = then(&practice, what, decided);
            practices.push(practice.clone());
        }

        let host = then(
            &Session::default(),
            "schedule",
            ScheduleSession::try_from(schedule_at_host())
                .and_then(|cmd| Session::default().schedule(SESSION, cmd, &svc)),
        );
        let venue = then(
            &Session::default(),
            "schedule at a venue",
            ScheduleSession::try_from(schedule_at_venue())
                .and_then(|cmd| Session::default().schedule(SESSION, cmd, &svc)),
        );
        let referral = |r: pb::BookSeatRequest| {
            Referral::from_booking(&r, Uuid::nil()).expect("a valid booking")
        };
        let waiting = |r: pb::JoinWaitlistRequest| {
            Referral::from_waitlist(&r, Uuid::nil()).expect("a valid waitlist entry")
        };
        let confirmed = then(
            &host,
            "confirm",
            when(confirm_hosting(), |c| host.confirm_hosting(c, &svc)),
        );
        let mut busy = confirmed.clone();
        for (reference, referrer, places) in [
            ("REF-0001", "A81001", 2),
            ("REF-0002", "A81002", 3),
            ("REF-0003", "P-leeds-libraries", 4),
        ] {
            let decided = busy.book_seat(referral(book(reference, referrer, places)), &svc);
            busy = then(&busy, reference, decided);
        }
        for (reference, referrer, places) in [("REF-0100", "B82001", 5), ("REF-0101", "A81001", 1)]
        {
            let decided =
                busy.join_waitlist(waiting(join_waitlist(reference, referrer, places)), &svc);
            busy = then(&busy, reference, decided);
        }
        let cancelled_booking = then(
            &busy,
            "cancel booking",
            when(cancel_booking("REF-0002"), |c| busy.cancel_booking(c, &svc)),
        );
        let later = context(person("svc", &[Role::Service]), tree.clone(), during);
        let attended = then(
            &busy,
            "attendance",
            when(record_attendance(), |c| busy.record_attendance(c, &later)),
        );
        let sessions = vec![
            Session::default(),
            host.clone(),
            venue,
            confirmed,
            then(
                &host,
                "decline hosting",
                when(decline_hosting(), |c| host.decline_hosting(c, &svc)),
            ),
            busy.clone(),
            cancelled_booking,
            then(
                &busy,
                "cancel session",
                when(cancel_session(), |c| busy.cancel(c, &svc)),
            ),
            attended,
        ];

        let reported = then(
            &UsabilityIssue::default(),
            "report",
            when(report(), |c| {
                UsabilityIssue::default().report(ISSUE, c, &published, &svc)
            }),
        );
        let acknowledged = then(
            &reported,
            "acknowledge",
            when(acknowledge(), |c| reported.acknowledge(c, &svc)),
        );
        let issues = vec![
            UsabilityIssue::default(),
            reported.clone(),
            acknowledged.clone(),
            then(
                &reported,
                "resolve",
                when(resolve(), |c| reported.resolve(c, &svc)),
            ),
            then(
                &acknowledged,
                "resolve",
                when(resolve(), |c| acknowledged.resolve(c, &svc)),
            ),
        ];

        let ids: Vec<String> = [
            DUTY,
            ASSIGNMENT,
            ATTRIBUTION,
            PROGRAMME,
            SESSION,
            PLATFORM,
            CHANGE,
            MATERIAL,
            ISSUE,
        ]
        .iter()
        .flat_map(|id| {
            [
                id.to_string(),
                id.simple().to_string(),
                id.to_string().to_uppercase(),
            ]
        })
        .collect();
        let mut own: Vec<&str> = ids.iter().map(String::as_str).collect();
        own.extend([
            "X24",
            "Y56",
            "Y63",
            "QE1",
            "QF7",
            "QWO",
            "00L",
            "02A",
            "01A",
            "U00001",
            "U00002",
            "U00003",
            "U00004",
            "A81001",
            "A81002",
            "A81003",
            "A81009",
            "B82001",
            "C83001",
            "D84001",
            "P-leeds-libraries",
            "V-nhs-app",
            "P-new-partner",
            "Z99999",
            "a81001",
            "REF-0001",
            "REF-0002",
            "REF-0003",
            "REF-0100",
            "REF-0101",
            "REC-07",
            "m1",
            "m2",
            "LS6",
            "LS1",
            "EC1A",
            "LS6 2AB",
            "2026-05-12",
            "2026-05-14",
            "2026-06-01",
            "2026-12-31",
            "2020-01-01",
            "2019-12-31",
            "2025-01-01",
            "2026-W19",
            "2026-W21",
            "2026-05-20T12:00:00Z",
            "2026-05-20T22:00:01Z",
            "2026-05-13T10:00:00Z",
            "2026-05-13T09:59:59Z",
        ]);
        let dict = Dictionary::with(&own, &[5, 6, 8, 14, 19, 20, 21, 50, 80, 366]);
        World {
            tree,
            callers: callers(),
            dict,
            registries,
            duties,
            assignments,
            attributions,
            programmes,
            practices,
            sessions,
            platforms,
            issues,
        }
    }

    /// The dependency a command names by id, as its handler loads it: one of the shapes
    /// of the world's own when the id is the world's, an empty one otherwise.
    fn duty(&self, id: Uuid, pick: usize) -> &Duty {
        dependency(&self.duties, id == DUTY, pick)
    }

    fn programme(&self, id: Uuid, pick: usize) -> &Programme {
        dependency(&self.programmes, id == PROGRAMME, pick)
    }

    fn platform(&self, id: Uuid, pick: usize) -> &Platform {
        dependency(&self.platforms, id == PLATFORM, pick)
    }
}

/// `shapes[0]` is always the empty aggregate.
fn dependency<A>(shapes: &[A], known: bool, pick: usize) -> &A {
    if known {
        &shapes[pick % shapes.len()]
    } else {
        &shapes[0]
    }
}

// ---------------------------------------------------------------------------------------
// One command call, and the driver that runs many.

/// What a command decided: its events, or why not.
type Decision<E> = Result<Vec<E>, DomainError>;
/// What a command decided: `None` when the bytes did not decode as its request.
type Decided<E> = Option<Decision<E>>;

/// Everything one call sees: the request's bytes, the aggregate's state as stored under
/// `key`, the caller and clock, and what the handler would have generated.
struct Call<'a, A> {
    bytes: &'a [u8],
    state: &'a A,
    empty: A,
    key: &'a str,
    ctx: Context,
    world: &'a World,
    generated: Uuid,
    pick: usize,
    /// Whether the request named the stream `state` is on (else it met an empty one).
    on_state: Cell<bool>,
}

impl<A: Aggregate> Call<'_, A> {
    fn decode<M: Message + Default>(&self) -> Option<M> {
        M::decode(self.bytes).ok()
    }

    /// The aggregate of stream `key` (an id or a code), as the store would load it.
    fn on(&self, key: impl std::fmt::Display) -> &A {
        if key.to_string() == self.key {
            self.state
        } else {
            self.on_state.set(false);
            &self.empty
        }
    }

    /// An id the client may leave empty, the handler then deriving one.
    fn id_or_generated(&self, field: &str, text: &str) -> Result<Uuid, DomainError> {
        if text.trim().is_empty() {
            Ok(self.generated)
        } else {
            values::id(field, text)
        }
    }
}

/// One command's turn: its bytes decoded as its request (`None` when they are not one)
/// and decided.
type Run<A> = Box<dyn Fn(&Call<'_, A>) -> Decided<<A as Aggregate>::Event>>;

struct Command<A: Aggregate> {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    run: Run<A>,
}

/// The command `name`, fuzzed from the valid requests `seeds`: what its mutated bytes
/// decode to as an `R` is decided by `decide`.
fn command<A: Aggregate, R: Message + Default + 'static>(
    name: &'static str,
    seeds: &[R],
    decide: fn(&Call<'_, A>, R) -> Decision<A::Event>,
) -> Command<A> {
    Command {
        name,
        seeds: seeds.iter().map(Message::encode_to_vec).collect(),
        run: Box::new(move |c| Some(decide(c, c.decode()?))),
    }
}

/// What must hold of every decision besides not panicking.
fn check<E>(command: &str, ctx: &Context, decided: &Result<Vec<E>, DomainError>) {
    match decided {
        Ok(_) => assert!(
            !powerless(&ctx.actor),
            "{command} admitted {:?}, who may write nothing",
            ctx.actor
        ),
        Err(err) => {
            let message = err.to_string();
            let chars = message.chars().count();
            assert!(
                chars <= MAX_MESSAGE_CHARS,
                "{command}: a refusal of {chars} characters echoes too much input: {:?}",
                message.chars().take(200).collect::<String>()
            );
            let field = match err {
                DomainError::Invalid { field, .. }
                | DomainError::NotFound { field, .. }
                | DomainError::AlreadyExists { field, .. }
                | DomainError::Precondition { field, .. } => field.as_str(),
                DomainError::Forbidden(reason) => reason.as_str(),
            };
            assert!(
                !field.trim().is_empty(),
                "{command}: a refusal that names no field: {message:?}"
            );
        }
    }
}

/// Runs the harness `name` over `commands` on the aggregates `states`, each as the stream
/// `key` holds it, one to three commands in a row on the evolving state.
fn fuzz<A: Aggregate>(name: &str, commands: &[Command<A>], key: &str, states: &[A]) {
    let world = &*WORLD;
    kit::run(name, kit::DEFAULT_CASES, |e| {
        let mut state = e.pick(states).clone();
        for _ in 0..1 + e.below(3) {
            let command = e.pick(commands);
            let bytes = kit::message_bytes(e, &command.seeds, &world.dict);
            let actor = e.pick(&world.callers).clone();
            let now = *e.pick(&nows());
            let call = Call {
                bytes: &bytes,
                state: &state,
                empty: A::default(),
                key,
                ctx: context(actor, world.tree.clone(), now),
                world,
                generated: Uuid::from_u128(u128::from(e.u64()) | (4 << 76)),
                pick: e.below(16),
                on_state: Cell::new(true),
            };
            let Some(decided) = (command.run)(&call) else {
                continue;
            };
            check(command.name, &call.ctx, &decided);
            // Fold what was decided, as the store would, and go on from there.
            if let Ok(events) = decided
                && call.on_state.get()
            {
                for event in &events {
                    state.apply(event);
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------------------
// The harnesses, one per aggregate.

#[test]
fn fuzz_registry() {
    let w = &*WORLD;
    // The tree is its own context: the store decides tree commands over the tree itself.
    fn over(call: &Call<'_, Registry>) -> Context {
        context(
            call.ctx.actor.clone(),
            Arc::new(call.state.clone()),
            call.ctx.now,
        )
    }
    let commands: Vec<Command<Registry>> = vec![
        command(
            "RegisterOrganisation",
            &[register_practice(), register_partner(), register_national()],
            |c, request| when(request, |cmd| c.state.register(cmd, &over(c))),
        ),
        command("RenameOrganisation", &[rename()], |c, request| {
            when(request, |cmd| c.state.rename(cmd, &over(c)))
        }),
        command("ReparentOrganisation", &[reparent()], |c, request| {
            when(request, |cmd| c.state.reparent(cmd, &over(c)))
        }),
        command("MergeOrganisations", &[merge()], |c, request| {
            when(request, |cmd| c.state.merge(cmd, &over(c)))
        }),
        command("CloseOrganisation", &[close()], |c, request| {
            when(request, |cmd| c.state.close(cmd, &over(c)))
        }),
        command("RecordRegistryImport", &[record_import()], |c, request| {
            when(request, |cmd| c.state.record_import(cmd, &over(c)))
        }),
    ];
    fuzz("registry", &commands, "", &w.registries);
}

#[test]
fn fuzz_duty() {
    let w = &*WORLD;
    let commands: Vec<Command<Duty>> = vec![
        command("DefineDuty", &[define_duty()], |c, request| {
            c.id_or_generated("duty_id", &request.duty_id)
                .and_then(|id| when(request, |cmd| c.on(id).define(id, cmd, &c.ctx)))
        }),
        command("RetireDuty", &[retire_duty()], |c, request| {
            when(request, |cmd: RetireDuty| {
                c.on(cmd.duty_id).retire(cmd, &c.ctx)
            })
        }),
    ];
    fuzz("duty", &commands, &DUTY.to_string(), &w.duties);
}

#[test]
fn fuzz_assignment() {
    let w = &*WORLD;
    /// Accepting, declining or ending the assignment the request names.
    fn step<R>(
        c: &Call<'_, Assignment>,
        request: R,
        decide: StepDecision,
    ) -> Decision<AssignmentEvent>
    where
        AssignmentStep: TryFrom<R, Error = DomainError>,
    {
        when(request, |step: AssignmentStep| {
            decide(c.on(step.assignment_id), step, &c.ctx)
        })
    }
    type StepDecision = fn(&Assignment, AssignmentStep, &Context) -> Decision<AssignmentEvent>;
    let commands: Vec<Command<Assignment>> = vec![
        command("ProposeResponsibility", &[propose()], |c, request| {
            c.id_or_generated("assignment_id", &request.assignment_id)
                .and_then(|id| {
                    when(request, |cmd: ProposeResponsibility| {
                        let duty = c.world.duty(cmd.responsibility.duty_id, c.pick);
                        c.on(id).propose(id, cmd, duty, &c.ctx)
                    })
                })
        }),
        command("AcceptResponsibility", &[accept()], |c, request| {
            step(c, request, Assignment::accept)
        }),
        command("DeclineResponsibility", &[decline()], |c, request| {
            step(c, request, Assignment::decline)
        }),
        command("EndResponsibility", &[end()], |c, request| {
            step(c, request, Assignment::end)
        }),
    ];
    fuzz(
        "assignment",
        &commands,
        &ASSIGNMENT.to_string(),
        &w.assignments,
    );
}

#[test]
fn fuzz_attribution() {
    let w = &*WORLD;
    let commands: Vec<Command<Attribution>> = vec![command(
        "AttributeResponsibility",
        &[attribute()],
        |c, request| {
            // The handler derives the attribution's id; a re-sent request names it again.
            let id = if c.pick % 2 == 0 {
                ATTRIBUTION
            } else {
                c.generated
            };
            when(request, |cmd: AttributeResponsibility| {
                let duty = c.world.duty(cmd.responsibility.duty_id, c.pick);
                c.on(id).attribute(id, cmd, duty, &c.ctx)
            })
        },
    )];
    fuzz(
        "attribution",
        &commands,
        &ATTRIBUTION.to_string(),
        &w.attributions,
    );
}

#[test]
fn fuzz_programme() {
    let w = &*WORLD;
    let commands: Vec<Command<Programme>> = vec![
        command("LaunchTrainingProgramme", &[launch()], |c, request| {
            c.id_or_generated("programme_id", &request.programme_id)
                .and_then(|id| when(request, |cmd| c.on(id).launch(id, cmd, &c.ctx)))
        }),
        command("SetRolloutTarget", &[set_target()], |c, request| {
            when(request, |cmd: SetRolloutTarget| {
                c.on(cmd.programme_id).set_target(cmd, &c.ctx)
            })
        }),
    ];
    fuzz(
        "programme",
        &commands,
        &PROGRAMME.to_string(),
        &w.programmes,
    );
}

#[test]
fn fuzz_practice() {
    let w = &*WORLD;
    let commands: Vec<Command<Practice>> = vec![
        command(
            "RecordFacilitation",
            &[record_facilitation()],
            |c, request| {
                when(request, |cmd: RecordFacilitation| {
                    c.on(&cmd.practice_code).record_facilitation(cmd, &c.ctx)
                })
            },
        ),
        command("ChangeServiceStatus", &[change_status()], |c, request| {
            when(request, |cmd: ChangeServiceStatus| {
                c.on(&cmd.practice_code).change_service_status(cmd, &c.ctx)
            })
        }),
        command("NameDigitalChampion", &[name_champion()], |c, request| {
            when(request, |cmd: NameDigitalChampion| {
                c.on(&cmd.practice_code).name_digital_champion(cmd, &c.ctx)
            })
        }),
        command("EnrolStaff", &[enrol()], |c, request| {
            when(request, |cmd: EnrolStaff| {
                let programme = c.world.programme(cmd.programme_id, c.pick);
                c.on(&cmd.practice_code).enrol_staff(cmd, programme, &c.ctx)
            })
        }),
        command(
            "CompleteModule",
            &[complete_module("m1"), complete_module("m2")],
            |c, request| {
                when(request, |cmd: Completion| {
                    let programme = c.world.programme(cmd.programme_id, c.pick);
                    c.on(&cmd.practice_code)
                        .complete_module(cmd, programme, &c.ctx)
                })
            },
        ),
        command("CompleteTraining", &[complete_training()], |c, request| {
            when(request, |cmd: Completion| {
                let programme = c.world.programme(cmd.programme_id, c.pick);
                c.on(&cmd.practice_code)
                    .complete_training(cmd, programme, &c.ctx)
            })
        }),
        command("AdoptPlatform", &[adopt()], |c, request| {
            when(request, |cmd: AdoptPlatform| {
                let platform = c.world.platform(cmd.platform_id, c.pick);
                c.on(&cmd.practice_code)
                    .adopt_platform(cmd, platform, &c.ctx)
            })
        }),
    ];
    fuzz("practice", &commands, "A81001", &w.practices);
}

#[test]
fn fuzz_session() {
    let w = &*WORLD;
    let commands: Vec<Command<Session>> = vec![
        command(
            "ScheduleSession",
            &[schedule_at_host(), schedule_at_venue()],
            |c, request| {
                c.id_or_generated("session_id", &request.session_id)
                    .and_then(|id| when(request, |cmd| c.on(id).schedule(id, cmd, &c.ctx)))
            },
        ),
        command("ConfirmHosting", &[confirm_hosting()], |c, request| {
            when(request, |cmd: ConfirmHosting| {
                c.on(cmd.session_id).confirm_hosting(cmd, &c.ctx)
            })
        }),
        command("DeclineHosting", &[decline_hosting()], |c, request| {
            when(request, |cmd: DeclineHosting| {
                c.on(cmd.session_id).decline_hosting(cmd, &c.ctx)
            })
        }),
        command(
            "BookSeat",
            &[
                book("REF-0200", "A81001", 1),
                book("", "B82001", 2),
                book("REF-0001", "A81002", 10),
            ],
            |c, request| {
                Referral::from_booking(&request, c.generated)
                    .and_then(|r| c.on(r.session_id).book_seat(r, &c.ctx))
            },
        ),
        command(
            "CancelBooking",
            &[cancel_booking("REF-0001"), cancel_booking("REF-0100")],
            |c, request| {
                when(request, |cmd: CancelBooking| {
                    c.on(cmd.session_id).cancel_booking(cmd, &c.ctx)
                })
            },
        ),
        command(
            "JoinWaitlist",
            &[
                join_waitlist("REF-0300", "A81001", 2),
                join_waitlist("", "C83001", 10),
            ],
            |c, request| {
                Referral::from_waitlist(&request, c.generated)
                    .and_then(|r| c.on(r.session_id).join_waitlist(r, &c.ctx))
            },
        ),
        command("CancelSession", &[cancel_session()], |c, request| {
            when(request, |cmd: CancelSession| {
                c.on(cmd.session_id).cancel(cmd, &c.ctx)
            })
        }),
        command("RecordAttendance", &[record_attendance()], |c, request| {
            when(request, |cmd: RecordAttendance| {
                c.on(cmd.session_id).record_attendance(cmd, &c.ctx)
            })
        }),
    ];
    fuzz("session", &commands, &SESSION.to_string(), &w.sessions);
}

#[test]
fn fuzz_platform() {
    let w = &*WORLD;
    let commands: Vec<Command<Platform>> = vec![
        command("RegisterPlatform", &[register_platform()], |c, request| {
            c.id_or_generated("platform_id", &request.platform_id)
                .and_then(|id| when(request, |cmd| c.on(id).register(id, cmd, &c.ctx)))
        }),
        command("AnnouncePlatformChange", &[announce()], |c, request| {
            c.id_or_generated("change_id", &request.change_id)
                .and_then(|change| {
                    when(request, |cmd: AnnouncePlatformChange| {
                        c.on(cmd.platform_id).announce_change(change, cmd, &c.ctx)
                    })
                })
        }),
        command("PublishTrainingMaterial", &[publish()], |c, request| {
            c.id_or_generated("material_id", &request.material_id)
                .and_then(|material| {
                    when(request, |cmd: PublishTrainingMaterial| {
                        c.on(cmd.platform_id)
                            .publish_material(material, cmd, &c.ctx)
                    })
                })
        }),
    ];
    fuzz("platform", &commands, &PLATFORM.to_string(), &w.platforms);
}

#[test]
fn fuzz_usability_issue() {
    let w = &*WORLD;
    let commands: Vec<Command<UsabilityIssue>> = vec![
        command("ReportUsabilityIssue", &[report()], |c, request| {
            c.id_or_generated("issue_id", &request.issue_id)
                .and_then(|id| {
                    when(request, |cmd: ReportUsabilityIssue| {
                        let platform = c.world.platform(cmd.platform_id, c.pick);
                        c.on(id).report(id, cmd, platform, &c.ctx)
                    })
                })
        }),
        command(
            "AcknowledgeUsabilityIssue",
            &[acknowledge()],
            |c, request| {
                when(request, |cmd: AcknowledgeUsabilityIssue| {
                    c.on(cmd.issue_id).acknowledge(cmd, &c.ctx)
                })
            },
        ),
        command("ResolveUsabilityIssue", &[resolve()], |c, request| {
            when(request, |cmd: ResolveUsabilityIssue| {
                c.on(cmd.issue_id).resolve(cmd, &c.ctx)
            })
        }),
    ];
    fuzz("usability_issue", &commands, &ISSUE.to_string(), &w.issues);
}

/// Every parser of `values.rs`, `codes.rs`, `privacy.rs` and the practice's own, on
/// strings from the dictionary, edited, or random. Refusals name their field and echo
/// little; acceptances give back what the rule promises.
#[test]
fn fuzz_parsers() {
    let w = &*WORLD;
    kit::run("parsers", kit::DEFAULT_CASES, |e| {
        let input = kit::string(e, &w.dict);
        let number = w.dict.number(e);
        let today = NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(e.below(40_000) as u64)))
            .expect("a date in range");
        let small = u32::try_from(number).unwrap_or(u32::MAX);
        let enum_value = number as i32;
        let refusal = |what: &str, result: Result<(), DomainError>| {
            if let Err(err) = result {
                check::<()>(
                    what,
                    &context(person("svc", &[Role::Service]), w.tree.clone(), nows()[0]),
                    &Err(err),
                );
            }
        };
        match e.below(16) {
            0 => refusal("date_or", values::date_or("f", &input, today).map(drop)),
            1 => refusal("date", values::date("f", &input).map(drop)),
            2 => refusal("instant", values::instant("f", &input).map(drop)),
            3 => refusal("id", values::id("f", &input).map(drop)),
            4 => {
                let values: Vec<i32> = (0..e.below(8)).map(|_| w.dict.number(e) as i32).collect();
                refusal(
                    "known_enum",
                    values::known_enum::<pb::DigitalService>("f", enum_value).map(drop),
                );
                refusal(
                    "known_enums",
                    values::known_enums::<pb::StaffRole>("f", &values, e.one_in(2)).map(drop),
                );
            }
            5 => {
                let max = u32::try_from(w.dict.number(e)).unwrap_or(u32::MAX);
                let counted = values::count("f", small, e.one_in(2), max);
                if let Ok(n) = counted {
                    assert!(n <= max, "count gave {n} over its limit {max}");
                }
                refusal("count", counted.map(drop));
            }
            6 => {
                let max = e.below(5000);
                let texted = values::text("f", &input, max);
                if let Ok(t) = &texted {
                    assert!(
                        t.chars().count() <= max && !t.is_empty(),
                        "text broke its limit"
                    );
                }
                refusal("text", texted.map(drop));
            }
            7 => refusal(
                "optional_text",
                values::optional_text("f", &input, e.below(5000)).map(drop),
            ),
            8 => refusal("language_tag", values::language_tag("f", &input).map(drop)),
            9 => {
                let kinds = [
                    pb::OrganisationKind::Unspecified,
                    pb::OrganisationKind::NationalBody,
                    pb::OrganisationKind::Region,
                    pb::OrganisationKind::Icb,
                    pb::OrganisationKind::SubIcb,
                    pb::OrganisationKind::Pcn,
                    pb::OrganisationKind::Practice,
                    pb::OrganisationKind::Partner,
                    pb::OrganisationKind::Provider,
                ];
                let kind = *e.pick(&kinds);
                refusal("check", codes::check("f", &input, kind));
                let _ = codes::parent_kinds(kind);
                let _ = codes::example(kind);
            }
            10 => {
                let referenced = codes::reference("f", &input);
                if let Ok(code) = &referenced {
                    assert!(
                        code.len() <= 64
                            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                        "reference accepted {code:?}"
                    );
                }
                refusal("reference", referenced.map(drop));
            }
            11 => {
                refusal("check_free_text", privacy::check_free_text("f", &input));
                let digits: [u8; 10] = std::array::from_fn(|_| e.byte() % 10);
                let _ = privacy::is_nhs_number(&digits);
            }
            12 => refusal("staff_ref", practice::staff_ref("f", &input).map(drop)),
            13 => {
                let week = practice::iso_week("f", &input, today);
                if let Ok(monday) = week {
                    assert!(monday <= today, "iso_week accepted a future week {input:?}");
                }
                refusal("iso_week", week.map(drop));
            }
            14 => refusal("practice_code", practice::practice_code(&input).map(drop)),
            _ => {
                let needs: Vec<i32> = (0..e.below(4)).map(|_| w.dict.number(e) as i32).collect();
                let language = kit::string(e, &w.dict);
                let referrer = kit::string(e, &w.dict);
                refusal(
                    "Referral::new",
                    Referral::new(
                        &SESSION.to_string(),
                        &input,
                        Uuid::nil(),
                        &referrer,
                        small,
                        &language,
                        &needs,
                    )
                    .map(drop),
                );
            }
        }
    });
}

/// The seeds reach the rules: each is accepted on the world's state it was written for
/// (building the world runs most of them; these are the rest), so mutations of them
/// start from a request that gets past every check.
#[test]
fn seeds_are_accepted_where_they_were_written_for() {
    let w = &*WORLD;
    let svc = context(person("svc", &[Role::Service]), w.tree.clone(), nows()[0]);
    let register = |registry: &Registry, request: pb::RegisterOrganisationRequest| {
        let over = context(svc.actor.clone(), Arc::new(registry.clone()), svc.now);
        when(request, |cmd| registry.register(cmd, &over))
    };
    register(&w.registries[1], register_practice()).expect("a new practice");
    register(&w.registries[1], register_partner()).expect("a new partner");
    register(&w.registries[0], register_national()).expect("the national body");
    let booking = |r: pb::BookSeatRequest| Referral::from_booking(&r, Uuid::nil()).expect("valid");
    let waiting = |r| Referral::from_waitlist(&r, Uuid::nil()).expect("valid");
    let (host, confirmed, busy) = (&w.sessions[1], &w.sessions[3], &w.sessions[5]);
    host.book_seat(booking(book("REF-0200", "A81001", 1)), &svc)
        .expect("a booking on a pending session");
    confirmed
        .book_seat(booking(book("", "B82001", 2)), &svc)
        .expect("a booking with a generated reference");
    when(cancel_booking("REF-0001"), |c| busy.cancel_booking(c, &svc))
        .expect("a confirmed booking cancelled");
    when(cancel_booking("REF-0100"), |c| busy.cancel_booking(c, &svc))
        .expect("a waiting booking cancelled");
    busy.join_waitlist(waiting(join_waitlist("REF-0300", "A81001", 2)), &svc)
        .expect("joining the waitlist of a full session");
    host.join_waitlist(waiting(join_waitlist("", "C83001", 10)), &svc)
        .expect("joining with a generated reference");
    assert_eq!(w.practices.len(), 9);
    assert_eq!(w.sessions.len(), 9);
    assert_eq!(w.issues.len(), 5);
}
