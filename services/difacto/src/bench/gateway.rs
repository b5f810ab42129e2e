//! `difacto bench gateway`: the GraphQL views over HTTP on loopback, on the demo dataset,
//! through the same gateway `difacto dev` runs (read models folded from an embedded sled
//! log, token checked on every request).
//!
//! Reference, measured in the same run: `{ __typename }` with the same token, which pays
//! for HTTP, the token check and GraphQL parsing and nothing else; every view's p50 and
//! p99 are shown as ratios to it. Also measured: an `asOf` view (a replay of the log cut
//! at that time), the read models' replay rate from zero, the process's resident memory
//! after the load, the log's and the checkpoint's size on disk, and how long a restart
//! from the checkpoint takes to be ready.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use auth::Role;
use eventlog::EventLog;
use tokio_util::sync::CancellationToken;

use super::measure::dir_bytes;
use super::on_demo::{
    self, Ask, CATCH_UP, Dataset, Http, Latency, REQUESTS, ROW_BUDGET, WARM_UP, measure, ms,
    open_log, size, start_gateway, token,
};
use super::report;
use crate::cli::BenchArgs;

/// The codes and ids the queries name, picked from the loaded data itself.
#[derive(Debug)]
struct Subjects {
    icb: String,
    programme: String,
    practice: String,
}

async fn subjects(http: &mut Http, national: &str) -> anyhow::Result<Subjects> {
    let icbs = http
        .data(
            Some(national),
            "{ organisations(kind: ICB, first: 500) { nodes { code } } }",
        )
        .await?;
    let icbs: Vec<String> = icbs["organisations"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["code"].as_str().map(str::to_owned))
        .collect();
    // The ICB with the most practices: the heaviest one-ICB question.
    let mut best = None;
    for icb in icbs {
        let count = http
            .data(
                Some(national),
                &format!(
                    r#"{{ organisations(kind: PRACTICE, within: "{icb}", first: 0) {{ totalCount }} }}"#
                ),
            )
            .await?["organisations"]["totalCount"]
            .as_u64()
            .unwrap_or(0);
        if best.as_ref().is_none_or(|(_, most)| count > *most) {
            best = Some((icb, count));
        }
    }
    let Some((icb, _)) = best else {
        bail!("the dataset has no ICB");
    };
    let programme = http
        .data(Some(national), "{ programmes(first: 1) { nodes { id } } }")
        .await?["programmes"]["nodes"][0]["id"]
        .as_str()
        .context("the dataset has no training programme")?
        .to_owned();
    let practice = http
        .data(
            Some(national),
            &format!(
                r#"{{ organisations(kind: PRACTICE, within: "{icb}", first: 1) {{ nodes {{ code }} }} }}"#
            ),
        )
        .await?["organisations"]["nodes"][0]["code"]
        .as_str()
        .context("the ICB has no practice")?
        .to_owned();
    Ok(Subjects {
        icb,
        programme,
        practice,
    })
}

/// One row of the latency table.
struct Row {
    what: String,
    latency: Latency,
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let loaded = on_demo::load().await?;
    let (log, head) = (loaded.log.clone(), loaded.head);
    let rss_after_load = telemetry::metrics::resident_bytes().unwrap_or(0);

    let national = token("X24", Role::NationalLead)?;
    let mut http = Http::connect(loaded.gateway.http_addr).await?;
    let subjects = subjects(&mut http, &national).await?;
    let commissioner = token(&subjects.icb, Role::IcbCommissioner)?;
    let practice_manager = token(&subjects.practice, Role::PracticeManager)?;
    // Half way through the demo's year: duties, owners and the tree as they stood then
    // (a year ago nothing was owned yet, which would measure an empty answer).
    let mid_year = chrono::Utc::now().date_naive() - chrono::Days::new(180);
    eprintln!("querying {subjects:?}");
    let Subjects {
        icb,
        programme,
        practice,
    } = &subjects;

