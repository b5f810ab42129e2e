//! Tests of platforms, their changes and materials, and usability issues.

use auth::Role;
use chrono::{TimeZone, Utc};

use super::*;
use crate::testing::{self, at, caller_over, forbidden, invalid, refused, tree_with, when};

const PLATFORM: Uuid = Uuid::from_u128(0x1111);
const CHANGE: Uuid = Uuid::from_u128(0x2222);
const MATERIAL: Uuid = Uuid::from_u128(0x3333);
const ISSUE: Uuid = Uuid::from_u128(0x4444);

/// A caller acting for `org` with `roles`, on 1 May 2026, over the shared tree with a
/// second provider, V-other-app, beside V-nhs-app under X24.
fn ctx(org: &str, roles: &[Role]) -> Context {
    let tree = tree_with(&[("V-other-app", OrganisationKind::Provider, "X24")]);
    let may_day = Utc
        .with_ymd_and_hms(2026, 5, 1, 10, 0, 0)
        .single()
        .expect("a valid time");
    at(caller_over(&tree, org, roles), may_day)
}

fn nhs_app() -> Context {
    ctx("V-nhs-app", &[Role::ProviderAdmin])
}

fn other_app() -> Context {
    ctx("V-other-app", &[Role::ProviderAdmin])
}

/// A machine caller: the only one that may learn that a platform or issue is missing.
fn service() -> Context {
    ctx("X24", &[Role::Service])
}

fn practice(code: &str) -> Context {
    ctx(code, &[Role::PracticeManager])
}

fn given(events: Vec<PlatformEvent>) -> Platform {
    testing::given(&events)
}

fn given_issue(events: Vec<IssueEvent>) -> UsabilityIssue {
    testing::given(&events)
}

fn register_request() -> RegisterPlatformRequest {
    RegisterPlatformRequest {
        provider_code: "V-nhs-app".into(),
        name: "NHS App".into(),
        category: PlatformCategory::PatientApp.into(),
        services: vec![
            DigitalService::NhsApp.into(),
            DigitalService::OnlinePrescriptions.into(),
        ],
        website_url: "https://www.nhs.uk/nhs-app/".into(),
        description: "The NHS's own app for patients in England".into(),
        ..Default::default()
    }
}

fn registered() -> PlatformEvent {
    PlatformRegistered {
        platform_id: PLATFORM.to_string(),
        provider_code: "V-nhs-app".into(),
        name: "NHS App".into(),
        category: PlatformCategory::PatientApp.into(),
        services: vec![DigitalService::NhsApp.into()],
        ..Default::default()
    }
    .into()
}

fn change_request() -> AnnouncePlatformChangeRequest {
    AnnouncePlatformChangeRequest {
        platform_id: PLATFORM.to_string(),
        effective_date: "2026-06-01".into(),
        roles_affected: vec![
            StaffRole::Receptionist.into(),
            StaffRole::CareNavigator.into(),
        ],
        retraining_required: true,
        summary: "Proxy access moves to a new menu".into(),
        patient_facing: true,
        services_affected: vec![DigitalService::NhsApp.into()],
        ..Default::default()
    }
}

fn announced() -> PlatformEvent {
    PlatformChangeAnnounced {
        change_id: CHANGE.to_string(),
        platform_id: PLATFORM.to_string(),
        effective_date: "2026-06-01".into(),
        retraining_required: true,
        ..Default::default()
    }
    .into()
}

fn material_request() -> PublishTrainingMaterialRequest {
    PublishTrainingMaterialRequest {
        platform_id: PLATFORM.to_string(),
        title: "Setting up proxy access: a guide for reception".into(),
        formats: vec![
            MaterialFormat::Guide.into(),
            MaterialFormat::BslVideo.into(),
        ],
        languages: vec!["en".into(), "en-GB".into(), "bfi".into()],
        url: "https://example.org/proxy-guide".into(),
        change_id: CHANGE.to_string(),
        audience_roles: vec![StaffRole::Receptionist.into()],
        ..Default::default()
    }
}

fn issue_request() -> ReportUsabilityIssueRequest {
    ReportUsabilityIssueRequest {
        platform_id: PLATFORM.to_string(),
        practice_code: "A81001".into(),
        category: UsabilityIssueCategory::Accessibility.into(),
        severity: IssueSeverity::High.into(),
        description: "Screen reader skips the repeat prescription button".into(),
        service: DigitalService::OnlinePrescriptions.into(),
        patient_groups_affected: vec![PatientGroup::SensoryImpairment.into()],
        ..Default::default()
    }
}

