//! The history read back as series: one per point of a config, per
//! reference, split into segments by machine fingerprint, in first-parent
//! order. A run's value at a point is the median over its processes of
//! their ns/op — wall time per operation by default, or CPU time per
//! operation ([`Metric`]), each process's figure from `ProcessMetrics` at
//! add time; with a reference, the series value is that median divided
//! by the reference point's median in the same run, which cancels drift
//! of the machine between runs and days. Checks compare log values, so
//! a step is a ratio.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::analysis::metrics::median;

/// Which per-operation figure a series follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Metric {
    /// Wall time per operation (the process's median sample).
    #[default]
    Time,
    /// CPU time per operation, all threads: what a single-threaded
    /// workload costs whatever else the machine runs.
    Cpu,
}

impl Metric {
    fn column(self) -> &'static str {
        match self {
            Metric::Time => "ns_per_op",
            Metric::Cpu => "cpu_ns_per_op",
        }
    }

    /// `ns/op` or `CPU ns/op`.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            Metric::Time => "ns/op",
            Metric::Cpu => "CPU ns/op",
        }
    }
}

/// One run in the history.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Run {
    pub id: i64,
    pub run_id: String,
    pub experiment: String,
    pub config_digest: String,
    pub fingerprint: String,
    pub cpu_model: String,
    pub kernel: String,
    pub rustc: String,
    pub machine: Option<String>,
    pub date: String,
    pub commit: Option<String>,
    pub parent: Option<String>,
    pub message: Option<String>,
    pub position: f64,
    pub reference: Option<String>,
    /// The report, relative to the database's folder.
    pub report: Option<String>,
}

impl Run {
    /// The commit, shortened, or `?`.
    pub(super) fn short_commit(&self) -> &str {
        self.commit
            .as_deref()
            .map_or("?", |c| &c[..c.len().min(12)])
    }
}

/// A point's figures in one run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// Index into [`History::runs`].
    pub run: usize,
    /// Median ns/op ([`History::metric`]) over the run's successful
    /// processes of the point.
    pub ns_per_op: f64,
    /// `ns_per_op` over the reference point's in the same run.
    pub relative: Option<f64>,
    pub processes: usize,
    pub failed: usize,
}

impl Entry {
    /// The value checked: the ratio to the reference, else ns/op.
    pub(super) fn value(&self) -> f64 {
        self.relative.unwrap_or(self.ns_per_op)
    }
}

/// The runs of one machine fingerprint, in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Segment {
    pub fingerprint: String,
    pub entries: Vec<Entry>,
}

/// One point of one config (and reference) over time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Series {
    pub experiment: String,
    pub config_digest: String,
    /// `variant=v3 threads=2`.
    pub label: String,
    pub coords: Vec<(String, String)>,
    pub reference: Option<String>,
    pub segments: Vec<Segment>,
    pub metric: Metric,
}

impl Series {
    /// Whether this is the reference point itself (its values are
    /// absolute: shown, not checked for changes).
    pub(super) fn is_reference(&self) -> bool {
        self.reference.as_deref() == Some(self.label.as_str())
    }

    /// `selfcheck buffering=line`.
    pub(super) fn name(&self) -> String {
        format!("{} {}", self.experiment, self.label)
    }

    /// Whether every `(axis, value)` of `selection` holds for the point.
    pub(super) fn matches(&self, selection: &[(String, String)]) -> bool {
        selection
            .iter()
            .all(|(a, v)| self.coords.iter().any(|(ca, cv)| ca == a && cv == v))
    }

    /// What the values are: `ns/op`, or `ns/op ratio to <reference>`.
    pub(super) fn unit(&self) -> String {
        match &self.reference {
            Some(r) if !self.is_reference() => format!("{} ratio to {r}", self.metric.unit()),
            _ => self.metric.unit().into(),
        }
    }
}

/// Everything in a history database.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    /// In first-parent order.
    pub runs: Vec<Run>,
    pub series: Vec<Series>,
    /// Process rows read.
    pub processes: usize,
    pub metric: Metric,
}