    let reference = measure(&mut http, Some(&national), &Ask::graphql("{ __typename }")).await?;
    let gaps_query = |area: &str, as_of: &str| {
        format!(
            r#"{{ responsibilityGaps(area: "{area}", first: 100{as_of}) {{ onDate coverage {{ duty {{ id title }} level units counts {{ flag units }} byUnit {{ totalCount nodes {{ unit {{ code }} flags responsible {{ code }} accountable {{ code }} declined {{ assignee {{ code }} reason }} misattributions {{ attributedBy {{ code }} believedOwner {{ code }} }} }} }} }} above {{ duty {{ id }} level accountable {{ code }} }} }} }}"#
        )
    };
    let heat_map = r#"{ responsibilityGaps(area: "X24", groupBy: ICB) { coverage { duty { id title } level units counts { flag units } byArea { area { code name } units counts { flag units } } } } }"#;
    let rollout = |group: &str, within: &str| {
        format!(
            r#"{{ trainingRollout(programme: "{programme}", groupBy: {group}, within: "{within}") {{ totals {{ practices enrolled completed staffInPost trained percentTrained practicesWithoutDenominator targetPercent expectedPercent onTrack practicesWithoutTrainedReception byRole {{ role enrolled completed staffInPost }} }} weekly {{ weekStarting completed cumulativeCompleted trained staffInPost percentTrained expectedPercent }} groups(first: 100) {{ totalCount nodes {{ area {{ code name }} figures {{ practices staffInPost trained percentTrained practicesWithoutDenominator onTrack practicesWithoutTrainedReception }} }} }} practicesWithoutTrainedReception(first: 50) {{ totalCount nodes {{ code }} }} }} }}"#
        )
    };
    let queries: Vec<(String, &str, String)> = vec![
        (
            format!("responsibilityGaps, one ICB ({icb})"),
            &commissioner,
            gaps_query(icb, ""),
        ),
        (
            "responsibilityGaps roll-up by ICB, nationally (within X24)".into(),
            &national,
            heat_map.to_owned(),
        ),
        (
            "trainingRollout by ICB, nationally (within X24)".into(),
            &national,
            rollout("ICB", "X24"),
        ),
        (
            format!("trainingRollout by PRACTICE, one ICB ({icb})"),
            &commissioner,
            rollout("PRACTICE", icb),
        ),
        (
            format!("sessions(openOnly), one ICB ({icb})"),
            &commissioner,
            format!(
                r#"{{ sessions(within: "{icb}", openOnly: true, first: 50) {{ totalCount nodes {{ id title startsAt partner {{ code }} capacity booked available waitlisted languages }} }} }}"#
            ),
        ),
        (
            "facilitationMix by REGION, nationally (within X24)".into(),
            &national,
            r#"{ facilitationMix(within: "X24", groupBy: REGION) { totals { records patients { display } proactiveShare byMode { key records patients { display } } byService { key records } byPatientGroup { key records } } groups { area { code } figures { records patients { display } proactiveShare byMode { key records } } } } }"#.into(),
        ),
        (
            format!("serviceStatus, one ICB ({icb})"),
            &commissioner,
            format!(
                r#"{{ serviceStatus(within: "{icb}", first: 100) {{ totalCount nodes {{ practice {{ code }} service status reason reasonKind effectiveDate }} }} }}"#
            ),
        ),
        (
            "platformIssues (all providers)".into(),
            &national,
            "{ platformIssues(first: 50) { totalCount nodes { id platform { name provider { code } } reportedBy { code } category severity status reportedAt } } }".into(),
        ),
        (
            format!("organisations(kind: PRACTICE, within {icb}, first: 100)"),
            &commissioner,
            format!(
                r#"{{ organisations(kind: PRACTICE, within: "{icb}", first: 100) {{ totalCount nodes {{ code name parent {{ code }} active }} }} }}"#
            ),
        ),
        (
            format!("commissioning, one ICB ({icb})"),
            &commissioner,
            format!(
                r#"{{ commissioning(area: "{icb}") {{ totals {{ sessionsPromised sessionsHeld attended {{ display }} percentDelivered }} commissions(first: 50) {{ totalCount nodes {{ id status partner {{ code name }} startsOn endsOn delivery {{ sessionsPromised sessionsScheduled sessionsHeld sessionsToCome sessionsCancelled seatsBooked attended {{ display }} percentDelivered }} }} }} }} }}"#
            ),
        ),
        (
            format!("inbox of practice {practice}"),
            &practice_manager,
            "{ inbox { total proposals { id duty { title } proposer { code } } hostingRequests { id startsAt } retraining { changeId summary } } }".into(),
        ),
        (
            format!("responsibilityGaps onDate 180 days ago, one ICB ({icb})"),
            &commissioner,
            gaps_query(icb, &format!(r#", onDate: "{mid_year}""#)),
        ),
        (
            format!("history of practice-{practice}"),
            &commissioner,
            format!(
                r#"{{ history(stream: "practice-{practice}", first: 100) {{ totalCount nodes {{ position eventType recordedAt actor organisation }} }} }}"#
            ),
        ),
    ];
    let mut rows = Vec::new();
    for (what, token, query) in &queries {
        eprintln!("{what}…");
        let latency = measure(&mut http, Some(token), &Ask::graphql(query))
            .await
            .with_context(|| what.clone())?;
        rows.push(Row {
            what: what.clone(),
            latency,
        });
    }

    // asOf: the gaps as they stood half way through the log, which is a replay of the
    // log cut at that time; then the same question again, answered from the replay kept.
    let middle = log
        .read_all(head / 2, 1)
        .await?
        .into_iter()
        .next()
        .context("the log's middle event")?;
    let at = gateway::model::recorded_at(&middle).to_rfc3339();
    let as_of_query = gaps_query(icb, &format!(r#", asOf: "{at}""#));
    eprintln!("asOf {at} (position {})…", middle.position);
    let began = Instant::now();
    http.data(Some(&commissioner), &as_of_query).await?;
    let as_of_cold = began.elapsed();
    let as_of_kept = measure(&mut http, Some(&commissioner), &Ask::graphql(&as_of_query)).await?;

    // The read models rebuilt from zero, in this process.
    eprintln!("replaying the whole log into a new read model…");
    let began = Instant::now();
    let replayed = gateway::projection::replay_to(log.as_ref(), head)
        .await
        .map_err(|err| anyhow::anyhow!("replay: {}", err.message()))?;
    let replay = began.elapsed();
    if replayed.position != head {
        bail!("the replay stopped at {} of {head}", replayed.position);
    }
    drop(replayed);

    drop(http);
    drop(log);
    let (dir, dataset) = (loaded.dir.clone(), loaded.dataset.clone());
    let _scratch = loaded.close().await?;
    let log_bytes = dir_bytes(&dir.join("log"))?;
    let checkpoint_bytes = dir_bytes(&dir.join("read-models"))?;

    // Restart on the same directory: the log reopened, the read models loaded from the
    // checkpoint, and the first answer served.
    eprintln!("restarting from the checkpoint…");
    let began = Instant::now();
    let sled = open_log(&dir)?;
    let log_opened = began.elapsed();
    let log: Arc<dyn EventLog> = Arc::new(sled.clone());
    let shutdown = CancellationToken::new();
    let gateway = start_gateway(log.clone(), &dir, shutdown.clone()).await?;
    if !gateway.projection.wait_for(head, CATCH_UP).await {
        bail!("after the restart the read models did not reach {head}");
    }
    let mut http = Http::connect(gateway.http_addr).await?;
    http.data(Some(&national), "{ __typename }").await?;
    let restart = began.elapsed();
    let resumed_from = gateway
        .projection
        .stats
        .resumed_from
        .load(std::sync::atomic::Ordering::Relaxed);
    drop(http);
    shutdown.cancel();
    gateway.stopped().await?;
    drop(log);
    sled.close().await?;

    let body = render(&Report {
        dataset,
        head,
        reference,
        rows,
        as_of_at: at,
        as_of_cold,
        as_of_kept,
        replay,
        rss_after_load,
        log_bytes,
        checkpoint_bytes,
        log_opened,
        restart,
        resumed_from,
    });
    report::write_section(&args.out, "gateway", &body)?;
    eprintln!("{body}");
    Ok(())
}

struct Report {
    dataset: Dataset,
    head: u64,
    reference: Latency,
    rows: Vec<Row>,
    as_of_at: String,
    as_of_cold: Duration,
    as_of_kept: Latency,
    replay: Duration,
    rss_after_load: u64,
    log_bytes: u64,
    checkpoint_bytes: u64,
    log_opened: Duration,
    restart: Duration,
    resumed_from: u64,
}

fn render(r: &Report) -> String {
    let ratio = |d: Duration, reference: Duration| d.as_secs_f64() / reference.as_secs_f64();
    let row = |what: &str, l: &Latency| {
        format!(
            "| {what} | {} | {} | {} | {} | {:.1} | {:.1} |",
            size(l.bytes as u64),
            l.requests,
            ms(l.p50),
            ms(l.p99),
            ratio(l.p50, r.reference.p50),
            ratio(l.p99, r.reference.p99)
        )
    };
    let mut table = vec![row("**reference:** `{ __typename }`", &r.reference)];
    table.extend(r.rows.iter().map(|x| row(&x.what, &x.latency)));
    table.push(row(
        "responsibilityGaps with `asOf` (the replay kept from the first request)",
        &r.as_of_kept,
    ));
    let p99_of = |prefix: &str| {
        r.rows
            .iter()
            .find(|x| x.what.starts_with(prefix))
            .map_or(Duration::MAX, |x| x.latency.p99)
    };
    let gaps = p99_of("responsibilityGaps, one ICB");
    let heat_map = p99_of("responsibilityGaps roll-up");
    let inbox = p99_of("inbox of practice");
    let commissioning = p99_of("commissioning, one ICB");
    let on_date = p99_of("responsibilityGaps onDate");
    let rollout = p99_of("trainingRollout by ICB");
    let yes = |met: bool| if met { "yes" } else { "**no**" };
    let gib = 1024.0 * 1024.0 * 1024.0;
    let events_per_second = r.head as f64 / r.replay.as_secs_f64();
    format!(
        "## GraphQL gateway (`difacto bench gateway`)\n\n\
         Machine: {machine}. Data: {dataset}; {head} events, loaded in {load:.1} s through the domain services in-process, \
         while the gateway folded them live (as `difacto dev --demo` does).\n\n\
         Each query is sent over one keep-alive HTTP/1.1 connection on loopback, one request at a time, \
         {WARM_UP} times to warm up and then up to {REQUESTS} times (at most {budget} s per query); \
         ratios are to the reference's p50 and p99, measured in the same run with the same token.\n\n\
         | query | answer | requests | p50 | p99 | p50 ÷ ref | p99 ÷ ref |\n|---|---:|---:|---:|---:|---:|---:|\n\
         {table}\n\n\
         | also measured | |\n|---|---:|\n\
         | `asOf` {as_of_at} (half way through the log): first answer, a replay of the log cut there | {as_of:.2} s |\n\
         | read models replayed from zero (`projection::replay_to`, {head} events) | {replay:.2} s, {rate:.0} events/s |\n\
         | process RSS after the load (log, services and gateway in one process) | {rss} |\n\
         | log on disk (sled) | {log} |\n\
         | read model checkpoint on disk | {checkpoint} |\n\
         | restart on the same directory until the first answer (read models resumed from position {resumed}) | {restart:.2} s (of which opening the log {opened:.2} s) |\n\n\
         | floor | measured | met |\n|---|---:|:---:|\n\
         | responsibilityGaps, one ICB: p99 ≤ 10 ms | {gaps} | {gaps_met} |\n\
         | responsibilityGaps roll-up within X24: p99 ≤ 50 ms | {heat_map} | {heat_map_met} |\n\
         | inbox of a practice: p99 ≤ 20 ms | {inbox} | {inbox_met} |\n\
         | commissioning, one ICB: p99 ≤ 20 ms | {commissioning} | {commissioning_met} |\n\
         | responsibilityGaps with onDate, one ICB: p99 ≤ 20 ms | {on_date} | {on_date_met} |\n\
         | trainingRollout by ICB, nationally: p99 ≤ 50 ms | {rollout} | {rollout_met} |\n\
         | an `asOf` view ≤ 3 s | {as_of:.2} s | {as_of_met} |\n\
         | RSS ≤ 1.5 GiB | {rss} | {rss_met} |\n",
        machine = report::machine(),
        dataset = r.dataset.name,
        head = r.head,
        load = r.dataset.load.as_secs_f64(),
        budget = ROW_BUDGET.as_secs(),
        table = table.join("\n"),
        as_of_at = r.as_of_at,
        as_of = r.as_of_cold.as_secs_f64(),
        replay = r.replay.as_secs_f64(),
        rate = events_per_second,
        rss = size(r.rss_after_load),
        log = size(r.log_bytes),
        checkpoint = size(r.checkpoint_bytes),
        resumed = r.resumed_from,
        restart = r.restart.as_secs_f64(),
        opened = r.log_opened.as_secs_f64(),
        gaps = ms(gaps),
        gaps_met = yes(gaps <= Duration::from_millis(10)),
        heat_map = ms(heat_map),
        heat_map_met = yes(heat_map <= Duration::from_millis(50)),
        inbox = ms(inbox),
        inbox_met = yes(inbox <= Duration::from_millis(20)),
        commissioning = ms(commissioning),
        commissioning_met = yes(commissioning <= Duration::from_millis(20)),
        on_date = ms(on_date),
        on_date_met = yes(on_date <= Duration::from_millis(20)),
        rollout = ms(rollout),
        rollout_met = yes(rollout <= Duration::from_millis(50)),
        as_of_met = yes(r.as_of_cold <= Duration::from_secs(3)),
        rss_met = yes(r.rss_after_load as f64 <= 1.5 * gib),
    )
}