fn reported() -> IssueEvent {
    UsabilityIssueReported {
        issue_id: ISSUE.to_string(),
        platform_id: PLATFORM.to_string(),
        provider_code: "V-nhs-app".into(),
        practice_code: "A81001".into(),
        category: UsabilityIssueCategory::Accessibility.into(),
        severity: IssueSeverity::High.into(),
        description: "Screen reader skips a button".into(),
        ..Default::default()
    }
    .into()
}

fn acknowledged() -> IssueEvent {
    UsabilityIssueAcknowledged {
        issue_id: ISSUE.to_string(),
        ..Default::default()
    }
    .into()
}

fn resolved() -> IssueEvent {
    UsabilityIssueResolved {
        issue_id: ISSUE.to_string(),
        resolution: "Fixed in release 2.3".into(),
        resolution_kind: IssueResolutionKind::Fixed.into(),
    }
    .into()
}

fn acknowledge_request() -> AcknowledgeUsabilityIssueRequest {
    AcknowledgeUsabilityIssueRequest {
        issue_id: ISSUE.to_string(),
        note: "Reproduced; a fix is planned".into(),
        expected_resolution_date: "2026-07-01".into(),
        ..Default::default()
    }
}

fn resolve_request() -> ResolveUsabilityIssueRequest {
    ResolveUsabilityIssueRequest {
        issue_id: ISSUE.to_string(),
        resolution: "Fixed in release 2.3".into(),
        resolution_kind: IssueResolutionKind::Fixed.into(),
        ..Default::default()
    }
}

// ---- RegisterPlatform ----

#[test]
fn a_provider_registers_its_platform() {
    let events = when(register_request(), |c| {
        given(vec![]).register(PLATFORM, c, &nhs_app())
    })
    .expect("registered");
    assert_eq!(
        events,
        vec![PlatformEvent::from(PlatformRegistered {
            platform_id: PLATFORM.to_string(),
            provider_code: "V-nhs-app".into(),
            name: "NHS App".into(),
            category: PlatformCategory::PatientApp.into(),
            services: vec![
                DigitalService::NhsApp.into(),
                DigitalService::OnlinePrescriptions.into(),
            ],
            website_url: "https://www.nhs.uk/nhs-app/".into(),
            description: "The NHS's own app for patients in England".into(),
        })]
    );
    let platform = given(events);
    assert_eq!(
        platform.require_registered("platform_id", "x"),
        Ok(PLATFORM)
    );
    assert_eq!(platform.provider_code, "V-nhs-app");
}

#[test]
fn a_national_lead_registers_for_a_provider() {
    let national = ctx("X24", &[Role::NationalLead]);
    assert!(
        when(register_request(), |c| given(vec![])
            .register(PLATFORM, c, &national))
        .is_ok()
    );
}

#[test]
fn a_provider_registers_only_for_itself() {
    assert_eq!(
        refused(when(register_request(), |c| given(vec![]).register(
            PLATFORM,
            c,
            &other_app()
        ))),
        forbidden()
    );
    assert_eq!(
        refused(when(register_request(), |c| given(vec![]).register(
            PLATFORM,
            c,
            &practice("A81001")
        ))),
        forbidden()
    );
}

#[test]
fn the_provider_must_be_a_registered_provider() {
    let national = ctx("X24", &[Role::NationalLead]);
    let as_practice = RegisterPlatformRequest {
        provider_code: "A81001".into(),
        ..register_request()
    };
    assert_eq!(
        refused(when(as_practice, |c| given(vec![])
            .register(PLATFORM, c, &national))),
        invalid("provider_code")
    );
    let unknown = RegisterPlatformRequest {
        provider_code: "V-nobody".into(),
        ..register_request()
    };
    // Only a machine caller is allowed for an organisation outside the tree.
    let service = ctx("X24", &[Role::Service]);
    assert_eq!(
        refused(when(unknown, |c| given(vec![]).register(PLATFORM, c, &service))),
        ("NotFound", "provider_code".to_owned())
    );
}

