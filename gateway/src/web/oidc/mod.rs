//! Signing in with OpenID Connect (DESIGN.md §10): the authorization code flow with PKCE
//! against a configured issuer, through the `openidconnect` crate (discovery, JWKS, the
//! ID token's signature, issuer, audience, nonce and expiry are all checked there, never
//! here). `mapping` turns the verified claims into an organisation and roles; `pending`
//! keeps a started sign-in (state, nonce, PKCE verifier) in a sealed, short-lived cookie;
//! the pages are `pages/oidc.rs`.

pub mod mapping;
pub mod pending;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse, UserInfoClaims, reqwest,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

pub use mapping::{ClaimMapping, Unmapped};
pub use pending::Pending;

/// How long discovered metadata (endpoints and signing keys) is trusted before it is
/// fetched again, so a provider's key rotation is picked up without a restart.
const METADATA_TTL: Duration = Duration::from_secs(600);
/// How long one request to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The issuer's settings, as the command line gives them (checked by [`Oidc::new`]).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    /// What the sign-in button calls the issuer ("Sign in with NHS CIS2").
    pub name: Option<String>,
    pub client_id: String,
    /// None for a public client, which PKCE alone protects.
    pub client_secret: Option<String>,
    /// None: `http://<the gateway's address>/signin/callback`, once it is bound.
    pub redirect_url: Option<String>,
    /// Scopes besides `openid`, which is always asked for.
    pub scopes: Vec<String>,
    pub mapping: ClaimMapping,
}

/// A setting that cannot be used, and why; `setting` is the [`OidcSettings`] field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
pub struct SettingError {
    pub setting: &'static str,
    pub reason: String,
}

/// Why a sign-in could not complete. The visitor sees a plain page; the log gets this.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("discovering the issuer's configuration: {0}")]
    Discovery(String),
    #[error("no redirect URL: the gateway's address is not known yet")]
    NoRedirect,
    #[error("exchanging the authorization code: {0}")]
    Exchange(String),
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    #[error("reading the user info: {0}")]
    UserInfo(String),
}

/// Every claim, standard or not, so the mapping can name any of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllClaims {
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}
impl AdditionalClaims for AllClaims {}

type IdTokenWithAll =
    IdToken<AllClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// The client as discovery makes it: an authorization endpoint, maybe token and user
/// info endpoints.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Who the provider says signed in: the subject and the claims the mapping reads (the
/// ID token's, completed from the user info endpoint for claims the token lacks, as NHS
/// CIS2 gives roles only there).
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub claims: Map<String, Value>,
}

/// One configured issuer: settings, an HTTP client that follows no redirect (a redirect
/// from a provider's endpoint could point anywhere), and its discovered metadata.
#[derive(Debug)]
pub struct Oidc {
    issuer: IssuerUrl,
    name: String,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    scopes: Vec<Scope>,
    pub mapping: ClaimMapping,
    redirect: OnceLock<RedirectUrl>,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, ProviderMetadataWithLogout)>>,
}

fn setting(setting: &'static str, reason: impl Into<String>) -> SettingError {
    SettingError {
        setting,
        reason: reason.into(),
    }
}

