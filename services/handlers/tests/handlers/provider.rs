//! ProviderService over real gRPC: platforms, announced changes, training material, and
//! the usability issues practices report and providers answer.

use crate::support::{Harness, assert_denied, assert_rejected, sent_twice};
use auth::Role;
use domain::EventSet;
use domain::platform::{IssueEvent, PlatformEvent};
use proto::v1 as pb;
use tonic::Code;
use uuid::Uuid;

type ProviderClient = pb::provider_service_client::ProviderServiceClient<crate::support::Authed>;

fn nhs_app(h: &Harness) -> ProviderClient {
    h.provider("V-nhs-app", &[Role::ProviderAdmin])
}

fn practice_a(h: &Harness) -> ProviderClient {
    h.provider("A81001", &[Role::PracticeManager])
}

fn register_request() -> pb::RegisterPlatformRequest {
    pb::RegisterPlatformRequest {
        provider_code: "V-nhs-app".into(),
        name: "NHS App".into(),
        category: pb::PlatformCategory::PatientApp.into(),
        services: vec![
            pb::DigitalService::NhsApp.into(),
            pb::DigitalService::OnlineAppointments.into(),
        ],
        website_url: "https://www.nhs.uk/nhs-app/".into(),
        description: "The NHS's own app for patients in England".into(),
        ..Default::default()
    }
}

fn change_request(platform_id: &str) -> pb::AnnouncePlatformChangeRequest {
    pb::AnnouncePlatformChangeRequest {
        platform_id: platform_id.into(),
        effective_date: "2099-06-01".into(),
        roles_affected: vec![
            pb::StaffRole::Receptionist.into(),
            pb::StaffRole::CareNavigator.into(),
        ],
        retraining_required: true,
        summary: "Proxy access moves to a new menu".into(),
        patient_facing: true,
        services_affected: vec![pb::DigitalService::NhsApp.into()],
        ..Default::default()
    }
}

fn material_request(platform_id: &str, change_id: &str) -> pb::PublishTrainingMaterialRequest {
    pb::PublishTrainingMaterialRequest {
        platform_id: platform_id.into(),
        title: "Setting up proxy access: a guide for reception".into(),
        formats: vec![
            pb::MaterialFormat::Guide.into(),
            pb::MaterialFormat::BslVideo.into(),
        ],
        languages: vec!["en".into(), "pl".into(), "bfi".into()],
        url: "https://example.org/proxy-access-guide".into(),
        change_id: change_id.into(),
        audience_roles: vec![pb::StaffRole::Receptionist.into()],
        ..Default::default()
    }
}

fn issue_request(platform_id: &str, practice_code: &str) -> pb::ReportUsabilityIssueRequest {
    pb::ReportUsabilityIssueRequest {
        platform_id: platform_id.into(),
        practice_code: practice_code.into(),
        category: pb::UsabilityIssueCategory::ProxyAccess.into(),
        severity: pb::IssueSeverity::High.into(),
        description: "Carers cannot find where to switch to the person they help".into(),
        service: pb::DigitalService::NhsApp.into(),
        patient_groups_affected: vec![pb::PatientGroup::OlderPeople.into()],
        ..Default::default()
    }
}

/// V-nhs-app registers a platform; its id.
async fn registered_platform(h: &Harness) -> String {
    nhs_app(h)
        .register_platform(register_request())
        .await
        .expect("register")
        .into_inner()
        .aggregate_id
}

/// A81001 reports an issue on `platform_id`; its id.
async fn reported_issue(h: &Harness, platform_id: &str) -> String {
    practice_a(h)
        .report_usability_issue(issue_request(platform_id, "A81001"))
        .await
        .expect("report")
        .into_inner()
        .aggregate_id
}

/// The stored events of `stream`, in order.
async fn stream_events(h: &Harness, stream: &str) -> Vec<eventlog::RecordedEvent> {
    h.events()
        .await
        .into_iter()
        .filter(|e| e.stream == stream)
        .collect()
}

fn meta<'a>(event: &'a eventlog::RecordedEvent, key: &str) -> Option<&'a str> {
    event.metadata.get(key).map(String::as_str)
}

