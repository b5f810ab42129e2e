//! The log and the four domain services as separate processes over loopback: services
//! reach the log through `--log grpc://…`, and two partner-service processes race on the
//! same session, so the cross-process expected-version check is what keeps the capacity.

mod support;

use auth::Role;
use proto::v1 as pb;
use support::Server;
use support::jetstream::{IcbClient, bearer, drop_in};
use tonic::Code;
use tonic::transport::Channel;

struct Services {
    log: Server,
    icb: Server,
    practice: Server,
    partners: [Server; 2],
    provider: Server,
}

fn start_all(dir: &std::path::Path) -> Services {
    let log = Server::start(dir, &[]);
    let log_url = format!("grpc://{}", log.grpc_addr);
    let service = |name: &str| {
        Server::launch(
            &[
                "serve",
                name,
                "--log",
                &log_url,
                "--grpc-addr",
                "127.0.0.1:0",
            ],
            dir,
            &[],
            "difacto ready",
        )
    };
    Services {
        icb: service("icb"),
        practice: service("practice"),
        partners: [service("partner"), service("partner")],
        provider: service("provider"),
        log,
    }
}

async fn channel(server: &Server) -> Channel {
    support::channel(&server.url()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_processes_share_one_log() {
    let dir = tempfile::tempdir().expect("dir");
    let mut all = start_all(dir.path());

    // Health and reflection list the service each process serves.
    support::assert_serving(channel(&all.partners[0]).await, "difacto.v1.PartnerService").await;

    // The tree, through the ICB service process.
    let mut national: IcbClient = pb::icb_service_client::IcbServiceClient::with_interceptor(
        channel(&all.icb).await,
        bearer("X24", Role::NationalLead),
    );
    for organisation in handlers::testing::TREE {
        national
            .register_organisation(handlers::testing::registration(organisation))
            .await
            .unwrap_or_else(|s| panic!("register {}: {s}", organisation.0));
    }

    // A practice records facilitation through the practice service process.
    support::jetstream::record_facilitation(channel(&all.practice).await, 14).await;

    // A provider registers a platform; the practice reports an issue against it.
    let mut provider = pb::provider_service_client::ProviderServiceClient::with_interceptor(
        channel(&all.provider).await,
        bearer("V-nhs-app", Role::ProviderAdmin),
    );
    let platform = provider
        .register_platform(pb::RegisterPlatformRequest {
            provider_code: "V-nhs-app".into(),
            name: "NHS App".into(),
            category: pb::PlatformCategory::PatientApp.into(),
            ..Default::default()
        })
        .await
        .expect("platform")
        .into_inner();
    let mut reporter = pb::provider_service_client::ProviderServiceClient::with_interceptor(
        channel(&all.provider).await,
        bearer("A81001", Role::PracticeManager),
    );
    reporter
        .report_usability_issue(pb::ReportUsabilityIssueRequest {
            platform_id: platform.aggregate_id.clone(),
            practice_code: "A81001".into(),
            category: pb::UsabilityIssueCategory::LoginIdentity.into(),
            severity: pb::IssueSeverity::High.into(),
            description: "Identity check fails for older patients without photo ID".into(),
            ..Default::default()
        })
        .await
        .expect("issue reported");

    // A session with 10 seats; 100 bookings race through two partner processes.
    let mut coordinator = pb::partner_service_client::PartnerServiceClient::with_interceptor(
        channel(&all.partners[0]).await,
        bearer("P-leeds-libraries", Role::PartnerCoordinator),
    );
    let session = coordinator
        .schedule_session(drop_in("P-leeds-libraries", 10))
        .await
        .expect("session")
        .into_inner()
        .aggregate_id;
    let channels = [
        channel(&all.partners[0]).await,
        channel(&all.partners[1]).await,
    ];
    let racers: Vec<_> = (0..100)
        .map(|i| {
            let mut client = pb::partner_service_client::PartnerServiceClient::with_interceptor(
                channels[i % 2].clone(),
                bearer("A81001", Role::PracticeManager),
            );
            let session = session.clone();
            tokio::spawn(async move {
                client
                    .book_seat(pb::BookSeatRequest {
                        session_id: session,
                        booking_reference: format!("RACE-{i:03}"),
                        referring_organisation_code: "A81001".into(),
                        places: 1,
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    let mut confirmed = 0;
    for racer in racers {
        match racer.await.expect("task") {
            Ok(_) => confirmed += 1,
            Err(status) => assert!(
                matches!(status.code(), Code::FailedPrecondition | Code::Aborted),
                "a losing booking is refused as full (or asked to retry), not {status:?}"
            ),
        }
    }
    assert_eq!(
        confirmed, 10,
        "exactly the capacity is confirmed across two processes"
    );

    // The log holds what the services recorded, in order, each event with its author.
    let mut log = support::client(&all.log.url(), &support::service_token()).await;
    let events = support::read_everything(&mut log).await;
    let booked = events
        .iter()
        .filter(|e| e.event_type == "difacto.v1.SeatBooked")
        .count();
    assert_eq!(booked, 10);
    for kind in [
        "difacto.v1.OrganisationRegistered",
        "difacto.v1.FacilitationRecorded",
        "difacto.v1.PlatformRegistered",
        "difacto.v1.UsabilityIssueReported",
        "difacto.v1.SessionScheduled",
    ] {
        assert!(
            events.iter().any(|e| e.event_type == kind),
            "{kind} recorded"
        );
    }
    assert!(
        events
            .iter()
            .all(|e| e.metadata.contains_key("actor") && e.metadata.contains_key("organisation"))
    );

    // Every process stops cleanly, and the log verifies.
    let [first, second] = &mut all.partners;
    for server in [
        &mut all.icb,
        &mut all.practice,
        first,
        second,
        &mut all.provider,
        &mut all.log,
    ] {
        assert!(server.sigterm_and_wait().success());
    }
    support::assert_verify_ok(dir.path());
}

/// `difacto dev` serves the log and all four services on one port; health and reflection
/// list every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_serves_everything_on_one_port() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_string_lossy().into_owned();
    let mut dev = Server::launch(
        &["dev", "--data-dir", &data, "--grpc-addr", "127.0.0.1:0"],
        dir.path(),
        &[],
        "difacto ready",
    );
    let names = [
        "difacto.v1.EventLogService",
        "difacto.v1.IcbService",
        "difacto.v1.PracticeService",
        "difacto.v1.PartnerService",
        "difacto.v1.ProviderService",
    ];
    for name in names {
        support::assert_serving(channel(&dev).await, name).await;
    }
    let listed = support::listed_services(channel(&dev).await, support::Reflection::V1)
        .await
        .expect("reflection lists the services");
    for name in names {
        assert!(
            listed.iter().any(|n| n == name),
            "reflection lists {name}: {listed:?}"
        );
    }
    // A command through the same port.
    let mut icb: IcbClient = pb::icb_service_client::IcbServiceClient::with_interceptor(
        channel(&dev).await,
        bearer("X24", Role::NationalLead),
    );
    icb.register_organisation(handlers::testing::registration(handlers::testing::TREE[0]))
        .await
        .expect("NHS England registered");
    assert!(dev.sigterm_and_wait().success());
}
