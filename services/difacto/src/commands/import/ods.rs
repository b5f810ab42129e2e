//! `difacto import ods`: brings the registry in line with NHS ODS files. It reads the
//! files whole and refuses the wrong file before anything is recorded, compares them
//! with the registry the log holds ([`super::plan`]), records the differences through
//! IcbService, parents before children, and ends with one `RegistryImported` per file.
//! An interrupted import is completed by running it again: the plan is made afresh
//! from what the log then holds.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

use chrono::{NaiveDate, Utc};

use import::apply::ImportedFile;
use import::epraccur::{self, Epraccur};
use import::file::{BadRow, Source};
use import::map::{self, Map};
use import::plan::{self, Plan};

use super::send::{self, RequestIds};
use super::target::Target;
use crate::cli::{AuthArgs, ImportOdsArgs};

/// Bad rows listed one by one; past this, how many more.
const BAD_ROWS_SHOWN: usize = 50;

pub async fn run(args: ImportOdsArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    // Every file is read and judged before the log is touched: a wrong file records
    // nothing.
    let epraccur_source = args
        .epraccur
        .as_deref()
        .map(|path| Source::read("--epraccur", path))
        .transpose()?;
    let map_source = args
        .map
        .as_deref()
        .map(|path| Source::read("--map", path))
        .transpose()?;
    let epraccur: Option<Epraccur> = epraccur_source
        .as_ref()
        .map(|s| {
            epraccur::parse(&s.bytes, args.include_wales)
                .map_err(|reason| anyhow::anyhow!("--epraccur: {} {reason}", s.name))
        })
        .transpose()?;
    let map: Option<Map> = map_source
        .as_ref()
        .map(|s| map::parse(&s.bytes).map_err(|r| anyhow::anyhow!("--map: {} {r}", s.name)))
        .transpose()?;
    let extract = args
        .extract_date
        .or_else(|| map.as_ref().and_then(|m| m.extract_date))
        .unwrap_or_else(|| Utc::now().date_naive());

    report_bad_rows(epraccur_source.as_ref(), epraccur.as_ref().map(|e| &e.bad));
    report_bad_rows(map_source.as_ref(), map.as_ref().map(|m| &m.bad));

    let target = Target::open(&args.target, auth).await?;
    let registry = target.registry().await?;
    let plan = plan::plan(&registry, epraccur.as_ref(), map.as_ref(), extract);
    // In-process, this is the store's own cached tree: held while commands fold into it,
    // every command would copy the whole tree.
    drop(registry);
    for note in &plan.notes {
        tracing::warn!("{note}");
    }
    let mut summary = summary(&plan, epraccur.as_ref(), map.as_ref(), extract, &args);
    if args.dry_run {
        summary.push_str("dry run: nothing recorded\n");
        write!(std::io::stdout().lock(), "{summary}")?;
        return target.close().await;
    }

    let mut ids = RequestIds::new("import-ods");
    let total: usize = plan.phases.iter().map(Vec::len).sum();
    let bar = send::progress(total as u64, "recording the registry");
    let files: Vec<ImportedFile> = [
        (epraccur_source.as_ref(), epraccur.as_ref().map(|e| e.rows)),
        (map_source.as_ref(), map.as_ref().map(|m| m.rows)),
    ]
    .into_iter()
    .filter_map(|(source, rows)| {
        Some(ImportedFile {
            source: source?,
            rows: rows?,
        })
    })
    .collect();
    let applied = import::apply(
        plan.phases,
        &files,
        extract,
        &target.sender,
        &mut |_| ids.next(),
        &|| bar.inc(1),
    )
    .await;
    bar.finish_and_clear();
    if !applied.refused.is_empty() {
        for refusal in applied.refused.iter().take(BAD_ROWS_SHOWN) {
            tracing::error!("refused: {refusal}");
        }
        target.close().await?;
        anyhow::bail!(
            "{} change(s) were refused (listed above); the registry is not marked as imported: correct the cause and run the import again",
            applied.refused.len()
        );
    }
    for file in &files {
        writeln!(
            summary,
            "recorded RegistryImported for {} (blake3 {})",
            file.source.name,
            &file.source.digest[..16]
        )?;
    }
    writeln!(summary, "done in {:.1} s", started.elapsed().as_secs_f64())?;
    write!(std::io::stdout().lock(), "{summary}")?;
    target.close().await
}

/// Each bad row on stderr, by line and column.
fn report_bad_rows(source: Option<&Source>, bad: Option<&Vec<BadRow>>) {
    let (Some(source), Some(bad)) = (source, bad) else {
        return;
    };
    for row in bad.iter().take(BAD_ROWS_SHOWN) {
        tracing::warn!("{}: {row}; row skipped", source.name);
    }
    if bad.len() > BAD_ROWS_SHOWN {
        tracing::warn!(
            "{}: {} more bad rows skipped",
            source.name,
            bad.len() - BAD_ROWS_SHOWN
        );
    }
}

/// What was read, skipped, created and changed, in the words of the people who read it.
fn summary(
    plan: &Plan,
    epraccur: Option<&Epraccur>,
    map: Option<&Map>,
    extract: NaiveDate,
    args: &ImportOdsArgs,
) -> String {
    let mut out = String::new();
    let c = &plan.counts;
    let verb = if args.dry_run { "would be " } else { "" };
    let mut malformed = 0;
    if let Some(e) = epraccur {
        let _ = writeln!(
            out,
            "read {} rows of epraccur (extract date {extract})",
            e.rows
        );
        malformed += e.bad.len();
    }
    if let Some(m) = map {
        let _ = writeln!(out, "read {} rows of the practice map", m.rows);
        malformed += m.bad.len();
    }
    let (outside, not_gp) = epraccur.map_or((0, 0), |e| (e.outside_england, e.not_gp_practice));
    let skipped = c.closed + c.dormant_or_proposed + outside + not_gp + malformed as u32;
    let _ = writeln!(
        out,
        "skipped {skipped}: {} closed, {} dormant or proposed, {not_gp} not a GP practice, {outside} outside England, {malformed} malformed",
        c.closed, c.dormant_or_proposed
    );
    let created: Vec<String> = c
        .created
        .iter()
        .map(|(kind, n)| plan::how_many(*n, *kind))
        .collect();
    let _ = writeln!(
        out,
        "{verb}created {}: {}",
        c.created_total(),
        if created.is_empty() {
            "nothing new".to_owned()
        } else {
            created.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "{verb}changed {}: {} renamed, {} moved, {} closed, {} merged",
        c.changed_total(),
        c.renamed,
        c.moved,
        c.closed_now,
        c.merged
    );
    if !plan.notes.is_empty() {
        let _ = writeln!(
            out,
            "{} organisation(s) left as they are (see the log)",
            plan.notes.len()
        );
    }
    out
}
