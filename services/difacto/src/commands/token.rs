//! `difacto token`: mints a development token signed with the development secret.

use std::io::Write;

use auth::TokenIssuer;

use crate::cli::{AuthArgs, TokenArgs};

pub fn run(args: TokenArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    let org = args.org.trim();
    if org.is_empty() {
        anyhow::bail!("--org must name an organisation code, e.g. A81001");
    }
    let secret = crate::settings::dev_secret(auth, &args.data.data_dir, false)?;
    let subject = args.sub.unwrap_or_else(|| format!("dev-user@{org}"));
    let token = TokenIssuer::hs256(&secret, &auth.jwt_issuer, &auth.jwt_audience).mint(
        &subject,
        org,
        &args.roles,
        args.ttl,
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")?;
    Ok(())
}
