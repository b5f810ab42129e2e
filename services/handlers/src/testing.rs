//! Fixtures for tests that need the domain services running (this crate's, the gateway's
//! mutations, the binary's attack suite): every service served on loopback over a
//! scratch log, and the organisation tree they share. Behind the `testing` feature.

use std::sync::Arc;

use auth::TokenVerifier;
use eventlog::SledLog;
use eventlog::conformance::ScratchSled;
use proto::v1 as pb;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::{DomainService, Store};

/// Every domain service on a free loopback port, over a sled log in a temporary
/// directory, checking tokens signed with the test's own secret; stopped when dropped.
pub struct Served {
    pub url: String,
    pub log: Arc<SledLog>,
    /// A lazy channel to the server, for clients with tokens of the test's own making.
    pub channel: Channel,
    shutdown: CancellationToken,
    _sled: ScratchSled,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Served {
    /// Serves every domain service, accepting HS256 tokens signed with `secret` (issuer
    /// and audience `difacto`).
    pub async fn start(secret: &[u8]) -> Self {
        let sled = ScratchSled::open();
        let log = sled.log.clone();
        let store = Arc::new(Store::new(log.clone()));
        let verifier = Arc::new(TokenVerifier::hs256(secret, "difacto", "difacto"));
        let mut routes = tonic::service::RoutesBuilder::default();
        crate::add_routes(&mut routes, &DomainService::ALL, store, verifier);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_routes(routes.routes())
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    stop.cancelled_owned(),
                )
                .await
        });
        let channel = Channel::from_shared(url.clone())
            .expect("url")
            .connect_lazy();
        Self {
            url,
            log,
            channel,
            shutdown,
            _sled: sled,
        }
    }
}

/// The organisation tree the service tests and the attack suite share, in the order it is
/// registered (a parent before its children), as `(code, kind, name, parent)`:
///
/// ```text
/// X24 (national)
/// ├── Y56 (region) ── QE1 (ICB) ── 00L (sub-ICB) ── U00001 (PCN) ── A81001, A81002 (practices)
/// │                        └── P-leeds-libraries (partner)
/// ├── Y63 (region) ── QWO (ICB) ── 01A (sub-ICB) ── U00002 (PCN) ── B82001 (practice)
/// │                        └── P-york-digital (partner)
/// └── V-nhs-app, V-other-app (providers)
/// ```
pub const TREE: [(&str, pb::OrganisationKind, &str, &str); 16] = {
    use pb::OrganisationKind::*;
    [
        ("X24", NationalBody, "NHS England", ""),
        ("Y56", Region, "London", "X24"),
        ("Y63", Region, "North East and Yorkshire", "X24"),
        ("QE1", Icb, "Test ICB One", "Y56"),
        ("QWO", Icb, "Test ICB Two", "Y63"),
        ("00L", SubIcb, "Sub-ICB One", "QE1"),
        ("01A", SubIcb, "Sub-ICB Two", "QWO"),
        ("U00001", Pcn, "PCN One", "00L"),
        ("U00002", Pcn, "PCN Two", "01A"),
        ("A81001", Practice, "Practice One", "U00001"),
        ("A81002", Practice, "Practice Two", "U00001"),
        ("B82001", Practice, "Practice Three", "U00002"),
        ("P-leeds-libraries", Partner, "Leeds Libraries", "QE1"),
        ("P-york-digital", Partner, "York Digital", "QWO"),
        ("V-nhs-app", Provider, "NHS App team", "X24"),
        ("V-other-app", Provider, "Other app", "X24"),
    ]
};

/// The request that registers `(code, kind, name, parent)` of [`TREE`], in force since
/// 2020.
pub fn registration(
    (code, kind, name, parent): (&str, pb::OrganisationKind, &str, &str),
) -> pb::RegisterOrganisationRequest {
    pb::RegisterOrganisationRequest {
        code: code.into(),
        kind: kind.into(),
        name: name.into(),
        parent_code: parent.into(),
        effective_date: "2020-01-01".into(),
        ..Default::default()
    }
}

/// A week of facilitation at `practice`: `patients` older people helped at the front desk
/// with the NHS App, as the service tests and the end-to-end tests record it.
pub fn facilitation(practice: &str, patients: u32) -> pb::RecordFacilitationRequest {
    pb::RecordFacilitationRequest {
        practice_code: practice.into(),
        week: "2026-W10".into(),
        mode: pb::FacilitationMode::Proactive.into(),
        service: pb::DigitalService::NhsApp.into(),
        channel: pb::FacilitationChannel::FaceToFace.into(),
        delivered_by: pb::StaffRole::Receptionist.into(),
        patient_groups: vec![pb::PatientGroup::OlderPeople.into()],
        patients_supported: patients,
        ..Default::default()
    }
}

/// A ten-place NHS App drop-in that `partner` runs at `host` (a practice of QE1) in 2099.
pub fn drop_in_session(partner: &str, host: &str) -> pb::ScheduleSessionRequest {
    pb::ScheduleSessionRequest {
        partner_code: partner.into(),
        host_practice_code: host.into(),
        icb_code: "QE1".into(),
        starts_at: "2099-05-01T10:00:00Z".into(),
        ends_at: "2099-05-01T12:00:00Z".into(),
        capacity: 10,
        title: "NHS App drop-in".into(),
        topics: vec![pb::DigitalService::NhsApp.into()],
        ..Default::default()
    }
}
