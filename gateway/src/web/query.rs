//! Pages and exports read through the GraphQL schema itself, in-process and as the
//! visitor: what a page shows is what the API answers that caller, scoped and
//! suppressed by the same code (DESIGN.md §10, one source of truth).

use async_graphql::{Request, Variables};
use serde::de::DeserializeOwned;

use crate::caller::Authentication;
use crate::schema::DifactoSchema;

/// Why a query gave no answer, by what the visitor should be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// Not signed in, or the session's token no longer verifies.
    Unauthenticated(String),
    Forbidden(String),
    /// A filter the visitor chose is wrong: `field` is the argument it names.
    BadInput {
        field: Option<String>,
        message: String,
    },
    NotFound(String),
    /// The command does not fit what is recorded (a full session, a cancelled booking):
    /// `field` is the input it concerns, when the API names one.
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// Logged here; the visitor learns only that it happened.
    Internal,
}

impl QueryError {
    pub fn message(&self) -> &str {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) | Self::NotFound(m) => m,
            Self::BadInput { message, .. } | Self::Conflict { message, .. } => message,
            Self::Internal => "difacto could not answer; the error has been logged",
        }
    }

    /// Whether the visitor's own input is at fault (a code that names nothing, a value
    /// refused): a filter page shows it next to the field and answers 400, rather than a
    /// page of its own.
    pub fn is_about_input(&self) -> bool {
        matches!(self, Self::NotFound(_) | Self::BadInput { .. })
    }
}

/// Runs `query` with `variables` as `auth` and reads its `data` as `T`.
pub async fn run<T: DeserializeOwned>(
    schema: &DifactoSchema,
    auth: &Authentication,
    query: &str,
    variables: serde_json::Value,
) -> Result<T, QueryError> {
    let request = Request::new(query)
        .variables(Variables::from_json(variables))
        .data(auth.clone());
    let response = schema.execute(request).await;
    if let Some(error) = response.errors.first() {
        let extension = |key: &str| {
            error
                .extensions
                .as_ref()
                .and_then(|e| e.get(key))
                .and_then(|v| match v {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    async_graphql::Value::Enum(s) => Some(s.to_string()),
                    _ => None,
                })
        };
        let message = error.message.clone();
        return Err(match extension("code").as_deref() {
            Some("UNAUTHENTICATED") => QueryError::Unauthenticated(message),
            Some("FORBIDDEN") => QueryError::Forbidden(message),
            Some("NOT_FOUND") => QueryError::NotFound(message),
            Some("BAD_USER_INPUT") => QueryError::BadInput {
                field: extension("field"),
                message,
            },
            Some("CONFLICT") => QueryError::Conflict {
                field: extension("field"),
                message,
            },
            Some("INTERNAL") => QueryError::Internal,
            _ => {
                // Validation errors of the document itself: a bug in a page's query,
                // unless the visitor's value was refused by type (a bad enum).
                tracing::warn!(%message, "a page's query was refused");
                QueryError::BadInput {
                    field: None,
                    message,
                }
            }
        });
    }
    let data = response.data.into_json().map_err(|err| {
        tracing::error!(error = %err, "a page's answer is not JSON");
        QueryError::Internal
    })?;
    serde_json::from_value(data).map_err(|err| {
        tracing::error!(error = %err, "a page's answer does not have the shape it asked for");
        QueryError::Internal
    })
}
