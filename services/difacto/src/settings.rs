//! Settings shared by several commands: where the log is, and how tokens are checked and
//! minted. Validated at start-up, with errors that name the setting.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context;
use auth::{KeyAlgorithm, Role, TokenIssuer, TokenVerifier};

use crate::cli::{AuthArgs, PublicKeyAlgorithm};

/// Where a process finds the log: `sled:<dir>` (embedded), `grpc://host:port` (remote)
/// or `nats://host:port[,host:port…]` (a JetStream cluster, DESIGN.md §3.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    Sled(PathBuf),
    Grpc(String),
    /// The servers' `host:port`s; the client finds the rest of the cluster itself.
    Nats(Vec<String>),
}

impl LogTarget {
    /// How a log line names this target.
    pub fn describe(&self) -> String {
        match self {
            Self::Sled(dir) => format!("sled:{}", dir.display()),
            Self::Grpc(url) => url.clone(),
            Self::Nats(servers) => format!("nats://{}", servers.join(",")),
        }
    }
}

/// Connects to the JetStream log on `servers` (creating its stream on first use).
pub async fn connect_nats(servers: &[String]) -> anyhow::Result<eventlog_nats::NatsLog> {
    let config = eventlog_nats::NatsConfig::new(servers.to_vec());
    eventlog_nats::NatsLog::connect(config)
        .await
        .with_context(|| format!("--log nats://{}", servers.join(",")))
}

impl FromStr for LogTarget {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(dir) = text.strip_prefix("sled:") {
            if dir.is_empty() {
                return Err("--log sled:<dir> needs a directory".into());
            }
            Ok(Self::Sled(PathBuf::from(dir)))
        } else if let Some(rest) = text.strip_prefix("grpc://") {
            if rest.is_empty() {
                return Err("--log grpc://host:port needs an address".into());
            }
            Ok(Self::Grpc(format!("http://{rest}")))
        } else if text.starts_with("nats://") {
            eventlog_nats::NatsConfig::parse_url(text)
                .map(Self::Nats)
                .map_err(|e| format!("--log nats://host:port[,host:port…]: {e}"))
        } else {
            Err(format!(
                "--log {text:?} must start with sled:, grpc:// or nats://"
            ))
        }
    }
}

/// The HS256 development secret: the flag or `DIFACTO_JWT_SECRET`, else the data directory's.
pub fn dev_secret(auth: &AuthArgs, data_dir: &Path, create: bool) -> anyhow::Result<Vec<u8>> {
    auth::resolve_dev_secret(auth.jwt_secret.as_deref(), data_dir, create).with_context(|| {
        format!(
            "no development secret: set DIFACTO_JWT_SECRET or start `difacto dev` once with --data-dir {}",
            data_dir.display()
        )
    })
}

impl From<PublicKeyAlgorithm> for KeyAlgorithm {
    fn from(alg: PublicKeyAlgorithm) -> Self {
        match alg {
            PublicKeyAlgorithm::Rs256 => KeyAlgorithm::Rs256,
            PublicKeyAlgorithm::Eddsa => KeyAlgorithm::EdDsa,
        }
    }
}

/// The issuer of web sessions' tokens from `pem`, the private half of --jwt-public-key;
/// refused at start when the public key would not accept what it signs.
pub fn signing_issuer(auth: &AuthArgs, pem: &[u8]) -> anyhow::Result<TokenIssuer> {
    const FLAG: &str = "--jwt-signing-key (DIFACTO_JWT_SIGNING_KEY)";
    let issuer = TokenIssuer::from_private_key_pem(
        auth.jwt_algorithm.into(),
        pem,
        &auth.jwt_issuer,
        &auth.jwt_audience,
    )
    .map_err(|e| anyhow::anyhow!("{FLAG}: {e}"))?;
    let probe = issuer
        .mint(
            "difacto-start",
            "X24",
            &[],
            std::time::Duration::from_secs(60),
        )
        .map_err(|e| anyhow::anyhow!("{FLAG}: {e}"))?;
    let verifier = verifier(auth, Path::new("."))?;
    if verifier.verify(&probe).is_err() {
        anyhow::bail!("{FLAG}: is not the private half of --jwt-public-key");
    }
    Ok(issuer)
}