#[tokio::test]
async fn a_platform_from_registration_to_a_resolved_issue() {
    let h = Harness::with_tree().await;
    let mut provider = nhs_app(&h);

    // The provider registers its platform, announces a change, and publishes material.
    let platform = provider
        .register_platform(register_request())
        .await
        .expect("register")
        .into_inner();
    let platform_id = platform.aggregate_id.clone();
    assert!(Uuid::try_parse(&platform_id).is_ok(), "{platform_id}");
    let change = provider
        .announce_platform_change(change_request(&platform_id))
        .await
        .expect("announce")
        .into_inner();
    assert_eq!(change.aggregate_id, platform_id);
    let change_id = change.created_id.clone();
    assert!(
        Uuid::try_parse(&change_id).is_ok(),
        "created_id {change_id:?}"
    );
    let material = provider
        .publish_training_material(material_request(&platform_id, &change_id))
        .await
        .expect("publish")
        .into_inner();
    assert!(Uuid::try_parse(&material.created_id).is_ok());
    assert_ne!(material.created_id, change_id);
    assert_eq!(material.stream_version, 2);

    let stored = stream_events(&h, &format!("platform-{platform_id}")).await;
    let types: Vec<&str> = stored.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "difacto.v1.PlatformRegistered",
            "difacto.v1.PlatformChangeAnnounced",
            "difacto.v1.TrainingMaterialPublished",
        ]
    );
    for event in &stored {
        assert_eq!(meta(event, "actor"), Some("user@V-nhs-app"));
        assert_eq!(meta(event, "organisation"), Some("V-nhs-app"));
    }
    match PlatformEvent::decode(&stored[2].event_type, &stored[2].payload) {
        Ok(Some(PlatformEvent::TrainingMaterialPublished(published))) => {
            assert_eq!(published.material_id, material.created_id);
            assert_eq!(published.change_id, change_id);
            assert_eq!(published.languages, ["en", "pl", "bfi"]);
        }
        other => panic!("{other:?}"),
    }

    // A practice reports a problem; the issue names the platform's provider.
    let issue = practice_a(&h)
        .report_usability_issue(issue_request(&platform_id, "A81001"))
        .await
        .expect("report")
        .into_inner();
    let issue_id = issue.aggregate_id.clone();
    // The provider answers it.
    provider
        .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
            issue_id: issue_id.clone(),
            note: "Reproduced; a fix is planned".into(),
            expected_resolution_date: "2099-07-01".into(),
            ..Default::default()
        })
        .await
        .expect("acknowledge");
    let resolved = provider
        .resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
            issue_id: issue_id.clone(),
            resolution: "A 'switch profile' button now sits on the home screen".into(),
            resolution_kind: pb::IssueResolutionKind::Fixed.into(),
            ..Default::default()
        })
        .await
        .expect("resolve")
        .into_inner();
    assert_eq!(resolved.stream_version, 2);

    let stored = stream_events(&h, &format!("issue-{issue_id}")).await;
    let types: Vec<&str> = stored.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "difacto.v1.UsabilityIssueReported",
            "difacto.v1.UsabilityIssueAcknowledged",
            "difacto.v1.UsabilityIssueResolved",
        ]
    );
    assert_eq!(meta(&stored[0], "actor"), Some("user@A81001"));
    assert_eq!(meta(&stored[0], "organisation"), Some("A81001"));
    assert_eq!(meta(&stored[2], "actor"), Some("user@V-nhs-app"));
    assert_eq!(meta(&stored[2], "organisation"), Some("V-nhs-app"));
    match IssueEvent::decode(&stored[0].event_type, &stored[0].payload) {
        Ok(Some(IssueEvent::UsabilityIssueReported(reported))) => {
            assert_eq!(reported.platform_id, platform_id);
            assert_eq!(reported.provider_code, "V-nhs-app");
            assert_eq!(reported.practice_code, "A81001");
        }
        other => panic!("{other:?}"),
    }

    // A closed issue stays closed.
    assert_rejected(
        provider
            .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
                issue_id: issue_id.clone(),
                ..Default::default()
            })
            .await,
        Code::FailedPrecondition,
        "issue_id",
    );
    assert_rejected(
        provider
            .resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
                issue_id,
                resolution: "again".into(),
                ..Default::default()
            })
            .await,
        Code::FailedPrecondition,
        "issue_id",
    );
}

#[tokio::test]
async fn a_provider_answers_only_issues_on_its_own_platforms() {
    let h = Harness::with_tree().await;
    let platform_id = registered_platform(&h).await;
    let issue_id = reported_issue(&h, &platform_id).await;
    let head = h.head().await;

    let mut other = h.provider("V-other-app", &[Role::ProviderAdmin]);
    assert_denied(
        other
            .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
                issue_id: issue_id.clone(),
                note: "Looking into it".into(),
                ..Default::default()
            })
            .await,
        "not its platform",
    );
    assert_denied(
        other
            .resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
                issue_id: issue_id.clone(),
                resolution: "Closed".into(),
                ..Default::default()
            })
            .await,
        "not its platform",
    );
    // Nor does it speak for the platform in any other way.
    assert_denied(
        other
            .announce_platform_change(change_request(&platform_id))
            .await,
        "not its platform",
    );
    assert_denied(
        other
            .publish_training_material(material_request(&platform_id, ""))
            .await,
        "not its platform",
    );
    assert_denied(
        other.register_platform(register_request()).await,
        "registers only for itself",
    );
    // The reporting practice does not answer its own issue either.
    assert_denied(
        practice_a(&h)
            .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
                issue_id,
                ..Default::default()
            })
            .await,
        "not the provider",
    );
    assert_eq!(h.head().await, head, "denials store nothing");
}

