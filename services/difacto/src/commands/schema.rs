//! `difacto schema`: the GraphQL SDL the gateway serves, for clients and code generators.

use std::io::Write;

pub fn run() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(gateway::schema::sdl().as_bytes())?;
    out.flush()?;
    Ok(())
}
