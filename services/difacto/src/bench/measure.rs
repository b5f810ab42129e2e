//! Timing helpers: closed-loop workers with latency histograms.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What a closed-loop run measured.
#[derive(Debug, Clone)]
pub struct Throughput {
    pub operations: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `workers` tasks, each calling `operation(worker, i)` back to back for `duration`,
/// and records every call's latency.
pub async fn closed_loop<F, Fut>(
    workers: usize,
    duration: Duration,
    operation: F,
) -> anyhow::Result<Throughput>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let operation = Arc::new(operation);
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let operation = operation.clone();
            tokio::spawn(async move {
                let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
                let mut i = 0;
                while Instant::now() < deadline {
                    let began = Instant::now();
                    operation(worker, i).await?;
                    histogram.saturating_record(began.elapsed().as_micros() as u64);
                    i += 1;
                }
                anyhow::Ok(histogram)
            })
        })
        .collect();
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for task in tasks {
        total.add(task.await??)?;
    }
    let elapsed = start.elapsed();
    Ok(Throughput {
        operations: total.len(),
        elapsed,
        p50: Duration::from_micros(total.value_at_quantile(0.50)),
        p99: Duration::from_micros(total.value_at_quantile(0.99)),
    })
}

/// Sum of the sizes of every file under `dir`.
pub fn dir_bytes(dir: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