#[tokio::test]
async fn a_practice_reports_only_for_itself() {
    let h = Harness::with_tree().await;
    let platform_id = registered_platform(&h).await;
    let head = h.head().await;
    let mut practice_b = h.provider("B82001", &[Role::PracticeManager]);
    assert_denied(
        practice_b
            .report_usability_issue(issue_request(&platform_id, "A81001"))
            .await,
        "on behalf of another practice",
    );
    assert_eq!(h.head().await, head, "nothing stored");
    // For itself, practice staff may report.
    let mut staff_b = h.provider("B82001", &[Role::PracticeStaff]);
    staff_b
        .report_usability_issue(issue_request(&platform_id, "B82001"))
        .await
        .expect("its own report");
    assert_eq!(h.head().await, head + 1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_stores_nothing() {
    let h = Harness::with_tree().await;
    let platform_id = registered_platform(&h).await;
    let head = h.head().await;
    let mut provider = nhs_app(&h);
    let mut practice = practice_a(&h);

    assert_rejected(
        provider
            .publish_training_material(pb::PublishTrainingMaterialRequest {
                url: "http://example.org/proxy-access-guide".into(),
                ..material_request(&platform_id, "")
            })
            .await,
        Code::InvalidArgument,
        "url",
    );
    assert_rejected(
        provider
            .publish_training_material(pb::PublishTrainingMaterialRequest {
                languages: vec!["English".into()],
                ..material_request(&platform_id, "")
            })
            .await,
        Code::InvalidArgument,
        "languages[0]",
    );
    assert_rejected(
        provider
            .publish_training_material(material_request(&platform_id, &Uuid::new_v4().to_string()))
            .await,
        Code::NotFound,
        "change_id",
    );
    assert_rejected(
        provider
            .register_platform(pb::RegisterPlatformRequest {
                website_url: "http://www.nhs.uk/nhs-app/".into(),
                ..register_request()
            })
            .await,
        Code::InvalidArgument,
        "website_url",
    );
    assert_rejected(
        provider
            .register_platform(pb::RegisterPlatformRequest {
                platform_id: platform_id.clone(),
                ..register_request()
            })
            .await,
        Code::AlreadyExists,
        "platform_id",
    );
    assert_rejected(
        provider
            .announce_platform_change(pb::AnnouncePlatformChangeRequest {
                effective_date: "next month".into(),
                ..change_request(&platform_id)
            })
            .await,
        Code::InvalidArgument,
        "effective_date",
    );
    let unknown = Uuid::new_v4().to_string();
    assert_rejected(
        provider
            .announce_platform_change(change_request(&unknown))
            .await,
        // Judged like another provider's platform: only a service learns it is missing.
        Code::PermissionDenied,
        "user@V-nhs-app (V-nhs-app) may not",
    );
    assert_rejected(
        practice
            .report_usability_issue(issue_request(&unknown, "A81001"))
            .await,
        Code::NotFound,
        "platform_id",
    );
    assert_rejected(
        practice
            .report_usability_issue(issue_request("platform-one", "A81001"))
            .await,
        Code::InvalidArgument,
        "platform_id",
    );
    assert_rejected(
        practice
            .report_usability_issue(pb::ReportUsabilityIssueRequest {
                description: "Mrs B (b.smith@example.com) could not sign in".into(),
                ..issue_request(&platform_id, "A81001")
            })
            .await,
        Code::InvalidArgument,
        "description",
    );
    assert_rejected(
        practice
            .report_usability_issue(pb::ReportUsabilityIssueRequest {
                severity: pb::IssueSeverity::Unspecified.into(),
                ..issue_request(&platform_id, "A81001")
            })
            .await,
        Code::InvalidArgument,
        "severity",
    );
    assert_rejected(
        provider
            .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
                issue_id: unknown,
                ..Default::default()
            })
            .await,
        Code::PermissionDenied,
        "user@V-nhs-app (V-nhs-app) may not",
    );
    assert_rejected(
        provider
            .resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
                issue_id: "42".into(),
                resolution: "Fixed".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "issue_id",
    );
    assert_eq!(h.head().await, head, "nothing stored");
}

#[tokio::test]
async fn re_sent_requests_return_the_original_result_and_store_nothing() {
    let h = Harness::with_tree().await;
    let mut provider = nhs_app(&h);
    let register = pb::RegisterPlatformRequest {
        request_id: "register-1".into(),
        ..register_request()
    };
    let first = sent_twice!(h, provider.register_platform(register));

    // A change whose id the service chose: the re-send names the same change.
    let announce = pb::AnnouncePlatformChangeRequest {
        request_id: "announce-1".into(),
        ..change_request(&first.aggregate_id)
    };
    let first_change = sent_twice!(h, provider.announce_platform_change(announce));
    assert!(!first_change.created_id.is_empty());

    let report = pb::ReportUsabilityIssueRequest {
        request_id: "report-1".into(),
        ..issue_request(&first.aggregate_id, "A81001")
    };
    let mut practice = practice_a(&h);
    let first_issue = sent_twice!(h, practice.report_usability_issue(report));

    // Without the request id the re-send would be a second acknowledgement, refused.
    let acknowledge = pb::AcknowledgeUsabilityIssueRequest {
        request_id: "ack-1".into(),
        issue_id: first_issue.aggregate_id.clone(),
        ..Default::default()
    };
    sent_twice!(h, provider.acknowledge_usability_issue(acknowledge));
}
