//! What the JetStream end-to-end tests (`nats.rs`, `nats_faults.rs`) share: services and
//! gateways as processes on a `nats://…` log, the organisation tree they record against,
//! tokens and clients, and `difacto verify --log nats://…`; `services.rs` (the same
//! processes on `grpc://`) registers and books with the same requests.

use std::path::Path;

use auth::{BearerToken, Role};
use eventlog_nats::{NatsConfig, NatsLog};
use proto::v1 as pb;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::Server;

/// A bearer token for `org` with `role`, for the services' clients.
pub fn bearer(org: &str, role: Role) -> BearerToken {
    BearerToken::new(super::gateway::token(org, role)).expect("bearer")
}

pub type IcbClient =
    pb::icb_service_client::IcbServiceClient<InterceptedService<Channel, BearerToken>>;
pub type PracticeClient =
    pb::practice_service_client::PracticeServiceClient<InterceptedService<Channel, BearerToken>>;
pub type PartnerClient =
    pb::partner_service_client::PartnerServiceClient<InterceptedService<Channel, BearerToken>>;

/// The ICB service on `channel`, as NHS England.
pub fn national(channel: Channel) -> IcbClient {
    pb::icb_service_client::IcbServiceClient::with_interceptor(
        channel,
        bearer("X24", Role::NationalLead),
    )
}

/// The practice service on `channel`, as `practice`'s manager.
pub fn practice_manager(channel: Channel, practice: &str) -> PracticeClient {
    pb::practice_service_client::PracticeServiceClient::with_interceptor(
        channel,
        bearer(practice, Role::PracticeManager),
    )
}

/// The practice every tree has; [`register_tree`] adds `extra` below the same PCN or ICB.
pub const PRACTICE: &str = "A81001";

/// Registers NHS England, a region, an ICB, a sub-ICB, a PCN and [`PRACTICE`], then
/// `extra` (code, kind, parent) in order.
pub async fn register_tree(icb: &mut IcbClient, extra: &[(&str, pb::OrganisationKind, &str)]) {
    use pb::OrganisationKind::*;
    let base = [
        ("X24", NationalBody, ""),
        ("Y56", Region, "X24"),
        ("QE1", Icb, "Y56"),
        ("00L", SubIcb, "QE1"),
        ("U00001", Pcn, "00L"),
        (PRACTICE, Practice, "U00001"),
    ];
    for &(code, kind, parent) in base.iter().chain(extra) {
        register(icb, code, kind, parent).await;
    }
}

/// Registers organisation `code` of `kind` under `parent` (empty: none), effective 2020.
pub async fn register(icb: &mut IcbClient, code: &str, kind: pb::OrganisationKind, parent: &str) {
    icb.register_organisation(pb::RegisterOrganisationRequest {
        code: code.into(),
        kind: kind.into(),
        name: format!("Organisation {code}"),
        parent_code: parent.into(),
        effective_date: "2020-01-01".into(),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|s| panic!("register {code}: {s}"));
}

/// An NHS App drop-in of `partner` at [`PRACTICE`] in 2099 with `capacity` seats: the
/// session the booking races fill.
pub fn drop_in(partner: &str, capacity: u32) -> pb::ScheduleSessionRequest {
    pb::ScheduleSessionRequest {
        capacity,
        ..handlers::testing::drop_in_session(partner, PRACTICE)
    }
}

/// One week's facilitation at `practice`: `patients` helped with the NHS App, sent under
/// `request_id` so that a writer can re-send it after a fault.
pub fn facilitation(
    practice: &str,
    patients: u32,
    request_id: &str,
) -> pb::RecordFacilitationRequest {
    pb::RecordFacilitationRequest {
        request_id: request_id.into(),
        ..handlers::testing::facilitation(practice, patients)
    }
}

/// Records [`facilitation`] at [`PRACTICE`] through the practice service on `channel`.
pub async fn record_facilitation(channel: Channel, patients: u32) {
    practice_manager(channel, PRACTICE)
        .record_facilitation(facilitation(PRACTICE, patients, ""))
        .await
        .expect("facilitation recorded");
}

/// Runs `difacto verify --log <url>` and returns its stdout, asserting success.
pub fn verify_ok(url: &str) -> String {
    let output = super::command()
        .args(["verify", "--log", url])
        .output()
        .expect("run difacto verify");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "verify --log {url} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("ok:"), "{stdout}");
    stdout
}

/// The production stream on `servers`, read back by the test itself.
pub async fn production_log(servers: Vec<String>) -> NatsLog {
    NatsLog::connect(NatsConfig::new(servers))
        .await
        .expect("connect to the log")
}

/// `difacto serve <service> --log <url>` on a free port.
pub fn serve(service: &str, url: &str, dir: &Path) -> Server {
    Server::launch(
        &["serve", service, "--log", url, "--grpc-addr", "127.0.0.1:0"],
        dir,
        &[],
        "difacto ready",
    )
}

/// `difacto serve gateway --log <url>` on a free port, its checkpoint in `data_dir`,
/// forwarding mutations to `services` (one URL for all, or `icb=URL,…`). Its
/// `grpc_addr` is the gateway's HTTP address.
pub fn serve_gateway(url: &str, services: &str, data_dir: &Path) -> Server {
    let data = data_dir.to_string_lossy().into_owned();
    Server::launch_named(
        &[
            "serve",
            "gateway",
            "--log",
            url,
            "--services",
            services,
            "--data-dir",
            &data,
            "--http-addr",
            "127.0.0.1:0",
        ],
        data_dir,
        &[],
        "difacto gateway ready",
        "http_addr=",
    )
}
