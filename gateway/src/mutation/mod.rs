//! Mutations: one per command of DESIGN.md §9, forwarded to the owning domain service.
//!
//! Each mutation is named as its command in camelCase (`BookSeat` is `bookSeat`), takes
//! `input: <Command>Input!` mirroring the proto `<Command>Request`, calls the service with
//! the caller's own token (the service decides what the caller may do) and returns a
//! [`CommandResult`]. One file per service holds its mutations and its input types with
//! their conversion to the proto request; [`forward`] is the one path every mutation takes:
//! authenticate, convert the input (naming a bad field), call, map the status, convert the
//! answer.
//!
//! Conventions of the inputs: an optional string or list left out is sent as empty, an
//! optional enum left out as unspecified; counts are GraphQL `Int`s checked to be at
//! least 0 here, and every other rule is the service's. Fields named in the services'
//! errors are given back in the input's camelCase (`patients_supported` becomes
//! `patientsSupported`).

/// Declares one service's mutations: a documented resolver per command, each named as
/// the command's gRPC method (`book_seat`, served as `bookSeat`), taking its documented
/// `<Command>Input` and going through [`forward`] to `$client`. What carries meaning (the
/// documentation and the input type) is written once per command; the rest is here.
macro_rules! mutations {
    (
        $(#[$root_doc:meta])*
        $root:ident, $client:path {
            $($(#[$doc:meta])* $command:ident($input:ty);)*
        }
    ) => {
        $(#[$root_doc])*
        #[derive(Debug, Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {
            $(
                $(#[$doc])*
                async fn $command(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    input: $input,
                ) -> $crate::mutation::MutationResult {
                    $crate::mutation::forward(ctx, input, $client, |mut client, request| async move {
                        client.$command(request).await
                    })
                    .await
                }
            )*
        }
    };
}

/// Declares one command's documented input type (the API: its documentation is written
/// here, once) and its conversion to the proto request, field by field through
/// [`IntoProto`]. The input's fields are the request's, in its order: a field missing on
/// either side does not compile.
macro_rules! command_input {
    (
        $(#[$doc:meta])*
        $input:ident => $request:ident {
            $($(#[$field_doc:meta])* $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, async_graphql::InputObject)]
        pub struct $input {
            $($(#[$field_doc])* pub $field: $ty,)*
        }

        impl $crate::mutation::IntoRequest for $input {
            type Request = proto::v1::$request;

            fn into_request(self) -> Result<Self::Request, $crate::error::GatewayError> {
                Ok(proto::v1::$request {
                    $($field: $crate::mutation::IntoProto::into_proto(
                        self.$field,
                        stringify!($field),
                    )?,)*
                })
            }
        }
    };
}

mod icb;
mod input;
mod partner;
mod practice;
mod provider;

use std::future::Future;

use async_graphql::{Context, MergedObject, SimpleObject};
use proto::v1 as pb;

pub use icb::*;
pub use partner::*;
pub use practice::*;
pub use provider::*;

pub(crate) use self::input::IntoProto;
use crate::caller::caller;
use crate::error::GatewayError;
use crate::services::DomainEndpoints;

/// Every mutation, grouped by the service that owns the command.
#[derive(Debug, Default, MergedObject)]
pub struct MutationRoot(
    IcbMutations,
    PracticeMutations,
    PartnerMutations,
    ProviderMutations,
);

/// Where a command's events landed in the log. Sending the same `requestId` again returns
/// the original result and records nothing new.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct CommandResult {
    /// What the command acted on: e.g. the new session's id, or the organisation's code.
    pub aggregate_id: String,
    /// The events recorded, in order.
    pub event_ids: Vec<String>,
    /// The log position of the first event recorded.
    pub first_position: u64,
    /// The log position of the last event recorded.
    pub last_position: u64,
    /// The version of the aggregate's stream after the command.
    pub stream_version: u64,
    /// What the command created when the service chose its id, e.g. the booking reference
    /// of `bookSeat` when none was given; null otherwise.
    pub created_id: Option<String>,
}

impl From<pb::CommandResult> for CommandResult {
    fn from(result: pb::CommandResult) -> Self {
        Self {
            aggregate_id: result.aggregate_id,
            event_ids: result.event_ids,
            first_position: result.first_position,
            last_position: result.last_position,
            stream_version: result.stream_version,
            created_id: Some(result.created_id).filter(|id| !id.is_empty()),
        }
    }
}

/// What every mutation answers.
pub(crate) type MutationResult = async_graphql::Result<CommandResult>;

/// A mutation's input, converted to the proto request of its command.
pub(crate) trait IntoRequest {
    type Request;

    /// Fails with a `BAD_USER_INPUT` error naming the field (in camelCase).
    fn into_request(self) -> Result<Self::Request, GatewayError>;
}

/// The one path of every mutation. `client` picks the owning service from the
/// [`DomainEndpoints`] (e.g. `DomainEndpoints::partner`); `call` sends the request.
///
/// The caller is checked first, so a request without a valid token is `UNAUTHENTICATED`
/// whatever its input.
pub(crate) async fn forward<I, C, F, Fut>(
    ctx: &Context<'_>,
    input: I,
    client: fn(&DomainEndpoints, &str) -> Result<C, GatewayError>,
    call: F,
) -> MutationResult
where
    I: IntoRequest,
    F: FnOnce(C, I::Request) -> Fut,
    Fut: Future<Output = Result<tonic::Response<pb::CommandResult>, tonic::Status>>,
{
    let caller = caller(ctx)?;
    let endpoints = ctx
        .data::<DomainEndpoints>()
        .map_err(|_| GatewayError::internal("the schema was built without DomainEndpoints"))?;
    let request = input.into_request()?;
    let client = client(endpoints, &caller.token)?;
    match call(client, request).await {
        Ok(response) => {
            let result = response.into_inner();
            // Read your writes: a query sent after this answer sees what it recorded.
            if let Ok(projection) = ctx.data::<std::sync::Arc<crate::projection::Projection>>()
                && !projection
                    .wait_for(result.last_position, READ_YOUR_WRITES)
                    .await
            {
                tracing::warn!(
                    position = result.last_position,
                    "the read model is behind; views may not show this write yet"
                );
            }
            Ok(result.into())
        }
        Err(status) => Err(in_graphql_terms(GatewayError::from(status)).into()),
    }
}

/// How long a mutation waits for the views to show what it wrote.
const READ_YOUR_WRITES: std::time::Duration = std::time::Duration::from_secs(5);

/// Names a field of the service's error as the input names it.
fn in_graphql_terms(error: GatewayError) -> GatewayError {
    match error {
        GatewayError::BadUserInput { field, reason } => GatewayError::BadUserInput {
            field: camel_case(&field),
            reason,
        },
        other => other,
    }
}

/// `patients_supported` → `patientsSupported`; `covers_codes[1]` → `coversCodes[1]`.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        match c {
            '_' if !out.is_empty() => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_fields_are_named_in_camel_case() {
        assert_eq!(camel_case("patients_supported"), "patientsSupported");
        assert_eq!(camel_case("covers_codes[1]"), "coversCodes[1]");
        assert_eq!(camel_case("capacity"), "capacity");
        assert_eq!(camel_case("input"), "input");
        let error = in_graphql_terms(GatewayError::from(tonic::Status::invalid_argument(
            "session_id: not a UUID",
        )));
        assert_eq!(error, GatewayError::bad_input("sessionId", "not a UUID"));
    }

    #[tokio::test]
    async fn there_is_one_documented_mutation_per_command_taking_its_input() {
        let schema = crate::schema::unattached();
        let response = schema
            .execute(
                "{ __schema { mutationType { fields { name description \
                 args { name type { kind ofType { name } } } \
                 type { kind ofType { name } } } } } }",
            )
            .await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let json = response.data.into_json().expect("json");
        let fields = json["__schema"]["mutationType"]["fields"]
            .as_array()
            .expect("fields");
        let mut names: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
        names.sort_unstable();
        // Every command of the domain's list, in camelCase: `BookSeat` is `bookSeat`.
        let camel: Vec<String> = domain::command::Command::ALL
            .iter()
            .map(|command| {
                let name = command.name();
                name[..1].to_lowercase() + &name[1..]
            })
            .collect();
        let mut expected: Vec<&str> = camel.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(names, expected);
        for field in fields {
            let name = field["name"].as_str().unwrap_or_default();
            let description = field["description"].as_str().unwrap_or_default();
            assert!(description.len() > 20, "{name} has no description");
            let args = field["args"].as_array().expect("args");
            assert_eq!(args.len(), 1, "{name}");
            assert_eq!(args[0]["name"], "input", "{name}");
            assert_eq!(args[0]["type"]["kind"], "NON_NULL", "{name}");
            let mut input = name[..1].to_uppercase();
            input.push_str(&name[1..]);
            input.push_str("Input");
            assert_eq!(args[0]["type"]["ofType"]["name"], input.as_str(), "{name}");
            assert_eq!(field["type"]["ofType"]["name"], "CommandResult", "{name}");
        }
    }

    #[test]
    fn an_empty_created_id_is_null() {
        let result = CommandResult::from(pb::CommandResult {
            aggregate_id: "A81001".into(),
            ..Default::default()
        });
        assert_eq!(result.created_id, None);
    }
}
