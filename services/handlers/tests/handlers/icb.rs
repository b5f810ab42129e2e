//! IcbService over real gRPC: the organisation tree, duties, responsibility, programmes.

use crate::support::{Harness, assert_denied, assert_rejected, reception_programme, sent_twice};
use auth::Role;
use proto::v1 as pb;
use tonic::Code;

type IcbClient = pb::icb_service_client::IcbServiceClient<crate::support::Authed>;

fn duty_request(title: &str) -> pb::DefineDutyRequest {
    pb::DefineDutyRequest {
        title: title.into(),
        description: "Help patients register for and use the NHS App".into(),
        required_levels: vec![pb::Level::Local.into(), pb::Level::Regional.into()],
        ..Default::default()
    }
}

/// A national lead and the id of the duty it has defined with `title`.
async fn national_duty(h: &Harness, title: &str) -> (IcbClient, String) {
    let mut national = h.icb("X24", &[Role::NationalLead]);
    let duty = national
        .define_duty(duty_request(title))
        .await
        .expect("duty")
        .into_inner()
        .aggregate_id;
    (national, duty)
}

#[tokio::test]
async fn the_tree_is_built_and_guarded() {
    let h = Harness::with_tree().await;
    let head = h.head().await;
    // A commissioner registers a practice within their ICB.
    let mut icb = h.icb("QE1", &[Role::IcbCommissioner]);
    crate::support::register(
        &mut icb,
        "A81003",
        pb::OrganisationKind::Practice,
        "Practice Four",
        "U00001",
    )
    .await;
    // ... but not within another ICB; and bad input names the field and stores nothing.
    let practice = |code: &str, name: &str, parent: &str| pb::RegisterOrganisationRequest {
        code: code.into(),
        kind: pb::OrganisationKind::Practice.into(),
        name: name.into(),
        parent_code: parent.into(),
        ..Default::default()
    };
    assert_denied(
        icb.register_organisation(practice("B82002", "Elsewhere", "U00002"))
            .await,
        "outside the area",
    );
    for (code, name, parent, refusal, field) in [
        ("A8100", "Bad", "U00001", Code::InvalidArgument, "code"),
        ("A81001", "Again", "U00001", Code::AlreadyExists, "code"),
        (
            "A81009",
            "Under a practice",
            "A81001",
            Code::InvalidArgument,
            "parent_code",
        ),
    ] {
        assert_rejected(
            icb.register_organisation(practice(code, name, parent))
                .await,
            refusal,
            field,
        );
    }
    assert_eq!(
        h.head().await,
        head + 1,
        "only the allowed registration was recorded"
    );
}

#[tokio::test]
async fn a_merger_moves_the_area() {
    let h = Harness::with_tree().await;
    let mut national = h.icb("X24", &[Role::NationalLead]);
    national
        .merge_organisations(pb::MergeOrganisationsRequest {
            predecessor_codes: vec!["QWO".into()],
            successor_code: "QE1".into(),
            effective_date: "2026-04-01".into(),
            ..Default::default()
        })
        .await
        .expect("merge");
    // After the merger QE1's commissioners act for the old QWO practices.
    let mut qe1 = h.icb("QE1", &[Role::IcbCommissioner]);
    crate::support::register(
        &mut qe1,
        "B82002",
        pb::OrganisationKind::Practice,
        "Now ours",
        "U00002",
    )
    .await;
}

