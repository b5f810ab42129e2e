//! A real gRPC server on loopback over a sled log in a temporary directory, with every
//! domain service, tokens for any organisation and role, and a small organisation tree:
//!
//! ```text
//! X24 (national)
//! ├── Y56 (region) ── QE1 (ICB) ── 00L (sub-ICB) ── U00001 (PCN) ── A81001, A81002 (practices)
//! │                        ├── P-leeds-libraries (partner)
//! │                        └── V-nhs-app (provider)          (registered under X24, see below)
//! └── Y63 (region) ── QWO (ICB) ── 01A (sub-ICB) ── U00002 (PCN) ── B82001 (practice)
//!                          └── P-york-digital (partner)
//! V-nhs-app and V-other-app are providers under X24.
//! ```
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use auth::{BearerToken, Role, TokenIssuer, TokenVerifier};
use eventlog::SledLog;
use eventlog::conformance::ScratchSled;
use handlers::{DomainService, Store};
use proto::v1 as pb;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub const SECRET: &[u8] = b"services-test-secret-services-test-secret";

pub type Client<T> = T;
pub type Authed = InterceptedService<Channel, BearerToken>;

pub struct Harness {
    pub url: String,
    pub log: Arc<SledLog>,
    channel: Channel,
    shutdown: CancellationToken,
    _sled: ScratchSled,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Harness {
    /// A server with every domain service, and no organisations yet.
    pub async fn empty() -> Self {
        let sled = ScratchSled::open();
        let log = sled.log.clone();
        let store = Arc::new(Store::new(log.clone()));
        let verifier = Arc::new(TokenVerifier::hs256(SECRET, "difacto", "difacto"));
        let mut routes = tonic::service::RoutesBuilder::default();
        handlers::add_routes(&mut routes, &DomainService::ALL, store, verifier);
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

    /// A server with the organisation tree above.
    pub async fn with_tree() -> Self {
        let harness = Self::empty().await;
        harness.seed_tree().await;
        harness
    }

    /// A channel to the server, for clients with tokens of the test's own making.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn token(&self, org: &str, roles: &[Role]) -> String {
        TokenIssuer::hs256(SECRET, "difacto", "difacto")
            .mint(&format!("user@{org}"), org, roles, Duration::from_secs(600))
            .expect("token")
    }

    fn bearer(&self, org: &str, roles: &[Role]) -> BearerToken {
        BearerToken::new(self.token(org, roles)).expect("bearer")
    }

    pub fn icb(
        &self,
        org: &str,
        roles: &[Role],
    ) -> pb::icb_service_client::IcbServiceClient<Authed> {
        pb::icb_service_client::IcbServiceClient::with_interceptor(
            self.channel.clone(),
            self.bearer(org, roles),
        )
    }

    pub fn practice(
        &self,
        org: &str,
        roles: &[Role],
    ) -> pb::practice_service_client::PracticeServiceClient<Authed> {
        pb::practice_service_client::PracticeServiceClient::with_interceptor(
            self.channel.clone(),
            self.bearer(org, roles),
        )
    }

    pub fn partner(
        &self,
        org: &str,
        roles: &[Role],
    ) -> pb::partner_service_client::PartnerServiceClient<Authed> {
        pb::partner_service_client::PartnerServiceClient::with_interceptor(
            self.channel.clone(),
            self.bearer(org, roles),
        )
    }

    pub fn provider(
        &self,
        org: &str,
        roles: &[Role],
    ) -> pb::provider_service_client::ProviderServiceClient<Authed> {
        pb::provider_service_client::ProviderServiceClient::with_interceptor(
            self.channel.clone(),
            self.bearer(org, roles),
        )
    }

    /// Every event stored so far, in order.
    pub async fn events(&self) -> Vec<eventlog::RecordedEvent> {
        use eventlog::EventLog;
        let mut all = Vec::new();
        loop {
            let page = self
                .log
                .read_all(
                    all.last()
                        .map_or(0, |e: &eventlog::RecordedEvent| e.position),
                    0,
                )
                .await
                .expect("read");
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    pub async fn head(&self) -> u64 {
        use eventlog::EventLog;
        self.log.head_position().await.expect("head")
    }

    pub async fn seed_tree(&self) {
        use pb::OrganisationKind::*;
        let mut national = self.icb("X24", &[Role::NationalLead]);
        let orgs: [(&str, pb::OrganisationKind, &str, &str); 15] = [
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
        ];
        for (code, kind, name, parent) in orgs {
            register(&mut national, code, kind, name, parent).await;
        }
        register(&mut national, "V-other-app", Provider, "Other app", "X24").await;
    }
}

/// A national programme for reception teams, as the tests of IcbService launch it and those
/// of PracticeService train against it.
pub fn reception_programme() -> pb::LaunchTrainingProgrammeRequest {
    pb::LaunchTrainingProgrammeRequest {
        owner_code: "X24".into(),
        title: "Digital front door for reception teams".into(),
        audience_roles: vec![
            pb::StaffRole::Receptionist.into(),
            pb::StaffRole::CareNavigator.into(),
        ],
        module_ids: vec!["nhs-app-basics".into(), "proxy-access".into()],
        target_percent: 80,
        deadline: "2099-03-31".into(),
        ..Default::default()
    }
}

pub async fn register(
    client: &mut pb::icb_service_client::IcbServiceClient<Authed>,
    code: &str,
    kind: pb::OrganisationKind,
    name: &str,
    parent: &str,
) -> pb::CommandResult {
    client
        .register_organisation(pb::RegisterOrganisationRequest {
            code: code.into(),
            kind: kind.into(),
            name: name.into(),
            parent_code: parent.into(),
            effective_date: "2020-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("register {code}: {status}"))
        .into_inner()
}

/// Sends `$client.$method($request)` twice, as a client re-sending the same request id
/// does: the second answer must be the first, and nothing more may be stored. Evaluates to
/// the first answer.
macro_rules! sent_twice {
    ($h:expr, $client:ident . $method:ident ($request:expr)) => {{
        let request = $request;
        let first = $client
            .$method(request.clone())
            .await
            .expect(concat!(stringify!($method), ": first send"))
            .into_inner();
        let head = $h.head().await;
        let again = $client
            .$method(request)
            .await
            .expect(concat!(stringify!($method), ": re-sent"))
            .into_inner();
        assert_eq!(
            again, first,
            "a re-sent request returns the original result"
        );
        assert_eq!($h.head().await, head, "and stores nothing");
        first
    }};
}
pub(crate) use sent_twice;

/// Asserts `result` was refused as not this caller's to do (`PERMISSION_DENIED`), `why`
/// saying why it is not.
pub fn assert_denied<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
    why: &str,
) {
    match result {
        Err(status) => assert_eq!(
            status.code(),
            tonic::Code::PermissionDenied,
            "{why}: {status:?}"
        ),
        Ok(response) => panic!(
            "{why}: expected PERMISSION_DENIED, got {:?}",
            response.into_inner()
        ),
    }
}

/// Asserts `result` failed with `code` and a message that starts with `field`.
pub fn assert_rejected<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
    code: tonic::Code,
    field: &str,
) {
    match result {
        Err(status) => {
            assert_eq!(status.code(), code, "{status:?}");
            assert!(
                status.message().starts_with(field),
                "expected the message to name {field}: {}",
                status.message()
            );
        }
        Ok(response) => panic!(
            "expected {code:?} naming {field}, got {:?}",
            response.into_inner()
        ),
    }
}
