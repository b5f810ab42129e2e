//! A real gRPC server on loopback over a sled log in a temporary directory, with every
//! domain service ([`handlers::testing::Served`]), tokens for any organisation and role,
//! and the shared organisation tree ([`handlers::testing::TREE`]).
#![allow(dead_code)]

use std::time::Duration;

use auth::{BearerToken, Role, TokenIssuer};
use handlers::testing::{Served, TREE, registration};
use proto::v1 as pb;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub const SECRET: &[u8] = b"services-test-secret-services-test-secret";

pub type Client<T> = T;
pub type Authed = InterceptedService<Channel, BearerToken>;

/// A method per service on [`Caller`], `name()`: a client of that service sending the
/// caller's token; and on [`Harness`], `name(org, roles)`: the same for `org`'s user.
macro_rules! clients {
    ($($name:ident: $module:ident::$client:ident,)*) => {
        impl Caller {
            $(pub fn $name(&self) -> pb::$module::$client<Authed> {
                pb::$module::$client::with_interceptor(self.channel.clone(), self.bearer())
            })*
        }

        impl Harness {
            $(pub fn $name(&self, org: &str, roles: &[Role]) -> pb::$module::$client<Authed> {
                self.caller(&format!("user@{org}"), org, roles).$name()
            })*
        }
    };
}

clients! {
    icb: icb_service_client::IcbServiceClient,
    practice: practice_service_client::PracticeServiceClient,
    partner: partner_service_client::PartnerServiceClient,
    provider: provider_service_client::ProviderServiceClient,
}

/// Whoever sends the requests: the harness's channel and the token they send with each.
pub struct Caller {
    channel: Channel,
    token: String,
}

impl Caller {
    fn bearer(&self) -> BearerToken {
        BearerToken::new(self.token.clone()).expect("bearer")
    }
}

pub struct Harness {
    served: Served,
}

impl std::ops::Deref for Harness {
    type Target = Served;

    fn deref(&self) -> &Served {
        &self.served
    }
}

impl Harness {
    /// A server with every domain service, and no organisations yet.
    pub async fn empty() -> Self {
        Self {
            served: Served::start(SECRET).await,
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
        mint(&format!("user@{org}"), org, roles)
    }

    /// Clients whose token has `subject` acting for `org` with `roles`.
    pub fn caller(&self, subject: &str, org: &str, roles: &[Role]) -> Caller {
        Caller {
            channel: self.channel.clone(),
            token: mint(subject, org, roles),
        }
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
        let mut national = self.icb("X24", &[Role::NationalLead]);
        for (code, kind, name, parent) in TREE {
            register(&mut national, code, kind, name, parent).await;
        }
    }
}

/// A token of the development secret for `subject` acting for `org` with `roles`.
fn mint(subject: &str, org: &str, roles: &[Role]) -> String {
    TokenIssuer::hs256(SECRET, "difacto", "difacto")
        .mint(subject, org, roles, Duration::from_secs(600))
        .expect("token")
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
        .register_organisation(registration((code, kind, name, parent)))
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
