//! The demo dataset: being built on branch `demo`; this build refuses `--demo`.

#[derive(Debug)]
pub struct DemoSummary;

pub async fn load(
    _store: std::sync::Arc<difacto_services::Store>,
    _seed: u64,
    _progress: bool,
) -> anyhow::Result<DemoSummary> {
    anyhow::bail!("--demo: this build has no demo dataset yet")
}
