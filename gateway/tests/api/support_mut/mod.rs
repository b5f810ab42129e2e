//! The four domain services served over loopback gRPC on a free port, on a sled log in a
//! temporary directory, and a schema whose mutations call them: what a mutation test
//! needs to go from GraphQL to the log and back (the services are
//! [`handlers::testing::Served`], as in the handlers' own tests).
#![allow(dead_code)]

use std::time::Duration;

use async_graphql::{EmptySubscription, Object, Request, Response, Schema, Variables};
use auth::{Role, TokenIssuer, TokenVerifier};
use gateway::caller::Authentication;
use gateway::mutation::MutationRoot;
use gateway::services::DomainEndpoints;
use handlers::testing::Served;

const SECRET: &[u8] = b"gateway-mutations-test-secret-0123456789";

/// The smallest query root a schema can have: these tests exercise mutations only.
#[derive(Debug, Default)]
pub struct NoQueries;

#[Object]
impl NoQueries {
    async fn ok(&self) -> bool {
        true
    }
}

pub type TestSchema = Schema<NoQueries, MutationRoot, EmptySubscription>;

pub struct Harness {
    pub schema: TestSchema,
    verifier: TokenVerifier,
    _served: Served,
}

impl Harness {
    pub async fn start() -> Self {
        let served = Served::start(SECRET).await;
        let schema = Schema::build(NoQueries, MutationRoot::default(), EmptySubscription)
            .data(DomainEndpoints::from_channel(served.channel.clone()))
            .finish();
        Self {
            schema,
            verifier: TokenVerifier::hs256(SECRET, "difacto", "difacto"),
            _served: served,
        }
    }

    /// What the gateway's HTTP layer would put in the request for a token of `org` with
    /// `roles`.
    pub fn caller(&self, org: &str, roles: &[Role]) -> Authentication {
        let token = TokenIssuer::hs256(SECRET, "difacto", "difacto")
            .mint(&format!("user@{org}"), org, roles, Duration::from_secs(600))
            .expect("token");
        Authentication::from_token(&token, &self.verifier)
    }

    /// Runs one GraphQL operation with `variables` as the caller `auth`.
    pub async fn run(
        &self,
        auth: Authentication,
        query: &str,
        variables: serde_json::Value,
    ) -> Response {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(auth);
        self.schema.execute(request).await
    }
}

/// The data of a response that must have succeeded.
pub fn data(response: Response) -> serde_json::Value {
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    response.data.into_json().expect("json")
}

/// The one error of a response that must have failed: `(extensions.code, message,
/// extensions.field)`.
pub fn error(response: Response) -> (String, String, Option<String>) {
    assert_eq!(response.errors.len(), 1, "{:?}", response.errors);
    let error = &response.errors[0];
    let extensions = error.extensions.as_ref().expect("extensions");
    let text = |key: &str| {
        extensions.get(key).map(|value| {
            value
                .clone()
                .into_json()
                .expect("json")
                .as_str()
                .expect("a string")
                .to_owned()
        })
    };
    (
        text("code").expect("extensions.code"),
        error.message.clone(),
        text("field"),
    )
}