/// Plain HTTP is for a provider on this machine (development, tests); anything else must
/// be HTTPS.
fn secure_or_loopback(url: &openidconnect::url::Url) -> bool {
    url.scheme() == "https"
        || (url.scheme() == "http"
            && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Result<Self, SettingError> {
        let issuer = IssuerUrl::new(settings.issuer.trim().to_owned())
            .map_err(|err| setting("issuer", format!("not a URL ({err})")))?;
        if !secure_or_loopback(issuer.url()) {
            return Err(setting(
                "issuer",
                "must be an https:// URL (http:// only on 127.0.0.1 or localhost)",
            ));
        }
        let client_id = settings.client_id.trim();
        if client_id.is_empty() {
            return Err(setting("client_id", "is required with an issuer"));
        }
        let redirect = OnceLock::new();
        if let Some(url) = &settings.redirect_url {
            let url = RedirectUrl::new(url.trim().to_owned())
                .map_err(|err| setting("redirect_url", format!("not a URL ({err})")))?;
            if !secure_or_loopback(url.url()) {
                return Err(setting(
                    "redirect_url",
                    "must be an https:// URL (http:// only on 127.0.0.1 or localhost)",
                ));
            }
            let _ = redirect.set(url);
        }
        let mut scopes = Vec::new();
        for scope in settings.scopes.iter().flat_map(|s| s.split([' ', ','])) {
            let scope = scope.trim();
            if scope.is_empty() || scope == "openid" {
                continue;
            }
            if !scope
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            {
                return Err(setting("scopes", format!("{scope:?} is not a scope token")));
            }
            scopes.push(Scope::new(scope.to_owned()));
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|err| setting("issuer", format!("no HTTP client ({err})")))?;
        let name = settings
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .or_else(|| issuer.url().host_str().map(str::to_owned))
            .unwrap_or_else(|| "your identity provider".into());
        Ok(Self {
            issuer,
            name,
            client_id: ClientId::new(client_id.to_owned()),
            client_secret: settings
                .client_secret
                .filter(|s| !s.is_empty())
                .map(ClientSecret::new),
            scopes,
            mapping: settings.mapping,
            redirect,
            http,
            metadata: Mutex::new(None),
        })
    }

    /// What the sign-in page calls the issuer.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// Sets the redirect URL from the address the gateway is bound to, unless one was
    /// configured.
    pub fn default_redirect(&self, http_addr: SocketAddr) {
        if let Ok(url) = RedirectUrl::new(format!("http://{http_addr}/signin/callback")) {
            let _ = self.redirect.set(url);
        }
    }

    pub fn redirect_url(&self) -> Option<&str> {
        self.redirect.get().map(|u| u.as_str())
    }

    /// The provider's metadata, fetched again once it is older than [`METADATA_TTL`] or
    /// when `refresh` (a token signed with a key not yet seen).
    async fn metadata(&self, refresh: bool) -> Result<ProviderMetadataWithLogout, OidcError> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, metadata)) = cached.as_ref()
            && !refresh
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|err| OidcError::Discovery(chain(&err)))?;
        *cached = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Fetches the metadata now, so a misconfigured issuer shows in the log at start
    /// rather than at the first sign-in.
    pub async fn discover(&self) -> Result<(), OidcError> {
        self.metadata(false).await.map(|_| ())
    }

    async fn client(&self, refresh: bool) -> Result<DiscoveredClient, OidcError> {
        let redirect = self.redirect.get().ok_or(OidcError::NoRedirect)?;
        let metadata = self.metadata(refresh).await?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(redirect.clone()))
    }

    /// Starts a sign-in: the provider's authorization URL, and what the callback needs to
    /// finish it (kept by the caller in [`pending`]).
    pub async fn begin(&self) -> Result<(openidconnect::url::Url, Pending), OidcError> {
        let client = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.scopes {
            request = request.add_scope(scope.clone());
        }
        let (url, state, nonce) = request.url();
        Ok((
            url,
            Pending::new(
                state.secret().clone(),
                nonce.secret().clone(),
                verifier.secret().clone(),
            ),
        ))
    }

    /// Finishes a sign-in whose state the caller has checked: exchanges `code` with the
    /// PKCE verifier, verifies the ID token against `pending`'s nonce, and reads the
    /// claims.
    pub async fn finish(&self, pending: &Pending, code: &str) -> Result<Identity, OidcError> {
        let client = self.client(false).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|err| OidcError::Exchange(chain(&err)))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|err| OidcError::Exchange(chain(&err)))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::IdToken("the token response has no id_token".into()))?;
        // Read again with every claim kept; the token's checks are the crate's.
        let id_token: IdTokenWithAll = id_token
            .to_string()
            .parse()
            .map_err(|err: serde_json::Error| OidcError::IdToken(err.to_string()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // A key the cached metadata does not hold: the provider may have rotated
            // its keys since; fetch them once more and check again.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.client(true).await?;
                id_token
                    .claims(&fresh.id_token_verifier(), &nonce)
                    .map_err(|err| OidcError::IdToken(chain(&err)))?
                    .clone()
            }
            Err(err) => return Err(OidcError::IdToken(chain(&err))),
        };
        let subject = claims.subject().clone();
        let mut all = claims.additional_claims().claims.clone();
        let wanted = [&self.mapping.org_claim, &self.mapping.roles_claim];
        let missing = wanted.iter().any(|c| !has(&all, c));
        // The answer's subject must be the ID token's: the crate refuses it otherwise.
        if missing
            && let Ok(request) =
                client.user_info(response.access_token().clone(), Some(subject.clone()))
        {
            let info: UserInfoClaims<AllClaims, CoreGenderClaim> = request
                .request_async(&self.http)
                .await
                .map_err(|err| OidcError::UserInfo(chain(&err)))?;
            for (key, value) in &info.additional_claims().claims {
                all.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        Ok(Identity {
            subject: subject.to_string(),
            claims: all,
        })
    }

    /// Where to send a visitor who signed out so the provider ends its session too
    /// (RP-initiated logout), if the provider has an `end_session_endpoint`.
    pub async fn end_session_url(&self) -> Option<openidconnect::url::Url> {
        let metadata = self.metadata(false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request =
            openidconnect::LogoutRequest::from(endpoint).set_client_id(self.client_id.clone());
        if let Some(redirect) = self.redirect.get() {
            let mut home = redirect.url().clone();
            home.set_path("/");
            home.set_query(None);
            request = request.set_post_logout_redirect_uri(PostLogoutRedirectUrl::from_url(home));
        }
        Some(request.http_get_url())
    }
}

fn has(claims: &Map<String, Value>, path: &str) -> bool {
    claims.contains_key(path) || claims.contains_key(path.split('.').next().unwrap_or(path))
}

/// An error and its causes on one line: the crate's errors say little at the top.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