/// Reads the whole history, following `metric`.
pub(crate) fn load(conn: &Connection, metric: Metric) -> anyhow::Result<History> {
    let runs = read_runs(conn)?;
    let at: HashMap<i64, usize> = runs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    // point id -> (run index, idx, label, coords)
    let mut points: Vec<(i64, usize, i64, String, String)> = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT id, run, idx, label, coords FROM points")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (id, run, idx, label, coords) = row?;
            if let Some(&run) = at.get(&run) {
                points.push((id, run, idx, label, coords));
            }
        }
    }
    let mut values: HashMap<i64, (Vec<f64>, usize)> = HashMap::new();
    let mut processes = 0;
    {
        let sql = format!("SELECT point, {} FROM processes", metric.column());
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            processes += 1;
            let entry = values.entry(r.get(0)?).or_default();
            match r.get::<_, Option<f64>>(1)? {
                Some(v) => entry.0.push(v),
                None => entry.1 += 1,
            }
        }
    }
    let median_of = |point: i64| {
        values.get(&point).map_or((f64::NAN, 0, 0), |(v, failed)| {
            (median(v), v.len(), *failed)
        })
    };
    // The reference's median per run.
    let mut reference: HashMap<usize, f64> = HashMap::new();
    for (id, run, _, label, _) in &points {
        if runs[*run].reference.as_deref() == Some(label.as_str()) {
            reference.insert(*run, median_of(*id).0);
        }
    }
    // Series keyed by config, reference and label; first seen first.
    type Key = (String, Option<String>, String);
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut series: Vec<(usize, i64, Series)> = Vec::new();
    points.sort_by_key(|p| (p.1, p.2));
    for (id, run, idx, label, coords) in points {
        let r = &runs[run];
        let (ns_per_op, ok, failed) = median_of(id);
        let is_reference = r.reference.as_deref() == Some(label.as_str());
        let relative = match reference.get(&run) {
            Some(base) if !is_reference => Some(ns_per_op / base),
            _ => None,
        };
        let key = (r.config_digest.clone(), r.reference.clone(), label.clone());
        let i = *index.entry(key).or_insert_with(|| {
            series.push((
                run,
                idx,
                Series {
                    experiment: r.experiment.clone(),
                    config_digest: r.config_digest.clone(),
                    label: label.clone(),
                    coords: serde_json::from_str(&coords).unwrap_or_default(),
                    reference: r.reference.clone(),
                    segments: Vec::new(),
                    metric,
                },
            ));
            series.len() - 1
        });
        let s = &mut series[i].2;
        let entry = Entry {
            run,
            ns_per_op,
            relative,
            processes: ok,
            failed,
        };
        match s
            .segments
            .iter_mut()
            .find(|g| g.fingerprint == r.fingerprint)
        {
            Some(g) => g.entries.push(entry),
            None => s.segments.push(Segment {
                fingerprint: r.fingerprint.clone(),
                entries: vec![entry],
            }),
        }
    }
    // By experiment, then the point's place in its first run's matrix.
    series.sort_by(|a, b| {
        (a.2.experiment.as_str(), &a.2.config_digest, a.1, a.0).cmp(&(
            b.2.experiment.as_str(),
            &b.2.config_digest,
            b.1,
            b.0,
        ))
    });
    Ok(History {
        runs,
        series: series.into_iter().map(|(_, _, s)| s).collect(),
        processes,
        metric,
    })
}

fn read_runs(conn: &Connection) -> anyhow::Result<Vec<Run>> {
    let mut stmt = conn.prepare(
        "SELECT id, run_id, experiment, config_digest, fingerprint, cpu_model, kernel, rustc,
            machine, date, git_commit, parent, message, position, reference, report
         FROM runs ORDER BY position, date, id",
    )?;
    let runs = stmt
        .query_map([], |r| {
            Ok(Run {
                id: r.get(0)?,
                run_id: r.get(1)?,
                experiment: r.get(2)?,
                config_digest: r.get(3)?,
                fingerprint: r.get(4)?,
                cpu_model: r.get(5)?,
                kernel: r.get(6)?,
                rustc: r.get(7)?,
                machine: r.get(8)?,
                date: r.get(9)?,
                commit: r.get(10)?,
                parent: r.get(11)?,
                message: r.get(12)?,
                position: r.get(13)?,
                reference: r.get(14)?,
                report: r.get(15)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(runs)
}
