//! The one error type of the domain. Each variant says how a caller should react; the
//! service edge maps them to gRPC codes in one table.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field breaks a rule that does not depend on stored state: fix the request.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Something the command names does not exist.
    #[error("{field}: {what} {id} does not exist")]
    NotFound {
        field: String,
        what: &'static str,
        id: String,
    },
    /// Something the command would create exists already.
    #[error("{field}: {what} {id} already exists")]
    AlreadyExists {
        field: String,
        what: &'static str,
        id: String,
    },
    /// The state does not allow this now (a cancelled session, an accepted assignment).
    #[error("{field}: {reason}")]
    Precondition { field: String, reason: String },
    /// The caller may not do this (DESIGN.md §6).
    #[error("{0}")]
    Forbidden(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
    pub fn not_found(field: impl Into<String>, what: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            field: field.into(),
            what,
            id: crate::values::excerpt(&id.into()).to_owned(),
        }
    }
    pub fn exists(field: impl Into<String>, what: &'static str, id: impl Into<String>) -> Self {
        Self::AlreadyExists {
            field: field.into(),
            what,
            id: crate::values::excerpt(&id.into()).to_owned(),
        }
    }
    pub fn precondition(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Precondition {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
