//! The OpenID Connect settings of the web app (`--oidc-*`, `DIFACTO_OIDC_*`) on `dev` and
//! `serve gateway`, checked at start with errors naming the flag.

use std::path::Path;

use anyhow::Context;
use auth::Role;
use clap::Args;
use gateway::web::oidc::{ClaimMapping, Oidc, OidcSettings};

use crate::cli::AuthArgs;

/// Signing in to the web app through an OpenID Connect issuer (NHS CIS2 in real
/// deployments). Without --oidc-issuer, the development form signs people in.
#[derive(Debug, Args)]
pub struct OidcArgs {
    /// The issuer's URL; its /.well-known/openid-configuration is read for the endpoints
    /// and keys. Setting it replaces the development sign-in form.
    #[arg(long, env = "DIFACTO_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// What the sign-in button calls the issuer (default: its host name).
    #[arg(long, env = "DIFACTO_OIDC_NAME", requires = "oidc_issuer")]
    pub oidc_name: Option<String>,
    /// The client id difacto is registered with at the issuer.
    #[arg(long, env = "DIFACTO_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// The client secret; leave it out for a public client (PKCE alone).
    #[arg(
        long,
        env = "DIFACTO_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        requires = "oidc_issuer"
    )]
    pub oidc_client_secret: Option<String>,
    /// Where the issuer sends people back (default: http://<http-addr>/signin/callback;
    /// behind a proxy, the public https:// URL of /signin/callback).
    #[arg(long, env = "DIFACTO_OIDC_REDIRECT_URL", requires = "oidc_issuer")]
    pub oidc_redirect_url: Option<String>,
    /// Scopes to ask for besides `openid`, e.g. `profile,nationalrbacaccess`.
    #[arg(
        long = "oidc-scope",
        env = "DIFACTO_OIDC_SCOPES",
        value_delimiter = ',',
        requires = "oidc_issuer"
    )]
    pub oidc_scopes: Vec<String>,
    /// The claim (or dotted path into nested objects) holding the organisation code.
    #[arg(long, env = "DIFACTO_OIDC_ORG_CLAIM", default_value = "org")]
    pub oidc_org_claim: String,
    /// The claim (or dotted path) holding the person's roles: a string or a list.
    #[arg(long, env = "DIFACTO_OIDC_ROLES_CLAIM", default_value = "roles")]
    pub oidc_roles_claim: String,
    /// Which claim value grants which difacto role, as `role=value` (repeat, or separate
    /// with commas). Without any, a value that is a difacto role name grants that role.
    #[arg(
        long = "oidc-role",
        env = "DIFACTO_OIDC_ROLES",
        value_delimiter = ',',
        value_parser = parse_role_value,
        requires = "oidc_issuer"
    )]
    pub oidc_roles: Vec<(Role, String)>,
}

/// Parses `role=claimvalue`.
fn parse_role_value(text: &str) -> Result<(Role, String), String> {
    let (role, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not role=claimvalue"))?;
    let role: Role = role
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not a difacto role", role.trim()))?;
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{text:?} maps {role} from an empty value"));
    }
    Ok((role, value.to_owned()))
}

/// The issuer the flags configure, if any. Its sessions carry tokens difacto mints: with
/// the HS256 secret, or, where tokens are checked with --jwt-public-key, with its private
/// half (--jwt-signing-key), which such a deployment must then give the gateway.
pub fn issuer(args: &OidcArgs, auth: &AuthArgs) -> anyhow::Result<Option<Oidc>> {
    let Some(issuer) = &args.oidc_issuer else {
        return Ok(None);
    };
    if auth.jwt_public_key.is_some() && auth.jwt_signing_key.is_none() {
        anyhow::bail!(
            "--oidc-issuer (DIFACTO_OIDC_ISSUER) with --jwt-public-key needs --jwt-signing-key (DIFACTO_JWT_SIGNING_KEY): \
             the private key that signs web sessions' tokens so that the public key accepts them"
        );
    }
    let Some(client_id) = &args.oidc_client_id else {
        anyhow::bail!(
            "--oidc-client-id (DIFACTO_OIDC_CLIENT_ID) is required with --oidc-issuer: the id difacto is registered with at the issuer"
        );
    };
    let roles = args
        .oidc_roles
        .iter()
        .map(|(role, value)| (value.clone(), *role))
        .collect();
    let mapping = ClaimMapping::new(&args.oidc_org_claim, &args.oidc_roles_claim, roles)
        .map_err(|reason| {
            anyhow::anyhow!(
                "the OpenID Connect claim mapping (--oidc-org-claim, --oidc-roles-claim, --oidc-role): {reason}"
            )
        })?;
    let settings = OidcSettings {
        issuer: issuer.clone(),
        name: args.oidc_name.clone(),
        client_id: client_id.clone(),
        client_secret: args.oidc_client_secret.clone(),
        redirect_url: args.oidc_redirect_url.clone(),
        scopes: args.oidc_scopes.clone(),
        mapping,
    };
    let oidc = Oidc::new(settings).map_err(|err| {
        let flag = match err.setting {
            "issuer" => "--oidc-issuer (DIFACTO_OIDC_ISSUER)",
            "client_id" => "--oidc-client-id (DIFACTO_OIDC_CLIENT_ID)",
            "redirect_url" => "--oidc-redirect-url (DIFACTO_OIDC_REDIRECT_URL)",
            "scopes" => "--oidc-scope (DIFACTO_OIDC_SCOPES)",
            _ => "--oidc-*",
        };
        anyhow::anyhow!("{flag}: {}", err.reason)
    })?;
    Ok(Some(oidc))
}

/// The web app's sign-in with an issuer: sessions keyed and tokens minted with the
/// signing key where tokens are checked with a public key, else with the development
/// secret (the flag, or the one in `data_dir`).
pub fn web(
    oidc: Oidc,
    auth: &AuthArgs,
    data_dir: &Path,
) -> anyhow::Result<gateway::web::WebConfig> {
    let (key_material, issuer) = match &auth.jwt_signing_key {
        Some(path) => {
            let pem = std::fs::read(path).with_context(|| {
                format!(
                    "--jwt-signing-key (DIFACTO_JWT_SIGNING_KEY): cannot read {}",
                    path.display()
                )
            })?;
            let issuer = crate::settings::signing_issuer(auth, &pem)?;
            (pem, issuer)
        }
        None => {
            let secret = crate::settings::dev_secret(auth, data_dir, true)
                .context("--oidc-issuer: web sessions need the HS256 secret")?;
            let issuer = auth::TokenIssuer::hs256(&secret, &auth.jwt_issuer, &auth.jwt_audience);
            (secret, issuer)
        }
    };
    Ok(gateway::web::WebConfig::openid_connect(
        &key_material,
        issuer,
        oidc,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_values() {
        assert_eq!(
            parse_role_value("icb_commissioner = ICB-COMM"),
            Ok((Role::IcbCommissioner, "ICB-COMM".into()))
        );
        assert!(parse_role_value("icb_commissioner").is_err());
        assert!(parse_role_value("wizard=x").is_err());
        assert!(parse_role_value("national_lead=").is_err());
    }
}
