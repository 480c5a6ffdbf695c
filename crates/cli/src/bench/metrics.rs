//! Figures the bench reads from the server's own `/metrics`.

/// One scrape of `/metrics`.
pub struct Scrape(String);

impl Scrape {
    pub async fn read(client: &reqwest::Client, base: &str) -> anyhow::Result<Self> {
        let text = client
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(Self(text))
    }

    /// The value of the first series whose line starts with `prefix` (0 when absent).
    pub fn value(&self, prefix: &str) -> f64 {
        self.0
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0)
    }

    /// `(label value, value)` of every series `name{label="…"}`.
    pub fn by_label(&self, name: &str, label: &str) -> Vec<(String, f64)> {
        let prefix = format!("{name}{{{label}=\"");
        self.0
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|rest| {
                let (value, n) = rest.split_once("\"} ")?;
                Some((value.to_owned(), n.parse().ok()?))
            })
            .collect()
    }

    /// Messages the simulated network reported delivered.
    pub fn delivered(&self) -> u64 {
        self.value("wagate_message_status_total{status=\"delivered\"}") as u64
    }

    /// The cumulative buckets `(le, count)` of an unlabelled histogram.
    pub fn buckets(&self, histogram: &str) -> Vec<(f64, f64)> {
        let prefix = format!("{histogram}_bucket{{le=\"");
        self.0
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|rest| {
                let (le, count) = rest.split_once("\"} ")?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, count.parse().ok()?))
            })
            .collect()
    }
}

/// The `q` quantile of the observations between two scrapes of a histogram, interpolated
/// linearly inside its bucket (as Prometheus' `histogram_quantile` does). `None` without
/// observations; the last finite bound when it falls in the `+Inf` bucket.
pub fn quantile(before: &[(f64, f64)], after: &[(f64, f64)], q: f64) -> Option<f64> {
    let counts: Vec<(f64, f64)> = after
        .iter()
        .map(|&(le, n)| {
            let was = before
                .iter()
                .find(|(b, _)| *b == le)
                .map_or(0.0, |(_, n)| *n);
            (le, n - was)
        })
        .collect();
    let total = counts.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(le, n) in &counts {
        if n >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let inside = (rank - lower.1) / (n - lower.1).max(f64::MIN_POSITIVE);
            return Some(lower.0 + (le - lower.0) * inside);
        }
        lower = (le, n);
    }
    Some(lower.0)
}

/// The SQLite writer's counters (all zero on PostgreSQL).
pub struct StoreStats {
    /// Seconds the writer spent per store operation.
    pub ops: Vec<(String, f64)>,
    pub transactions: f64,
    pub jobs: f64,
    pub busy_seconds: f64,
    pub commit_seconds: f64,
}

impl StoreStats {
    pub fn of(scrape: &Scrape) -> Self {
        Self {
            ops: scrape.by_label("wagate_store_job_seconds_sum", "op"),
            transactions: scrape.value("wagate_store_write_batch_size_count"),
            jobs: scrape.value("wagate_store_write_batch_size_sum"),
            busy_seconds: scrape.value("wagate_store_write_seconds_sum"),
            commit_seconds: scrape.value("wagate_store_commit_seconds_sum"),
        }
    }

    pub fn since(&self, before: &Self) -> Self {
        let was = |op: &str| {
            before
                .ops
                .iter()
                .find(|(o, _)| o == op)
                .map_or(0.0, |(_, s)| *s)
        };
        Self {
            ops: self
                .ops
                .iter()
                .map(|(op, s)| (op.clone(), s - was(op)))
                .filter(|(_, s)| *s > 0.0)
                .collect(),
            transactions: self.transactions - before.transactions,
            jobs: self.jobs - before.jobs,
            busy_seconds: self.busy_seconds - before.busy_seconds,
            commit_seconds: self.commit_seconds - before.commit_seconds,
        }
    }

    pub fn print(&self) {
        if !self.ops.is_empty() {
            let mut ops = self.ops.clone();
            ops.sort_by(|a, b| b.1.total_cmp(&a.1));
            let busy: f64 = ops.iter().map(|(_, s)| s).sum();
            let top: Vec<String> = ops
                .iter()
                .take(6)
                .map(|(op, s)| format!("{op} {:.0} %", 100.0 * s / busy.max(f64::MIN_POSITIVE)))
                .collect();
            println!("    writer time by operation: {}", top.join(", "));
        }
        if self.transactions > 0.0 {
            println!(
                "    store: {:.0} write transactions, {:.1} writes each, {:.2} ms each ({:.2} ms of it in COMMIT)",
                self.transactions,
                self.jobs / self.transactions,
                self.busy_seconds * 1000.0 / self.transactions,
                self.commit_seconds * 1000.0 / self.transactions,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_inside_the_bucket_of_the_rank() {
        let before = [
            (0.01, 10.0),
            (0.1, 10.0),
            (1.0, 10.0),
            (f64::INFINITY, 10.0),
        ];
        let after = [
            (0.01, 60.0),
            (0.1, 100.0),
            (1.0, 110.0),
            (f64::INFINITY, 110.0),
        ];
        // 100 new observations: 50 ≤ 10 ms, 40 in (10, 100] ms, 10 in (100 ms, 1 s].
        let p50 = quantile(&before, &after, 0.5).unwrap();
        assert!((p50 - 0.01).abs() < 1e-9, "{p50}");
        let p90 = quantile(&before, &after, 0.9).unwrap();
        assert!((p90 - 0.1).abs() < 1e-9, "{p90}");
        let p95 = quantile(&before, &after, 0.95).unwrap();
        assert!((p95 - 0.55).abs() < 1e-9, "{p95}");
        assert_eq!(quantile(&after, &after, 0.99), None);
    }
}
