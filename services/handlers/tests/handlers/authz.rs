//! The authorisation matrix, generated from the policy table: every command × every
//! role × three placements of the caller (the target organisation itself, another
//! organisation in the same area, an organisation outside it). The expected answer is
//! computed from `policy::grants` with a hand-written copy of the test tree's ancestry (not the
//! registry's code); the actual answer comes from the real gRPC path. A denial must be
//! PERMISSION_DENIED and leave the log untouched; an allowed call must not be denied.

use std::collections::HashMap;

use crate::support::{Caller, Harness};
use auth::Role;
use domain::command::Command;
use domain::policy::{self, Party, Reach, Scope};
use proto::v1 as pb;
use tonic::Code;

/// Parents in the test tree (support/mod.rs), written out independently.
fn parents() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("Y56", "X24"),
        ("Y63", "X24"),
        ("QE1", "Y56"),
        ("QWO", "Y63"),
        ("00L", "QE1"),
        ("01A", "QWO"),
        ("U00001", "00L"),
        ("U00002", "01A"),
        ("A81001", "U00001"),
        ("A81002", "U00001"),
        ("B82001", "U00002"),
        ("P-leeds-libraries", "QE1"),
        ("P-york-digital", "QWO"),
        ("V-nhs-app", "X24"),
        ("V-other-app", "X24"),
    ])
}

