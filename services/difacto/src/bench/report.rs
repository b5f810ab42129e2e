//! Writes one benchmark's section into BENCHMARKS.md, keeping the other sections.

use std::path::Path;

/// Replaces the text between this section's markers (or appends the section).
pub fn write_section(path: &Path, name: &str, body: &str) -> anyhow::Result<()> {
    let start = format!("<!-- bench:{name}:start -->");
    let end = format!("<!-- bench:{name}:end -->");
    let section = format!("{start}\n{}\n{end}", body.trim_end());
    let existing = std::fs::read_to_string(path).unwrap_or_else(|_| {
        "# Benchmarks\n\nEvery figure is measured next to a reference taken in the same run on the same machine; \
         regenerate with `difacto bench <target>` (a release build: `cargo run --release -p difacto -- bench <target>`).\n"
            .to_owned()
    });
    let updated = match (existing.find(&start), existing.find(&end)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{}{}",
            &existing[..a],
            section,
            &existing[b + end.len()..]
        ),
        _ => format!("{}\n{}\n", existing.trim_end(), section),
    };
    std::fs::write(path, updated)?;
    Ok(())
}

/// A short description of the machine, for the report's header.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    // Other work on the machine moves every figure, so the report says how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .map_or(String::new(), |l| {
            format!("; load average {l} as the run ended (its own work included)")
        });
    format!("{cores} cores, {cpu}{load}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_its_own_section() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("B.md");
        write_section(&path, "a", "first").expect("write");
        write_section(&path, "b", "other").expect("write");
        write_section(&path, "a", "second").expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("second") && text.contains("other") && !text.contains("first"));
    }
}