#[test]
fn a_platform_is_registered_once() {
    assert_eq!(
        refused(when(register_request(), |c| given(vec![registered()])
            .register(PLATFORM, c, &nhs_app()))),
        ("AlreadyExists", "platform_id".to_owned())
    );
}

#[test]
fn registration_input_names_the_field() {
    let cases: Vec<(RegisterPlatformRequest, &str)> = vec![
        (
            RegisterPlatformRequest {
                provider_code: String::new(),
                ..register_request()
            },
            "provider_code",
        ),
        (
            RegisterPlatformRequest {
                name: " ".into(),
                ..register_request()
            },
            "name",
        ),
        (
            RegisterPlatformRequest {
                category: 0,
                ..register_request()
            },
            "category",
        ),
        (
            RegisterPlatformRequest {
                category: 99,
                ..register_request()
            },
            "category",
        ),
        (
            RegisterPlatformRequest {
                services: vec![DigitalService::NhsApp.into(), DigitalService::NhsApp.into()],
                ..register_request()
            },
            "services[1]",
        ),
        (
            RegisterPlatformRequest {
                website_url: "http://www.nhs.uk/nhs-app/".into(),
                ..register_request()
            },
            "website_url",
        ),
        (
            RegisterPlatformRequest {
                description: "questions to support@example.com".into(),
                ..register_request()
            },
            "description",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(
            refused(when(request, |c| given(vec![]).register(
                PLATFORM,
                c,
                &nhs_app()
            ))),
            invalid(field)
        );
    }
    let no_website = RegisterPlatformRequest {
        website_url: String::new(),
        description: String::new(),
        services: vec![],
        ..register_request()
    };
    assert!(
        when(no_website, |c| given(vec![]).register(
            PLATFORM,
            c,
            &nhs_app()
        ))
        .is_ok(),
        "website, description and services are optional"
    );
}

// ---- AnnouncePlatformChange ----

#[test]
fn the_provider_announces_a_change() {
    let events = when(change_request(), |c| {
        given(vec![registered()]).announce_change(CHANGE, c, &nhs_app())
    })
    .expect("announced");
    assert_eq!(
        events,
        vec![PlatformEvent::from(PlatformChangeAnnounced {
            change_id: CHANGE.to_string(),
            platform_id: PLATFORM.to_string(),
            effective_date: "2026-06-01".into(),
            roles_affected: vec![
                StaffRole::Receptionist.into(),
                StaffRole::CareNavigator.into()
            ],
            retraining_required: true,
            summary: "Proxy access moves to a new menu".into(),
            patient_facing: true,
            services_affected: vec![DigitalService::NhsApp.into()],
        })]
    );
    let platform = given(vec![registered(), events[0].clone()]);
    assert_eq!(
        platform.change(&CHANGE).map(|c| c.retraining_required),
        Some(true)
    );
}

#[test]
fn only_the_platforms_provider_announces() {
    assert_eq!(
        refused(when(change_request(), |c| given(vec![registered()])
            .announce_change(CHANGE, c, &other_app()))),
        forbidden()
    );
}

#[test]
fn a_change_needs_a_registered_platform() {
    assert_eq!(
        refused(when(change_request(), |c| given(vec![]).announce_change(
            CHANGE,
            c,
            &service()
        ))),
        ("NotFound", "platform_id".to_owned())
    );
    // Anyone else cannot tell a missing one from another provider's.
    assert_eq!(
        refused(when(change_request(), |c| given(vec![]).announce_change(
            CHANGE,
            c,
            &nhs_app()
        ))),
        forbidden()
    );
}

#[test]
fn a_change_is_announced_once() {
    assert_eq!(
        refused(when(change_request(), |c| given(vec![
            registered(),
            announced()
        ])
        .announce_change(CHANGE, c, &nhs_app()))),
        ("AlreadyExists", "change_id".to_owned())
    );
}

#[test]
fn change_input_names_the_field() {
    let cases: Vec<(AnnouncePlatformChangeRequest, &str)> = vec![
        (
            AnnouncePlatformChangeRequest {
                effective_date: "01/06/2026".into(),
                ..change_request()
            },
            "effective_date",
        ),
        (
            AnnouncePlatformChangeRequest {
                roles_affected: vec![],
                ..change_request()
            },
            "roles_affected",
        ),
        (
            AnnouncePlatformChangeRequest {
                roles_affected: vec![99],
                ..change_request()
            },
            "roles_affected[0]",
        ),
        (
            AnnouncePlatformChangeRequest {
                summary: String::new(),
                ..change_request()
            },
            "summary",
        ),
        (
            AnnouncePlatformChangeRequest {
                summary: "as reported for 943 476 5919".into(),
                ..change_request()
            },
            "summary",
        ),
        (
            AnnouncePlatformChangeRequest {
                services_affected: vec![0],
                ..change_request()
            },
            "services_affected[0]",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(
            refused(when(request, |c| given(vec![registered()])
                .announce_change(CHANGE, c, &nhs_app()))),
            invalid(field)
        );
    }
    let no_retraining = AnnouncePlatformChangeRequest {
        roles_affected: vec![],
        retraining_required: false,
        ..change_request()
    };
    assert!(
        when(no_retraining, |c| given(vec![registered()])
            .announce_change(CHANGE, c, &nhs_app()))
        .is_ok(),
        "roles are needed only when staff need retraining"
    );
}

// ---- PublishTrainingMaterial ----

#[test]
fn the_provider_publishes_material_for_a_change() {
    let events = when(material_request(), |c| {
        given(vec![registered(), announced()]).publish_material(MATERIAL, c, &nhs_app())
    })
    .expect("published");
    assert_eq!(
        events,
        vec![PlatformEvent::from(TrainingMaterialPublished {
            material_id: MATERIAL.to_string(),
            platform_id: PLATFORM.to_string(),
            title: "Setting up proxy access: a guide for reception".into(),
            formats: vec![
                MaterialFormat::Guide.into(),
                MaterialFormat::BslVideo.into()
            ],
            languages: vec!["en".into(), "en-GB".into(), "bfi".into()],
            url: "https://example.org/proxy-guide".into(),
            change_id: CHANGE.to_string(),
            audience_roles: vec![StaffRole::Receptionist.into()],
            for_patients: false,
        })]
    );
    let platform = given(vec![registered(), announced(), events[0].clone()]);
    assert_eq!(platform.material_ids, vec![MATERIAL]);
}

#[test]
fn material_for_patients_needs_no_staff_audience_nor_change() {
    let request = PublishTrainingMaterialRequest {
        change_id: String::new(),
        audience_roles: vec![],
        for_patients: true,
        formats: vec![MaterialFormat::EasyRead.into()],
        ..material_request()
    };
    assert!(
        when(request, |c| given(vec![registered()]).publish_material(
            MATERIAL,
            c,
            &nhs_app()
        ))
        .is_ok()
    );
}

#[test]
fn only_the_platforms_provider_publishes() {
    assert_eq!(
        refused(when(material_request(), |c| given(vec![
            registered(),
            announced()
        ])
        .publish_material(MATERIAL, c, &other_app()))),
        forbidden()
    );
    assert_eq!(
        refused(when(material_request(), |c| given(vec![])
            .publish_material(MATERIAL, c, &service()))),
        ("NotFound", "platform_id".to_owned())
    );
    // Anyone else cannot tell a missing one from another provider's.
    assert_eq!(
        refused(when(material_request(), |c| given(vec![])
            .publish_material(MATERIAL, c, &nhs_app()))),
        forbidden()
    );
}

#[test]
fn material_names_only_announced_changes_and_is_published_once() {
    assert_eq!(
        refused(when(material_request(), |c| given(vec![registered()])
            .publish_material(MATERIAL, c, &nhs_app()))),
        ("NotFound", "change_id".to_owned())
    );
    let published = when(material_request(), |c| {
        given(vec![registered(), announced()]).publish_material(MATERIAL, c, &nhs_app())
    })
    .expect("published");
    let mut history = vec![registered(), announced()];
    history.extend(published);
    assert_eq!(
        refused(when(material_request(), |c| given(history)
            .publish_material(MATERIAL, c, &nhs_app()))),
        ("AlreadyExists", "material_id".to_owned())
    );
}

#[test]
fn material_input_names_the_field() {
    let long_url = format!("https://example.org/{}", "a".repeat(MAX_URL_CHARS));
    let cases: Vec<(PublishTrainingMaterialRequest, &str)> = vec![
        (
            PublishTrainingMaterialRequest {
                title: "for jo@example.org".into(),
                ..material_request()
            },
            "title",
        ),
        (
            PublishTrainingMaterialRequest {
                formats: vec![],
                ..material_request()
            },
            "formats",
        ),
        (
            PublishTrainingMaterialRequest {
                languages: vec![],
                ..material_request()
            },
            "languages",
        ),
        (
            PublishTrainingMaterialRequest {
                languages: vec!["en".into(), "English".into()],
                ..material_request()
            },
            "languages[1]",
        ),
        (
            PublishTrainingMaterialRequest {
                languages: vec!["pl".into(), "pl".into()],
                ..material_request()
            },
            "languages[1]",
        ),
        (
            PublishTrainingMaterialRequest {
                url: "http://example.org/proxy-guide".into(),
                ..material_request()
            },
            "url",
        ),
        (
            PublishTrainingMaterialRequest {
                url: "https:///no-host".into(),
                ..material_request()
            },
            "url",
        ),
        (
            PublishTrainingMaterialRequest {
                url: long_url,
                ..material_request()
            },
            "url",
        ),
        (
            PublishTrainingMaterialRequest {
                url: String::new(),
                ..material_request()
            },
            "url",
        ),
        (
            PublishTrainingMaterialRequest {
                change_id: "not-a-uuid".into(),
                ..material_request()
            },
            "change_id",
        ),
        (
            PublishTrainingMaterialRequest {
                audience_roles: vec![],
                for_patients: false,
                ..material_request()
            },
            "audience_roles",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(
            refused(when(request, |c| given(vec![registered(), announced()])
                .publish_material(MATERIAL, c, &nhs_app()))),
            invalid(field)
        );
    }
}

#[test]
fn language_codes_look_like_bcp_47() {
    for tag in ["en", "pl", "ur", "bfi", "en-GB", "zh-Hant-HK", "sr-Latn"] {
        assert!(languages("languages", &[tag.into()]).is_ok(), "{tag}");
    }
    for tag in [
        "",
        "e",
        "EN",
        "english",
        "en_GB",
        "en-",
        "en-G",
        "toolongsubtag-x",
    ] {
        assert!(languages("languages", &[tag.into()]).is_err(), "{tag}");
    }
}

// ---- ReportUsabilityIssue ----

#[test]
fn a_practice_reports_an_issue_for_the_platforms_provider() {
    let platform = given(vec![registered()]);
    let events = when(issue_request(), |c| {
        given_issue(vec![]).report(ISSUE, c, &platform, &practice("A81001"))
    })
    .expect("reported");
    assert_eq!(
        events,
        vec![IssueEvent::from(UsabilityIssueReported {
            issue_id: ISSUE.to_string(),
            platform_id: PLATFORM.to_string(),
            provider_code: "V-nhs-app".into(),
            practice_code: "A81001".into(),
            category: UsabilityIssueCategory::Accessibility.into(),
            severity: IssueSeverity::High.into(),
            description: "Screen reader skips the repeat prescription button".into(),
            service: DigitalService::OnlinePrescriptions.into(),
            patient_groups_affected: vec![PatientGroup::SensoryImpairment.into()],
        })]
    );
    let issue = given_issue(events);
    assert_eq!(issue.status, IssueStatus::Reported);
    assert_eq!(issue.provider_code, "V-nhs-app");
    // Practice staff may report too, and the service is optional.
    let staff = ctx("A81001", &[Role::PracticeStaff]);
    let no_service = ReportUsabilityIssueRequest {
        service: 0,
        ..issue_request()
    };
    assert!(
        when(no_service, |c| given_issue(vec![])
            .report(ISSUE, c, &platform, &staff))
        .is_ok()
    );
}

#[test]
fn a_practice_reports_only_for_itself() {
    let platform = given(vec![registered()]);
    assert_eq!(
        refused(when(issue_request(), |c| given_issue(vec![]).report(
            ISSUE,
            c,
            &platform,
            &practice("D84001")
        ))),
        forbidden()
    );
    assert_eq!(
        refused(when(issue_request(), |c| given_issue(vec![]).report(
            ISSUE,
            c,
            &platform,
            &nhs_app()
        ))),
        forbidden(),
        "providers do not report issues against themselves"
    );
}

#[test]
fn the_reporter_must_be_a_practice() {
    let service = ctx("X24", &[Role::Service]);
    let as_provider = ReportUsabilityIssueRequest {
        practice_code: "V-other-app".into(),
        ..issue_request()
    };
    assert_eq!(
        refused(when(as_provider, |c| given_issue(vec![]).report(
            ISSUE,
            c,
            &given(vec![registered()]),
            &service
        ))),
        invalid("practice_code")
    );
}

#[test]
fn an_issue_needs_a_registered_platform() {
    assert_eq!(
        refused(when(issue_request(), |c| given_issue(vec![]).report(
            ISSUE,
            c,
            &given(vec![]),
            &practice("A81001")
        ))),
        ("NotFound", "platform_id".to_owned())
    );
}

#[test]
fn an_issue_is_reported_once() {
    assert_eq!(
        refused(when(issue_request(), |c| given_issue(vec![reported()])
            .report(
                ISSUE,
                c,
                &given(vec![registered()]),
                &practice("A81001")
            ))),
        ("AlreadyExists", "issue_id".to_owned())
    );
}

#[test]
fn issue_input_names_the_field() {
    let cases: Vec<(ReportUsabilityIssueRequest, &str)> = vec![
        (
            ReportUsabilityIssueRequest {
                platform_id: "nope".into(),
                ..issue_request()
            },
            "platform_id",
        ),
        (
            ReportUsabilityIssueRequest {
                practice_code: String::new(),
                ..issue_request()
            },
            "practice_code",
        ),
        (
            ReportUsabilityIssueRequest {
                category: 0,
                ..issue_request()
            },
            "category",
        ),
        (
            ReportUsabilityIssueRequest {
                severity: 99,
                ..issue_request()
            },
            "severity",
        ),
        (
            ReportUsabilityIssueRequest {
                description: String::new(),
                ..issue_request()
            },
            "description",
        ),
        (
            ReportUsabilityIssueRequest {
                description: "Mrs B (b.smith@example.com) could not log in".into(),
                ..issue_request()
            },
            "description",
        ),
        (
            ReportUsabilityIssueRequest {
                service: 42,
                ..issue_request()
            },
            "service",
        ),
        (
            ReportUsabilityIssueRequest {
                patient_groups_affected: vec![
                    PatientGroup::OlderPeople.into(),
                    PatientGroup::OlderPeople.into(),
                ],
                ..issue_request()
            },
            "patient_groups_affected[1]",
        ),
    ];
    let platform = given(vec![registered()]);
    for (request, field) in cases {
        assert_eq!(
            refused(when(request, |c| given_issue(vec![]).report(
                ISSUE,
                c,
                &platform,
                &practice("A81001")
            ))),
            invalid(field)
        );
    }
}

// ---- AcknowledgeUsabilityIssue ----

#[test]
fn the_provider_acknowledges_an_issue() {
    let events = when(acknowledge_request(), |c| {
        given_issue(vec![reported()]).acknowledge(c, &nhs_app())
    })
    .expect("acknowledged");
    assert_eq!(
        events,
        vec![IssueEvent::from(UsabilityIssueAcknowledged {
            issue_id: ISSUE.to_string(),
            note: "Reproduced; a fix is planned".into(),
            expected_resolution_date: "2026-07-01".into(),
        })]
    );
    assert_eq!(
        given_issue(vec![reported(), events[0].clone()]).status,
        IssueStatus::Acknowledged
    );
}

#[test]
fn only_the_platforms_provider_acknowledges() {
    let issue = given_issue(vec![reported()]);
    assert_eq!(
        refused(when(acknowledge_request(), |c| issue
            .acknowledge(c, &other_app()))),
        forbidden()
    );
    assert_eq!(
        refused(when(acknowledge_request(), |c| issue
            .acknowledge(c, &practice("A81001")))),
        forbidden(),
        "not even the reporting practice"
    );
}

#[test]
fn acknowledging_needs_a_reported_issue() {
    assert_eq!(
        refused(when(acknowledge_request(), |c| given_issue(vec![])
            .acknowledge(c, &service()))),
        ("NotFound", "issue_id".to_owned())
    );
    // Anyone else cannot tell a missing one from another provider's.
    assert_eq!(
        refused(when(acknowledge_request(), |c| given_issue(vec![])
            .acknowledge(c, &nhs_app()))),
        forbidden()
    );
    for history in [
        vec![reported(), acknowledged()],
        vec![reported(), resolved()],
        vec![reported(), acknowledged(), resolved()],
    ] {
        assert_eq!(
            refused(when(acknowledge_request(), |c| given_issue(history)
                .acknowledge(c, &nhs_app()))),
            ("Precondition", "issue_id".to_owned())
        );
    }
}

#[test]
fn acknowledgement_input_names_the_field() {
    let issue = given_issue(vec![reported()]);
    for (request, field) in [
        (
            AcknowledgeUsabilityIssueRequest {
                note: "rang 07700 900123".into(),
                ..acknowledge_request()
            },
            "note",
        ),
        (
            AcknowledgeUsabilityIssueRequest {
                expected_resolution_date: "July".into(),
                ..acknowledge_request()
            },
            "expected_resolution_date",
        ),
        (
            AcknowledgeUsabilityIssueRequest {
                expected_resolution_date: "2026-04-30".into(),
                ..acknowledge_request()
            },
            "expected_resolution_date",
        ),
    ] {
        assert_eq!(
            refused(when(request, |c| issue.acknowledge(c, &nhs_app()))),
            invalid(field)
        );
    }
    let bare = AcknowledgeUsabilityIssueRequest {
        issue_id: ISSUE.to_string(),
        ..Default::default()
    };
    assert!(
        when(bare, |c| issue.acknowledge(c, &nhs_app())).is_ok(),
        "note and date are optional"
    );
}

// ---- ResolveUsabilityIssue ----

#[test]
fn the_provider_resolves_a_reported_or_acknowledged_issue() {
    for history in [vec![reported()], vec![reported(), acknowledged()]] {
        let events = when(resolve_request(), |c| {
            given_issue(history.clone()).resolve(c, &nhs_app())
        })
        .expect("resolved");
        assert_eq!(events, vec![resolved()]);
        let mut after = history;
        after.extend(events);
        let issue = given_issue(after);
        assert_eq!(issue.status, IssueStatus::Resolved);
        assert_eq!(issue.resolution_kind, IssueResolutionKind::Fixed);
    }
}

#[test]
fn only_the_platforms_provider_resolves() {
    assert_eq!(
        refused(when(resolve_request(), |c| given_issue(vec![reported()])
            .resolve(c, &other_app()))),
        forbidden()
    );
}

#[test]
fn resolving_needs_an_open_issue() {
    assert_eq!(
        refused(when(resolve_request(), |c| given_issue(vec![])
            .resolve(c, &service()))),
        ("NotFound", "issue_id".to_owned())
    );
    // Anyone else cannot tell a missing one from another provider's.
    assert_eq!(
        refused(when(resolve_request(), |c| given_issue(vec![])
            .resolve(c, &nhs_app()))),
        forbidden()
    );
    assert_eq!(
        refused(when(resolve_request(), |c| given_issue(vec![
            reported(),
            resolved()
        ])
        .resolve(c, &nhs_app()))),
        ("Precondition", "issue_id".to_owned())
    );
}

#[test]
fn resolution_input_names_the_field() {
    let issue = given_issue(vec![reported()]);
    for (request, field) in [
        (
            ResolveUsabilityIssueRequest {
                resolution: "  ".into(),
                ..resolve_request()
            },
            "resolution",
        ),
        (
            ResolveUsabilityIssueRequest {
                resolution: "told NHS no 9434765919".into(),
                ..resolve_request()
            },
            "resolution",
        ),
        (
            ResolveUsabilityIssueRequest {
                resolution_kind: 77,
                ..resolve_request()
            },
            "resolution_kind",
        ),
    ] {
        assert_eq!(
            refused(when(request, |c| issue.resolve(c, &nhs_app()))),
            invalid(field)
        );
    }
    let unspecified = ResolveUsabilityIssueRequest {
        resolution_kind: 0,
        ..resolve_request()
    };
    assert!(
        when(unspecified, |c| issue.resolve(c, &nhs_app())).is_ok(),
        "the kind is optional"
    );
}

#[test]
fn a_service_caller_answers_any_issue() {
    let service = ctx("X24", &[Role::Service]);
    assert!(
        when(acknowledge_request(), |c| given_issue(vec![reported()])
            .acknowledge(c, &service))
        .is_ok()
    );
}
