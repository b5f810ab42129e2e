//! The tonic edge: one interceptor that checks the bearer token on the server,
//! one that attaches it on the client, and the accessor handlers use.

use std::fmt;
use std::sync::Arc;

use tonic::metadata::{Ascii, MetadataMap, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::{AuthError, Principal, Role, TokenVerifier};

/// The gRPC metadata key carrying the token (HTTP/2 header names are lowercase).
const AUTHORIZATION: &str = "authorization";

/// Server side: checks `authorization: Bearer <jwt>` once per call and puts the
/// [`Principal`] into the request extensions, so handlers (and the domain behind
/// them) never see a JWT.
///
/// A missing or invalid token is `UNAUTHENTICATED` (the message says why and never
/// echoes the token); a caller lacking every role given to
/// [`requiring`](Self::requiring) is `PERMISSION_DENIED`.
#[derive(Clone, Debug)]
pub struct AuthInterceptor {
    /// Shared by every clone of the interceptor (one per service).
    verifier: Arc<TokenVerifier>,
    /// The caller must hold at least one of these; empty means any authenticated
    /// caller. Finer policy (organisation scope) belongs to the domain.
    required: Vec<Role>,
}

impl AuthInterceptor {
    /// Authenticates every call with `verifier`; no role is required.
    pub fn new(verifier: Arc<TokenVerifier>) -> Self {
        Self {
            verifier,
            required: Vec::new(),
        }
    }

    /// Admits only callers holding `role`, e.g. `Role::Service` on the event log.
    /// Calling it again widens the set: the caller needs at least one of the
    /// roles given.
    pub fn requiring(mut self, role: Role) -> Self {
        if !self.required.contains(&role) {
            self.required.push(role);
        }
        self
    }

    fn authenticate(&self, metadata: &MetadataMap) -> Result<Principal, AuthError> {
        let token = bearer_token(metadata)?;
        let principal = self.verifier.verify(token)?;
        if !self.required.is_empty() && !principal.has_any_role(&self.required) {
            let names: Vec<&str> = self.required.iter().map(|r| r.as_str()).collect();
            return Err(AuthError::Forbidden(format!(
                "this service requires role {}",
                names.join(" or ")
            )));
        }
        Ok(principal)
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        match self.authenticate(request.metadata()) {
            Ok(principal) => {
                tracing::trace!(subject = %principal.subject, org = %principal.organisation, "authenticated call");
                request.extensions_mut().insert(principal);
                Ok(request)
            }
            Err(err) => {
                tracing::debug!(error = %err, "rejected call");
                Err(err.into())
            }
        }
    }
}

/// Extracts the token from the single `authorization` header. The scheme is
/// matched case-insensitively (RFC 7235); anything else is `MalformedHeader`.
fn bearer_token(metadata: &MetadataMap) -> Result<&str, AuthError> {
    let mut values = metadata.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthError::MissingToken)?;
    if values.next().is_some() {
        return Err(AuthError::MalformedHeader);
    }
    let value = value.to_str().map_err(|_| AuthError::MalformedHeader)?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MalformedHeader)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.contains(char::is_whitespace)
    {
        return Err(AuthError::MalformedHeader);
    }
    Ok(token)
}

/// Handlers call this to learn who is calling. `UNAUTHENTICATED` if the
/// [`AuthInterceptor`] did not run on this request, so a wiring mistake denies
/// rather than admits.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("handler reached without the authentication interceptor");
            Status::unauthenticated("no authenticated caller: the request was not authenticated")
        })
}