/// How this process checks incoming tokens.
pub fn verifier(auth: &AuthArgs, data_dir: &Path) -> anyhow::Result<Arc<TokenVerifier>> {
    let verifier = match &auth.jwt_public_key {
        Some(path) => {
            let pem = std::fs::read(path).with_context(|| {
                format!("DIFACTO_JWT_PUBLIC_KEY: cannot read {}", path.display())
            })?;
            TokenVerifier::from_public_key_pem(
                auth.jwt_algorithm.into(),
                &pem,
                &auth.jwt_issuer,
                &auth.jwt_audience,
            )
            .with_context(|| {
                format!(
                    "DIFACTO_JWT_PUBLIC_KEY: {} is not a usable public key",
                    path.display()
                )
            })?
        }
        None => TokenVerifier::hs256(
            &dev_secret(auth, data_dir, true)?,
            &auth.jwt_issuer,
            &auth.jwt_audience,
        ),
    };
    Ok(Arc::new(verifier))
}

/// How the web app signs people in. With an OpenID Connect issuer, through it
/// (`crate::oidc`); else with the HS256 development secret (no public key), the
/// development form; with a public key, none, and sessions are sealed with a key of this
/// process only.
pub fn web(
    auth: &AuthArgs,
    data_dir: &Path,
    oidc: &crate::oidc::OidcArgs,
) -> anyhow::Result<gateway::web::WebConfig> {
    let web = match (crate::oidc::issuer(oidc, auth)?, &auth.jwt_public_key) {
        (Some(issuer), _) => crate::oidc::web(issuer, auth, data_dir)?,
        (None, Some(_)) => gateway::web::WebConfig::default(),
        (None, None) => gateway::web::WebConfig::development(
            &dev_secret(auth, data_dir, true)?,
            &auth.jwt_issuer,
            &auth.jwt_audience,
        ),
    };
    Ok(web.with_secure_cookies(auth.secure_cookies))
}

/// The xAPI endpoint's settings, when `--xapi-config` names a file. Basic clients act
/// through tokens minted with the HS256 secret, so they need it (and no public key).
pub fn xapi(
    auth: &AuthArgs,
    data_dir: &Path,
    args: &crate::cli::XapiArgs,
) -> anyhow::Result<Option<gateway::xapi::Xapi>> {
    let Some(path) = &args.xapi_config else {
        return Ok(None);
    };
    let named = |err: String| anyhow::anyhow!("--xapi-config {}: {err}", path.display());
    let config = gateway::xapi::config::XapiConfig::load(path).map_err(named)?;
    let issuer = match &auth.jwt_public_key {
        Some(_) => None,
        None => Some(TokenIssuer::hs256(
            &dev_secret(auth, data_dir, true)?,
            &auth.jwt_issuer,
            &auth.jwt_audience,
        )),
    };
    Ok(Some(
        gateway::xapi::Xapi::new(config, issuer).map_err(named)?,
    ))
}

/// Mints the token a process uses to call the log (role `service`).
pub fn service_token(auth: &AuthArgs, data_dir: &Path, subject: &str) -> anyhow::Result<String> {
    let issuer = TokenIssuer::hs256(
        &dev_secret(auth, data_dir, false)?,
        &auth.jwt_issuer,
        &auth.jwt_audience,
    );
    Ok(issuer.mint(
        subject,
        "X24",
        &[Role::Service],
        std::time::Duration::from_secs(365 * 86_400),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_targets() {
        assert_eq!("sled:/tmp/x".parse(), Ok(LogTarget::Sled("/tmp/x".into())));
        assert_eq!(
            "grpc://127.0.0.1:50051".parse(),
            Ok(LogTarget::Grpc("http://127.0.0.1:50051".into()))
        );
        assert!("sled:".parse::<LogTarget>().is_err());
        assert_eq!(
            "nats://127.0.0.1:4222,127.0.0.1:4223".parse(),
            Ok(LogTarget::Nats(vec![
                "127.0.0.1:4222".into(),
                "127.0.0.1:4223".into()
            ]))
        );
        assert!("nats://".parse::<LogTarget>().is_err());
        assert!("nats://host".parse::<LogTarget>().is_err());
        assert!("postgres://x".parse::<LogTarget>().is_err());
    }
}