fn within(code: &str, area: &str) -> bool {
    let parents = parents();
    let mut current = code;
    loop {
        if current == area {
            return true;
        }
        // Fresh practices made for one case sit under U00001.
        let parent = parents
            .get(current)
            .copied()
            .or_else(|| current.starts_with('Z').then_some("U00001"));
        match parent {
            Some(parent) => current = parent,
            None => return false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Placement {
    Own,
    SameArea,
    Outside,
}

/// Where a caller with `role` sits, for each placement.
fn actor_org(role: Role, placement: Placement, target: &str) -> String {
    let (same_area, outside) = match role {
        Role::NationalLead | Role::Auditor | Role::Service => ("X24", "X24"),
        Role::RegionalLead => ("Y56", "Y63"),
        Role::IcbCommissioner => ("QE1", "QWO"),
        Role::PcnLead => ("U00001", "U00002"),
        Role::PracticeManager | Role::PracticeStaff => ("A81002", "B82001"),
        Role::PartnerCoordinator => ("P-leeds-libraries", "P-york-digital"),
        Role::ProviderAdmin => ("V-nhs-app", "V-other-app"),
    };
    match placement {
        Placement::Own => target.to_owned(),
        Placement::SameArea => same_area.to_owned(),
        Placement::Outside => outside.to_owned(),
    }
}

fn expected(command: Command, role: Role, actor: &str, targets: &[(Party, String)]) -> bool {
    let rule = policy::rule(command);
    rule.grants.iter().any(|grant| {
        grant.role == role
            && match grant.reach {
                Reach::Anywhere => true,
                Reach::Checks(checks) => checks.iter().all(|(party, scope)| {
                    targets.iter().any(|(p, t)| {
                        p == party
                            && match scope {
                                Scope::Own => actor == t,
                                Scope::Area => within(t, actor),
                                Scope::Home => within(actor, t),
                            }
                    })
                }),
            }
    })
}

/// The one organisation a command acts for or on.
fn one(code: impl Into<String>) -> Vec<(Party, String)> {
    vec![(Party::Target, code.into())]
}

/// The parties of a booking by `referrer` on the matrix's session (P-leeds-libraries, QE1).
fn booking_parties(referrer: &str) -> Vec<(Party, String)> {
    vec![
        (Party::Target, "P-leeds-libraries".into()),
        (Party::Partner, "P-leeds-libraries".into()),
        (Party::SessionIcb, "QE1".into()),
        (Party::Referrer, referrer.into()),
    ]
}

/// A commission paid for by `commissioner` for P-leeds-libraries' sessions in U00001.
fn commission_request(commissioner: &str) -> pb::CommissionPartnerRequest {
    pb::CommissionPartnerRequest {
        commissioner_code: commissioner.into(),
        partner_code: "P-leeds-libraries".into(),
        area_code: "U00001".into(),
        ends_on: "2099-01-01".into(),
        sessions_promised: 4,
        ..Default::default()
    }
}

/// The parties of a commission paid for by `commissioner` in U00001.
fn commission_parties(commissioner: &str) -> Vec<(Party, String)> {
    vec![
        (Party::Target, "U00001".into()),
        (Party::Commissioner, commissioner.into()),
    ]
}

/// The caller of one case: a token whose subject is unique to the case, so that whatever
/// it wrote can be found afterwards.
struct Actor {
    subject: String,
    org: String,
    caller: Caller,
}

impl Actor {
    fn new(h: &Harness, case: usize, org: &str, role: Role) -> Self {
        let subject = format!("case-{case}@{org}");
        Self {
            caller: h.caller(&subject, org, &[role]),
            subject,
            org: org.to_owned(),
        }
    }
}

impl std::ops::Deref for Actor {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// A local duty titled `title`.
fn duty(title: &str) -> pb::DefineDutyRequest {
    pb::DefineDutyRequest {
        title: title.into(),
        required_levels: vec![pb::Level::Local.into()],
        ..Default::default()
    }
}

/// A programme of `owner` for receptionists, of the one module `m1`.
fn programme(owner: &str, title: &str, target_percent: u32) -> pb::LaunchTrainingProgrammeRequest {
    pb::LaunchTrainingProgrammeRequest {
        owner_code: owner.into(),
        title: title.into(),
        audience_roles: vec![pb::StaffRole::Receptionist.into()],
        module_ids: vec!["m1".into()],
        target_percent,
        deadline: "2099-01-01".into(),
        ..Default::default()
    }
}

/// `practice` proposed as Responsible for `duty` in U00001.
fn proposal(duty: &str, practice: &str) -> pb::ProposeResponsibilityRequest {
    pb::ProposeResponsibilityRequest {
        duty_id: duty.into(),
        area_code: "U00001".into(),
        level: pb::Level::Local.into(),
        assignee_code: practice.into(),
        role: pb::RaciRole::Responsible.into(),
        ..Default::default()
    }
}

/// A patient app of V-nhs-app named `name`.
fn platform(name: &str) -> pb::RegisterPlatformRequest {
    pb::RegisterPlatformRequest {
        provider_code: "V-nhs-app".into(),
        name: name.into(),
        category: pb::PlatformCategory::PatientApp.into(),
        ..Default::default()
    }
}

/// A fresh practice `code` under U00001, registered by a service.
async fn register_fresh(h: &Harness, code: &str, name: &str) {
    let mut icb = h.icb("X24", &[Role::Service]);
    crate::support::register(
        &mut icb,
        code,
        pb::OrganisationKind::Practice,
        name,
        "U00001",
    )
    .await;
}

/// Fixtures made by a `service` caller, fresh for each case where a command consumes them.
struct Fixtures {
    duty: String,
    programme: String,
    platform: String,
    counter: u32,
}

fn ok<T>(r: Result<tonic::Response<T>, tonic::Status>, what: &str) -> T {
    r.unwrap_or_else(|s| panic!("fixture {what}: {s}"))
        .into_inner()
}

impl Fixtures {
    async fn new(h: &Harness) -> Self {
        let mut icb = h.icb("X24", &[Role::Service]);
        let duty = ok(icb.define_duty(duty("NHS App support")).await, "duty").aggregate_id;
        let programme = programme("X24", "Reception digital skills", 80);
        let programme = ok(icb.launch_training_programme(programme).await, "programme");
        let platform = ok(
            h.provider("V-nhs-app", &[Role::Service])
                .register_platform(platform("NHS App"))
                .await,
            "platform",
        );
        Self {
            duty,
            programme: programme.aggregate_id,
            platform: platform.aggregate_id,
            counter: 0,
        }
    }

    fn next(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }
}

/// Performs `command` as `actor` (after any fixtures), returning the targets and the result.
async fn attempt(
    h: &Harness,
    f: &mut Fixtures,
    command: Command,
    actor: &Actor,
) -> (Vec<(Party, String)>, Result<(), tonic::Status>) {
    let org = actor.org.as_str();
    let n = f.next();
    let service_icb = || h.icb("X24", &[Role::Service]);
    let unit = |r: Result<tonic::Response<pb::CommandResult>, tonic::Status>| r.map(|_| ());
    let practice = "A81001".to_owned();
    match command {
        Command::RegisterOrganisation => {
            let r = actor
                .icb()
                .register_organisation(pb::RegisterOrganisationRequest {
                    code: format!("Z{n:05}"),
                    kind: pb::OrganisationKind::Practice.into(),
                    name: "Fresh".into(),
                    parent_code: "U00001".into(),
                    ..Default::default()
                })
                .await;
            (one("U00001"), unit(r))
        }
        Command::RenameOrganisation
        | Command::ReparentOrganisation
        | Command::CloseOrganisation
        | Command::MergeOrganisations => {
            let fresh = format!("Z{n:05}");
            register_fresh(h, &fresh, "Fresh").await;
            let mut client = actor.icb();
            let r = match command {
                Command::RenameOrganisation => {
                    client
                        .rename_organisation(pb::RenameOrganisationRequest {
                            code: fresh.clone(),
                            name: format!("Renamed {n}"),
                            ..Default::default()
                        })
                        .await
                }
                Command::ReparentOrganisation => {
                    client
                        .reparent_organisation(pb::ReparentOrganisationRequest {
                            code: fresh.clone(),
                            parent_code: "U00001".into(),
                            ..Default::default()
                        })
                        .await
                }
                Command::CloseOrganisation => {
                    client
                        .close_organisation(pb::CloseOrganisationRequest {
                            code: fresh.clone(),
                            reason: "closed".into(),
                            ..Default::default()
                        })
                        .await
                }
                _ => {
                    let other = format!("Z{:05}", n + 50_000);
                    register_fresh(h, &other, "Other").await;
                    client
                        .merge_organisations(pb::MergeOrganisationsRequest {
                            predecessor_codes: vec![other],
                            successor_code: fresh.clone(),
                            ..Default::default()
                        })
                        .await
                }
            };
            (one(fresh), unit(r))
        }
        Command::RecordRegistryImport => {
            let r = actor
                .icb()
                .record_registry_import(pb::RecordRegistryImportRequest {
                    source_file: "epraccur.csv".into(),
                    extract_date: "2026-01-31".into(),
                    rows: 48,
                    digest: "0".repeat(64),
                    ..Default::default()
                })
                .await;
            (one("X24"), unit(r))
        }
        Command::DefineDuty => (
            one("X24"),
            unit(actor.icb().define_duty(duty("Duty")).await),
        ),
        Command::RetireDuty => {
            let duty = ok(service_icb().define_duty(duty("Duty")).await, "duty").aggregate_id;
            let r = actor
                .icb()
                .retire_duty(pb::RetireDutyRequest {
                    duty_id: duty,
                    reason: "done".into(),
                    ..Default::default()
                })
                .await;
            (one("X24"), unit(r))
        }
        Command::ProposeResponsibility => {
            let r = actor
                .icb()
                .propose_responsibility(proposal(&f.duty, &practice))
                .await;
            (one("U00001"), unit(r))
        }
        Command::AcceptResponsibility
        | Command::DeclineResponsibility
        | Command::EndResponsibility => {
            let proposed = service_icb()
                .propose_responsibility(proposal(&f.duty, &practice))
                .await;
            let assignment = ok(proposed, "assignment").aggregate_id;
            let mut client = actor.icb();
            let (targets, r) = match command {
                Command::AcceptResponsibility => (
                    one(practice.clone()),
                    client
                        .accept_responsibility(pb::AcceptResponsibilityRequest {
                            assignment_id: assignment,
                            ..Default::default()
                        })
                        .await,
                ),
                Command::DeclineResponsibility => (
                    one(practice.clone()),
                    client
                        .decline_responsibility(pb::DeclineResponsibilityRequest {
                            assignment_id: assignment,
                            reason: "no capacity".into(),
                            ..Default::default()
                        })
                        .await,
                ),
                _ => (
                    vec![
                        (Party::Assignee, practice.clone()),
                        (Party::AssignmentArea, "U00001".into()),
                    ],
                    client
                        .end_responsibility(pb::EndResponsibilityRequest {
                            assignment_id: assignment,
                            reason: "handed over".into(),
                            ..Default::default()
                        })
                        .await,
                ),
            };
            (targets, unit(r))
        }
        Command::AttributeResponsibility => {
            let r = actor
                .icb()
                .attribute_responsibility(pb::AttributeResponsibilityRequest {
                    duty_id: f.duty.clone(),
                    area_code: "U00001".into(),
                    level: pb::Level::Local.into(),
                    believed_owner_code: "QE1".into(),
                    role: pb::RaciRole::Accountable.into(),
                    ..Default::default()
                })
                .await;
            (one(org.to_owned()), unit(r))
        }
        Command::LaunchTrainingProgramme => {
            let local = programme("QE1", "Local programme", 50);
            (
                one("QE1"),
                unit(actor.icb().launch_training_programme(local).await),
            )
        }
        Command::SetRolloutTarget => {
            let r = actor
                .icb()
                .set_rollout_target(pb::SetRolloutTargetRequest {
                    programme_id: f.programme.clone(),
                    area_code: "U00001".into(),
                    target_percent: 70,
                    deadline: "2099-01-01".into(),
                    ..Default::default()
                })
                .await;
            (one("U00001"), unit(r))
        }
        Command::CommissionPartner => {
            // Paid for by the caller's own organisation, for sessions in U00001.
            let r = actor
                .icb()
                .commission_partner(commission_request(org))
                .await;
            (commission_parties(org), unit(r))
        }
        Command::EndCommission => {
            let commission = ok(
                service_icb()
                    .commission_partner(commission_request("QE1"))
                    .await,
                "commission",
            )
            .created_id;
            let r = actor
                .icb()
                .end_commission(pb::EndCommissionRequest {
                    commission_id: commission,
                    reason: "delivered early".into(),
                    ..Default::default()
                })
                .await;
            (commission_parties("QE1"), unit(r))
        }
        _ => practice_partner_provider(h, f, command, actor, n).await,
    }
}

async fn practice_partner_provider(
    h: &Harness,
    f: &mut Fixtures,
    command: Command,
    actor: &Actor,
    n: u32,
) -> (Vec<(Party, String)>, Result<(), tonic::Status>) {
    let unit = |r: Result<tonic::Response<pb::CommandResult>, tonic::Status>| r.map(|_| ());
    let practice = "A81001".to_owned();
    let staff = format!("staff-{n}");
    let enrol = |staff: String| pb::EnrolStaffRequest {
        practice_code: practice.clone(),
        staff_ref: staff,
        staff_role: pb::StaffRole::Receptionist.into(),
        programme_id: f.programme.clone(),
        ..Default::default()
    };
    let mut client = actor.practice();
    let mut service_practice = h.practice("X24", &[Role::Service]);
    match command {
        Command::RecordFacilitation => {
            let r = client
                .record_facilitation(handlers::testing::facilitation(&practice, 12))
                .await;
            (one(practice), unit(r))
        }
        Command::ChangeServiceStatus => {
            let status = if n.is_multiple_of(2) {
                pb::ServiceStatus::Paused
            } else {
                pb::ServiceStatus::Offered
            };
            let r = client
                .change_service_status(pb::ChangeServiceStatusRequest {
                    practice_code: practice.clone(),
                    service: pb::DigitalService::OnlineConsultation.into(),
                    status: status.into(),
                    reason: "staff capacity".into(),
                    ..Default::default()
                })
                .await;
            (one(practice), unit(r))
        }
        Command::NameDigitalChampion => {
            let r = client
                .name_digital_champion(pb::NameDigitalChampionRequest {
                    practice_code: practice.clone(),
                    staff_ref: staff,
                    staff_role: pb::StaffRole::Receptionist.into(),
                    ..Default::default()
                })
                .await;
            (one(practice), unit(r))
        }
        Command::ReportStaffInPost => {
            let r = client
                .report_staff_in_post(pb::ReportStaffInPostRequest {
                    practice_code: practice.clone(),
                    staff_role: pb::StaffRole::Receptionist.into(),
                    // A new figure each case, so an allowed one always records something.
                    headcount: n % 1_000,
                    ..Default::default()
                })
                .await;
            (one(practice), unit(r))
        }
        Command::EnrolStaff => (
            one(practice.clone()),
            unit(client.enrol_staff(enrol(staff)).await),
        ),
        Command::CompleteModule | Command::CompleteTraining => {
            ok(
                service_practice.enrol_staff(enrol(staff.clone())).await,
                "enrol",
            );
            let module = pb::CompleteModuleRequest {
                practice_code: practice.clone(),
                staff_ref: staff.clone(),
                programme_id: f.programme.clone(),
                module_id: "m1".into(),
                ..Default::default()
            };
            let r = if command == Command::CompleteModule {
                client.complete_module(module).await
            } else {
                ok(service_practice.complete_module(module).await, "module");
                client
                    .complete_training(pb::CompleteTrainingRequest {
                        practice_code: practice.clone(),
                        staff_ref: staff,
                        programme_id: f.programme.clone(),
                        ..Default::default()
                    })
                    .await
            };
            (one(practice), unit(r))
        }
        Command::AdoptPlatform => {
            let r = client
                .adopt_platform(pb::AdoptPlatformRequest {
                    practice_code: practice.clone(),
                    platform_id: f.platform.clone(),
                    ..Default::default()
                })
                .await;
            (one(practice), unit(r))
        }
        Command::ScheduleSession => {
            let r = actor
                .partner()
                .schedule_session(handlers::testing::drop_in_session(
                    "P-leeds-libraries",
                    "A81001",
                ))
                .await;
            (one("P-leeds-libraries"), unit(r))
        }
        Command::ConfirmHosting
        | Command::DeclineHosting
        | Command::BookSeat
        | Command::JoinWaitlist
        | Command::CancelBooking
        | Command::CancelSession
        | Command::RecordAttendance => {
            let session = ok(
                h.partner("X24", &[Role::Service])
                    .schedule_session(handlers::testing::drop_in_session(
                        "P-leeds-libraries",
                        "A81001",
                    ))
                    .await,
                "session",
            )
            .aggregate_id;
            let mut client = actor.partner();
            let booking = |reference: &str| pb::BookSeatRequest {
                session_id: session.clone(),
                booking_reference: reference.into(),
                referring_organisation_code: practice.clone(),
                places: 1,
                ..Default::default()
            };
            match command {
                Command::ConfirmHosting => (
                    one(practice.clone()),
                    unit(
                        client
                            .confirm_hosting(pb::ConfirmHostingRequest {
                                session_id: session,
                                ..Default::default()
                            })
                            .await,
                    ),
                ),
                Command::DeclineHosting => (
                    one(practice.clone()),
                    unit(
                        client
                            .decline_hosting(pb::DeclineHostingRequest {
                                session_id: session,
                                reason: "room booked".into(),
                                ..Default::default()
                            })
                            .await,
                    ),
                ),
                Command::BookSeat => (
                    booking_parties(&practice),
                    unit(client.book_seat(booking(&format!("REF-{n}"))).await),
                ),
                Command::JoinWaitlist => {
                    let b = booking(&format!("REF-{n}"));
                    let r = client
                        .join_waitlist(pb::JoinWaitlistRequest {
                            session_id: b.session_id,
                            booking_reference: b.booking_reference,
                            referring_organisation_code: b.referring_organisation_code,
                            places: 1,
                            ..Default::default()
                        })
                        .await;
                    (booking_parties(&practice), unit(r))
                }
                Command::CancelBooking => {
                    ok(
                        h.partner("X24", &[Role::Service])
                            .book_seat(booking(&format!("REF-{n}")))
                            .await,
                        "booking",
                    );
                    let r = client
                        .cancel_booking(pb::CancelBookingRequest {
                            session_id: session,
                            booking_reference: format!("REF-{n}"),
                            reason: "unwell".into(),
                            ..Default::default()
                        })
                        .await;
                    (booking_parties(&practice), unit(r))
                }
                Command::CancelSession => (
                    one("P-leeds-libraries"),
                    unit(
                        client
                            .cancel_session(pb::CancelSessionRequest {
                                session_id: session,
                                reason: "venue closed".into(),
                                ..Default::default()
                            })
                            .await,
                    ),
                ),
                _ => (
                    one("P-leeds-libraries"),
                    unit(
                        client
                            .record_attendance(pb::RecordAttendanceRequest {
                                session_id: session,
                                attended: 1,
                                ..Default::default()
                            })
                            .await,
                    ),
                ),
            }
        }
        Command::RegisterPlatform => {
            let name = format!("Platform {n}");
            let r = actor.provider().register_platform(platform(&name)).await;
            (one("V-nhs-app"), unit(r))
        }
        Command::AnnouncePlatformChange => {
            let r = actor
                .provider()
                .announce_platform_change(pb::AnnouncePlatformChangeRequest {
                    platform_id: f.platform.clone(),
                    effective_date: "2099-01-01".into(),
                    roles_affected: vec![pb::StaffRole::Receptionist.into()],
                    retraining_required: true,
                    summary: "New login flow".into(),
                    ..Default::default()
                })
                .await;
            (one("V-nhs-app"), unit(r))
        }
        Command::PublishTrainingMaterial => {
            let r = actor
                .provider()
                .publish_training_material(pb::PublishTrainingMaterialRequest {
                    platform_id: f.platform.clone(),
                    title: "Guide".into(),
                    formats: vec![pb::MaterialFormat::Guide.into()],
                    languages: vec!["en".into()],
                    url: "https://example.org/guide".into(),
                    audience_roles: vec![pb::StaffRole::Receptionist.into()],
                    ..Default::default()
                })
                .await;
            (one("V-nhs-app"), unit(r))
        }
        Command::ReportUsabilityIssue
        | Command::AcknowledgeUsabilityIssue
        | Command::ResolveUsabilityIssue => {
            let report = pb::ReportUsabilityIssueRequest {
                platform_id: f.platform.clone(),
                practice_code: practice.clone(),
                category: pb::UsabilityIssueCategory::LoginIdentity.into(),
                severity: pb::IssueSeverity::High.into(),
                description: "Older patients cannot complete identity checks".into(),
                ..Default::default()
            };
            let mut client = actor.provider();
            if command == Command::ReportUsabilityIssue {
                return (
                    one(practice),
                    unit(client.report_usability_issue(report).await),
                );
            }
            let issue = ok(
                h.provider("X24", &[Role::Service])
                    .report_usability_issue(report)
                    .await,
                "issue",
            )
            .aggregate_id;
            let r = if command == Command::AcknowledgeUsabilityIssue {
                client
                    .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
                        issue_id: issue,
                        note: "looking".into(),
                        ..Default::default()
                    })
                    .await
            } else {
                client
                    .resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
                        issue_id: issue,
                        resolution: "fixed in 2.1".into(),
                        ..Default::default()
                    })
                    .await
            };
            (one("V-nhs-app"), unit(r))
        }
        other => panic!("the matrix does not know how to issue {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_every_role_every_placement() {
    let h = Harness::with_tree().await;
    let mut fixtures = Fixtures::new(&h).await;
    let mut cases = 0;
    let mut allowed = 0;
    let mut denied_subjects = Vec::new();
    let mut failures = Vec::new();
    for rule in policy::rules() {
        for role in Role::ALL {
            for placement in [Placement::Own, Placement::SameArea, Placement::Outside] {
                let org = actor_org(role, placement, &target_of(rule.command)[0]);
                let actor = Actor::new(&h, cases, &org, role);
                let (targets, result) = attempt(&h, &mut fixtures, rule.command, &actor).await;
                let want = expected(rule.command, role, &org, &targets);
                cases += 1;
                let denied =
                    matches!(&result, Err(status) if status.code() == Code::PermissionDenied);
                match (want, denied) {
                    (true, true) => failures.push(format!("{} as {role} of {org} ({placement:?}): the policy allows it, the service denied it: {result:?}", rule.command)),
                    (false, false) => failures.push(format!("{} as {role} of {org} ({placement:?}): expected PERMISSION_DENIED, got {result:?}", rule.command)),
                    (true, false) => allowed += 1,
                    (false, true) => denied_subjects.push(actor.subject.clone()),
                }
            }
        }
    }
    // A denial leaves the log untouched: no event carries a denied case's subject.
    let written: std::collections::HashSet<String> = h
        .events()
        .await
        .into_iter()
        .filter_map(|e| e.metadata.get("actor").cloned())
        .collect();
    for subject in &denied_subjects {
        if written.contains(subject) {
            failures.push(format!("{subject} was denied but wrote events"));
        }
    }
    eprintln!(
        "authorisation matrix: {cases} cases ({} rules x {} roles x 3 placements), {allowed} allowed, {} denied",
        Command::ALL.len(),
        Role::ALL.len(),
        denied_subjects.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases disagree with the policy table:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cases, Command::ALL.len() * Role::ALL.len() * 3);
    assert!(
        allowed > 0 && !denied_subjects.is_empty(),
        "the matrix exercises both outcomes"
    );
}

/// The target organisations of each command in this matrix (fixed by `attempt`).
fn target_of(command: Command) -> Vec<String> {
    let targets: &[&str] = match command {
        Command::RegisterOrganisation
        | Command::ProposeResponsibility
        | Command::SetRolloutTarget
        | Command::CommissionPartner
        | Command::EndCommission => &["U00001"],
        Command::RenameOrganisation
        | Command::ReparentOrganisation
        | Command::CloseOrganisation
        | Command::MergeOrganisations => &["A81001"],
        Command::DefineDuty | Command::RetireDuty | Command::RecordRegistryImport => &["X24"],
        Command::LaunchTrainingProgramme => &["QE1"],
        Command::ScheduleSession | Command::CancelSession | Command::RecordAttendance => {
            &["P-leeds-libraries"]
        }
        Command::RegisterPlatform
        | Command::AnnouncePlatformChange
        | Command::PublishTrainingMaterial
        | Command::AcknowledgeUsabilityIssue
        | Command::ResolveUsabilityIssue => &["V-nhs-app"],
        _ => &["A81001"],
    };
    targets.iter().map(|t| (*t).to_owned()).collect()
}