/// Client side: adds `authorization: Bearer <token>` to every outgoing request,
/// replacing any header already there. The value is marked sensitive so that
/// HTTP/2 header compression never indexes it.
#[derive(Clone)]
pub struct BearerToken {
    /// The complete header value, validated once at construction.
    header: MetadataValue<Ascii>,
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl BearerToken {
    /// Fails with `MissingToken` for an empty token and `MalformedHeader` for one
    /// that cannot be a header value (whitespace, non-visible ASCII).
    pub fn new(token: impl Into<String>) -> Result<Self, AuthError> {
        let token = token.into();
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::MissingToken);
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::MalformedHeader);
        }
        let mut header = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| AuthError::MalformedHeader)?;
        header.set_sensitive(true);
        Ok(Self { header })
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert(AUTHORIZATION, self.header.clone());
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic::Code;

    use super::*;
    use crate::testing::*;

    fn interceptor() -> AuthInterceptor {
        AuthInterceptor::new(Arc::new(dev_verifier()))
    }

    fn request_with(header: &str) -> Request<()> {
        let mut request = Request::new(());
        request.metadata_mut().insert(
            AUTHORIZATION,
            MetadataValue::try_from(header).expect("ascii header"),
        );
        request
    }

    fn token(roles: &[Role]) -> String {
        dev_issuer()
            .mint("staff-1", "A81001", roles, Duration::from_secs(600))
            .expect("mint")
    }

    #[test]
    fn missing_header_is_unauthenticated() {
        let status = interceptor()
            .call(Request::new(()))
            .expect_err("must reject");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(status.message(), "missing bearer token");
    }

    #[test]
    fn basic_scheme_is_unauthenticated() {
        let status = interceptor()
            .call(request_with("Basic x"))
            .expect_err("must reject");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("Bearer"), "{}", status.message());
    }

    #[test]
    fn malformed_bearer_headers_are_unauthenticated() {
        for header in ["Bearer", "Bearer ", "Bearerabc", "Bearer a b"] {
            let status = interceptor().call(request_with(header)).expect_err(header);
            assert_eq!(status.code(), Code::Unauthenticated, "{header}");
        }
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let mut request = request_with(&format!("Bearer {}", token(&[Role::Service])));
        request.metadata_mut().append(
            AUTHORIZATION,
            MetadataValue::try_from("Bearer other").expect("ascii"),
        );
        let status = interceptor().call(request).expect_err("must reject");
        assert_eq!(status.code(), Code::Unauthenticated);
    }

    #[test]
    fn valid_token_puts_the_principal_in_extensions() {
        let request = interceptor()
            .call(request_with(&format!("Bearer {}", token(&[Role::PcnLead]))))
            .expect("accepted");
        let caller = principal(&request).expect("principal");
        assert_eq!(caller.subject, "staff-1");
        assert_eq!(caller.organisation, "A81001");
        assert_eq!(caller.roles, vec![Role::PcnLead]);
    }

    #[test]
    fn lowercase_scheme_is_accepted() {
        let request = interceptor()
            .call(request_with(&format!("bearer {}", token(&[]))))
            .expect("accepted");
        assert!(principal(&request).is_ok());
    }

    #[test]
    fn invalid_token_is_unauthenticated_without_echoing_it() {
        let forged = sign_hs256(&claims_now(600), b"not-the-secret");
        let status = interceptor()
            .call(request_with(&format!("Bearer {forged}")))
            .expect_err("must reject");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(
            status.message().contains("signature"),
            "{}",
            status.message()
        );
        assert!(!status.message().contains(&forged));
    }

    #[test]
    fn missing_required_role_is_permission_denied() {
        let status = interceptor()
            .requiring(Role::Service)
            .call(request_with(&format!(
                "Bearer {}",
                token(&[Role::PracticeManager])
            )))
            .expect_err("must deny");
        assert_eq!(status.code(), Code::PermissionDenied);
        assert!(status.message().contains("service"), "{}", status.message());
    }

    #[test]
    fn any_of_the_required_roles_is_enough() {
        let guarded = interceptor()
            .requiring(Role::Service)
            .requiring(Role::NationalLead);
        let request = guarded
            .clone()
            .call(request_with(&format!(
                "Bearer {}",
                token(&[Role::NationalLead])
            )))
            .expect("accepted");
        assert!(
            principal(&request)
                .expect("principal")
                .has_role(Role::NationalLead)
        );
    }

    #[test]
    fn principal_without_interceptor_is_unauthenticated() {
        let status = principal(&Request::new(())).expect_err("no principal");
        assert_eq!(status.code(), Code::Unauthenticated);
    }

    #[test]
    fn bearer_token_client_interceptor_feeds_the_server_interceptor() {
        let mut client = BearerToken::new(token(&[Role::Service])).expect("token");
        let outgoing = client.call(Request::new(())).expect("client");
        let incoming = interceptor()
            .requiring(Role::Service)
            .call(outgoing)
            .expect("server");
        assert!(
            principal(&incoming)
                .expect("principal")
                .has_role(Role::Service)
        );
    }

    #[test]
    fn bearer_token_replaces_an_existing_header_and_hides_itself() {
        let mut client = BearerToken::new("abc.def.ghi").expect("token");
        let request = client.call(request_with("Basic x")).expect("client");
        let values: Vec<_> = request.metadata().get_all(AUTHORIZATION).iter().collect();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].to_str().expect("ascii"), "Bearer abc.def.ghi");
        assert!(values[0].is_sensitive());
        assert!(!format!("{client:?}").contains("abc.def.ghi"));
    }

    #[test]
    fn bearer_token_rejects_unusable_values() {
        assert_eq!(BearerToken::new("").err(), Some(AuthError::MissingToken));
        assert_eq!(
            BearerToken::new("a b").err(),
            Some(AuthError::MalformedHeader)
        );
        assert_eq!(
            BearerToken::new("caf\u{e9}").err(),
            Some(AuthError::MalformedHeader)
        );
    }
}