#[tokio::test]
async fn responsibility_is_proposed_accepted_and_re_sends_are_harmless() {
    let h = Harness::with_tree().await;
    let (_, duty) = national_duty(&h, "NHS App sign-up support").await;
    let mut icb = h.icb("QE1", &[Role::IcbCommissioner]);
    let propose = pb::ProposeResponsibilityRequest {
        request_id: "propose-1".into(),
        duty_id: duty,
        area_code: "U00001".into(),
        level: pb::Level::Local.into(),
        assignee_code: "A81001".into(),
        role: pb::RaciRole::Responsible.into(),
        note: "Reception leads this".into(),
        ..Default::default()
    };
    let first = sent_twice!(h, icb.propose_responsibility(propose));

    // Only the assignee commits itself.
    let accept = pb::AcceptResponsibilityRequest {
        assignment_id: first.aggregate_id.clone(),
        ..Default::default()
    };
    assert_denied(
        icb.accept_responsibility(accept.clone()).await,
        "not the assignee",
    );
    let mut practice = h.icb("A81001", &[Role::PracticeManager]);
    practice
        .accept_responsibility(accept.clone())
        .await
        .expect("accepted by the assignee");
    assert_rejected(
        practice.accept_responsibility(accept).await,
        Code::FailedPrecondition,
        "assignment_id",
    );

    // Free text that identifies a patient is refused, naming the field.
    let end = pb::EndResponsibilityRequest {
        assignment_id: first.aggregate_id.clone(),
        reason: "handed over, call 07700 900123".into(),
        ..Default::default()
    };
    assert_rejected(
        practice.end_responsibility(end).await,
        Code::InvalidArgument,
        "reason",
    );
}

#[tokio::test]
async fn unknown_and_retired_duties_are_refused() {
    let h = Harness::with_tree().await;
    let (mut national, duty) = national_duty(&h, "Proxy access help").await;
    let mut icb = h.icb("QE1", &[Role::IcbCommissioner]);
    let propose = |duty_id: &str| pb::ProposeResponsibilityRequest {
        duty_id: duty_id.into(),
        area_code: "QE1".into(),
        level: pb::Level::Regional.into(),
        assignee_code: "QE1".into(),
        role: pb::RaciRole::Accountable.into(),
        ..Default::default()
    };
    assert_rejected(
        icb.propose_responsibility(propose(&uuid::Uuid::new_v4().to_string()))
            .await,
        Code::NotFound,
        "duty_id",
    );
    national
        .retire_duty(pb::RetireDutyRequest {
            duty_id: duty.clone(),
            reason: "merged into another".into(),
            ..Default::default()
        })
        .await
        .expect("retire");
    assert_rejected(
        icb.propose_responsibility(propose(&duty)).await,
        Code::FailedPrecondition,
        "duty_id",
    );
    // Only national leads define duties.
    assert_denied(icb.define_duty(duty_request("x")).await, "not national");
}

#[tokio::test]
async fn programmes_and_targets() {
    let h = Harness::with_tree().await;
    let mut national = h.icb("X24", &[Role::NationalLead]);
    let launch = reception_programme();
    let programme = national
        .launch_training_programme(launch.clone())
        .await
        .expect("launch")
        .into_inner();
    assert_rejected(
        national
            .launch_training_programme(pb::LaunchTrainingProgrammeRequest {
                target_percent: 120,
                ..launch.clone()
            })
            .await,
        Code::InvalidArgument,
        "target_percent",
    );
    assert_rejected(
        national
            .launch_training_programme(pb::LaunchTrainingProgrammeRequest {
                deadline: "2001-01-01".into(),
                ..launch
            })
            .await,
        Code::InvalidArgument,
        "deadline",
    );
    let mut icb = h.icb("QE1", &[Role::IcbCommissioner]);
    let target = pb::SetRolloutTargetRequest {
        programme_id: programme.aggregate_id.clone(),
        area_code: "QE1".into(),
        target_percent: 90,
        deadline: "2099-01-31".into(),
        ..Default::default()
    };
    icb.set_rollout_target(target.clone())
        .await
        .expect("target within the area");
    assert_denied(
        icb.set_rollout_target(pb::SetRolloutTargetRequest {
            area_code: "QWO".into(),
            ..target
        })
        .await,
        "outside",
    );
    let events = h.events().await;
    let last = events.last().expect("events");
    assert_eq!(last.event_type, "difacto.v1.RolloutTargetSet");
    assert_eq!(
        last.metadata.get("actor").map(String::as_str),
        Some("user@QE1")
    );
    assert_eq!(
        last.metadata.get("organisation").map(String::as_str),
        Some("QE1")
    );
}
