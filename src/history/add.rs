//! `tuner history add`: a run's results into the history, in one
//! transaction, with its commit, machine fingerprint and reference.
//!
//! Order. Series follow the first-parent history. A run's `position` is
//! the commit's first-parent depth (`git rev-list --first-parent --count`)
//! when this checkout knows the commit and is not shallow; otherwise one
//! more than its parent's run when the parent is in the history (a chain
//! of commits given with `--commit`/`--parent`); otherwise one more than
//! the last run. Runs of one position keep the order of their dates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use anyhow::{bail, Context as _};
use rusqlite::{params, Connection, OptionalExtension as _};
use sha2::{Digest as _, Sha256};

use crate::analysis::ProcessMetrics;
use crate::results::{Outcome, Results};

/// Which point a run's values are divided by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Reference {
    /// The config's baseline point, when the run has two points or more.
    #[default]
    Baseline,
    /// None: the history keeps absolute values.
    Off,
    /// The point matching every `(axis, value)`.
    Point(Vec<(String, String)>),
}

impl Reference {
    /// `none`, `baseline`, or `axis=value axis=value`.
    pub(crate) fn parse(text: &str) -> Result<Reference, String> {
        match text.trim() {
            "none" => Ok(Reference::Off),
            "baseline" => Ok(Reference::Baseline),
            t => parse_selection(t).map(Reference::Point),
        }
    }
}

/// `variant=v3 threads=2` (spaces or commas between pairs) as pairs.
pub(crate) fn parse_selection(text: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = text
        .split([' ', ','])
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((a, v)) if !a.is_empty() && !v.is_empty() => Ok((a.to_string(), v.to_string())),
            _ => Err(format!("`{p}` is not axis=value (e.g. threads=2)")),
        })
        .collect::<Result<_, _>>()?;
    if pairs.is_empty() {
        return Err("a point is axis=value pairs, e.g. `variant=v3 threads=2`".into());
    }
    Ok(pairs)
}

/// What `history add` is told besides the results.
#[derive(Clone, Debug, Default)]
pub(crate) struct AddOptions {
    /// The commit measured (default: the results' environment, else `git`).
    pub commit: Option<String>,
    /// Its first parent (default: `git rev-parse COMMIT^`).
    pub parent: Option<String>,
    /// Its subject line (default: `git log`).
    pub message: Option<String>,
    pub reference: Reference,
    /// The Cargo.lock of the build measured (default: the checkout's).
    pub cargo_lock: Option<PathBuf>,
}

/// How an add went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// Stored as run `id`, with this many processes.
    New { id: i64, processes: usize },
    /// This run was in the history already: nothing written.
    Already,
}

/// The results file of `input`: a run folder's results.json (or its
/// journal.jsonl, for a run that was cut off), or the file itself.
pub(crate) fn results_file(input: &Path) -> PathBuf {
    if input.is_dir() {
        let json = input.join(crate::results::RESULTS_FILE);
        if json.exists() {
            json
        } else {
            input.join(crate::results::JOURNAL_FILE)
        }
    } else {
        input.to_path_buf()
    }
}

/// Reads the results of `input` (see [`results_file`]).
pub(crate) fn load(input: &Path) -> anyhow::Result<(PathBuf, Results)> {
    let file = results_file(input);
    let results = Results::load(&file)?;
    Ok((file, results))
}

/// Adds `results` (read from `file`) to the history at `db_path` open as
/// `conn`, in one transaction.
pub(crate) fn add(
    conn: &mut Connection,
    db_path: &Path,
    file: &Path,
    results: &Results,
    opts: &AddOptions,
) -> anyhow::Result<Added> {
    let config_digest = config_digest(&results.config_text);
    let tx = conn.transaction()?;
    let exists: Option<i64> = tx
        .query_row(
            "SELECT id FROM runs WHERE run_id = ?1 AND config_digest = ?2",
            params![results.run_id, config_digest],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Ok(Added::Already);
    }
    let varying = crate::matrix::varying_axes(&results.plan.axes);
    let labels: Vec<String> = results.points.iter().map(|p| p.label(&varying)).collect();
    let reference = reference_point(results, &opts.reference)
        .with_context(|| format!("{}: --reference", file.display()))?
        .map(|i| labels[i].clone());
    let env = &results.environment;
    let cargo_lock = cargo_lock_digest(opts.cargo_lock.as_deref())?;
    let fingerprint = hex(&Sha256::digest(
        [&env.cpu_model, &env.kernel, &env.rustc, &cargo_lock]
            .map(String::as_str)
            .join("\0"),
    ));
    let commit = opts.commit.clone().or_else(|| {
        let c = env.git_commit.trim_end_matches("+dirty");
        (c != "unknown" && !c.is_empty())
            .then(|| c.to_string())
            .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
    });
    let parent = opts.parent.clone().or_else(|| {
        commit
            .as_ref()
            .and_then(|c| git(&["rev-parse", "--short=12", &format!("{c}^")]))
    });
    let message = opts.message.clone().or_else(|| {
        commit
            .as_ref()
            .and_then(|c| git(&["log", "-1", "--format=%s", c]))
    });
    let position = position(&tx, commit.as_deref(), parent.as_deref())?;
    tx.execute(
        "INSERT INTO runs (run_id, config_digest, experiment, workload, config_path,
            fingerprint, cpu_model, kernel, rustc, cargo_lock, machine, date,
            git_commit, parent, message, position, reference, report, environment, added)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
            ?17, ?18, ?19, ?20)",
        params![
            results.run_id,
            config_digest,
            results.plan.name,
            results.plan.workload,
            results.config_path,
            fingerprint,
            env.cpu_model,
            env.kernel,
            env.rustc,
            cargo_lock,
            results.machine,
            env.date,
            commit,
            parent,
            message,
            position,
            reference,
            report_path(db_path, file),
            serde_json::to_string(env)?,
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ],
    )?;
    let run = tx.last_insert_rowid();
    let mut point_ids = Vec::with_capacity(results.points.len());
    {
        let mut insert =
            tx.prepare("INSERT INTO points (run, idx, label, coords) VALUES (?1, ?2, ?3, ?4)")?;
        for (point, label) in results.points.iter().zip(&labels) {
            insert.execute(params![
                run,
                point.id as i64,
                label,
                serde_json::to_string(&point.coords)?
            ])?;
            point_ids.push(tx.last_insert_rowid());
        }
        let mut insert = tx.prepare(
            "INSERT INTO processes (point, process, seq, status, reason, ns_per_op,
                cpu_ns_per_op, allocs_per_op, bytes_per_op, peak_live_bytes, peak_rss_bytes,
                ops, allocs, bytes, samples, wall_ms, machine, health)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                ?17, NULL)",
        )?;
        for r in &results.runs {
            let m = ProcessMetrics::of(r);
            let m = m.as_ref();
            let out = r.output();
            let reason = match &r.outcome {
                Outcome::Failed { reason, .. } => Some(reason.as_str()),
                Outcome::Ok(_) => None,
            };
            insert.execute(params![
                point_ids[r.point],
                r.process,
                r.seq as i64,
                if m.is_some() { "ok" } else { "failed" },
                reason,
                m.map(|m| m.ns_per_op),
                m.and_then(|m| m.cpu_ns_per_op),
                m.and_then(|m| m.allocs_per_op),
                m.and_then(|m| m.bytes_per_op),
                m.and_then(|m| m.peak_live_bytes),
                m.and_then(|m| m.peak_rss_bytes),
                m.map(|m| m.ops as i64),
                out.map(|o| o.alloc.allocs as i64),
                out.map(|o| o.alloc.bytes as i64),
                out.map(|o| o.samples.len() as i64),
                r.wall_ms,
                results.machine_of(r),
            ])?;
        }
    }
    tx.commit()?;
    Ok(Added::New {
        id: run,
        processes: results.runs.len(),
    })
}

/// The index of the point `reference` names in `results`, if any.
fn reference_point(results: &Results, reference: &Reference) -> anyhow::Result<Option<usize>> {
    match reference {
        Reference::Off => Ok(None),
        Reference::Baseline if results.points.len() < 2 => Ok(None),
        Reference::Baseline => Ok(results
            .baseline
            .or_else(|| crate::matrix::baseline(&results.plan, &results.points))),
        Reference::Point(selection) => {
            let found: Vec<usize> = results
                .points
                .iter()
                .filter(|p| p.matches(selection))
                .map(|p| p.id)
                .collect();
            match found.as_slice() {
                [one] => Ok(Some(*one)),
                [] => bail!("no point of the run matches `{}`", show(selection)),
                many => bail!(
                    "{} points of the run match `{}`: name more axes",
                    many.len(),
                    show(selection)
                ),
            }
        }
    }
}

fn show(selection: &[(String, String)]) -> String {
    let parts: Vec<String> = selection.iter().map(|(a, v)| format!("{a}={v}")).collect();
    parts.join(" ")
}

/// The run's place in the first-parent order (see the module docs).
fn position(
    tx: &rusqlite::Transaction,
    commit: Option<&str>,
    parent: Option<&str>,
) -> anyhow::Result<f64> {
    let shallow = git(&["rev-parse", "--is-shallow-repository"]).is_none_or(|s| s == "true");
    if let Some(depth) = commit
        .filter(|_| !shallow)
        .and_then(|c| git(&["rev-list", "--first-parent", "--count", c]))
        .and_then(|n| n.parse::<f64>().ok())
    {
        return Ok(depth);
    }
    if let Some(parent) = parent {
        let at: Option<f64> = tx
            .query_row(
                "SELECT MAX(position) FROM runs WHERE git_commit = ?1",
                [parent],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if let Some(at) = at {
            return Ok(at + 1.0);
        }
    }
    let last: Option<f64> = tx.query_row("SELECT MAX(position) FROM runs", [], |r| r.get(0))?;
    Ok(last.map_or(0.0, |l| l + 1.0))
}

/// The run's report beside `file` (report.html, else report.md), as a
/// path relative to the database's folder.
fn report_path(db_path: &Path, file: &Path) -> Option<String> {
    let dir = file.parent()?;
    let report = ["report.html", "report.md"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())?;
    let report = report.canonicalize().ok()?;
    let base = absolute_dir(db_path)?;
    pathdiff::diff_paths(report, base).map(|p| p.to_string_lossy().into_owned())
}

/// The folder holding `file`, absolute and with links resolved.
pub(crate) fn absolute_dir(file: &Path) -> Option<PathBuf> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    dir.canonicalize().ok()
}

/// A config's digest: SHA-256 of its parsed TOML, keys in order, so
/// comments and layout do not start a new series.
pub(crate) fn config_digest(text: &str) -> String {
    let canonical = match toml::from_str::<toml::Value>(text) {
        Ok(value) => serde_json::to_string(&value).expect("TOML values serialize"),
        Err(_) => text.to_string(),
    };
    hex(&Sha256::digest(canonical))
}

/// SHA-256 of the Cargo.lock at `path`, or of the one at the top of this
/// checkout (`none` without one); each file read once per process.
fn cargo_lock_digest(path: Option<&Path>) -> anyhow::Result<String> {
    static DIGESTS: Mutex<BTreeMap<PathBuf, String>> = Mutex::new(BTreeMap::new());
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => match git(&["rev-parse", "--show-toplevel"]) {
            Some(top) => Path::new(&top).join("Cargo.lock"),
            None => PathBuf::from("Cargo.lock"),
        },
    };
    if let Some(d) = DIGESTS.lock().expect("not poisoned").get(&path) {
        return Ok(d.clone());
    }
    let digest = match std::fs::read(&path) {
        Ok(bytes) => hex(&Sha256::digest(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "none".into(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    DIGESTS
        .lock()
        .expect("not poisoned")
        .insert(path, digest.clone());
    Ok(digest)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `git ARGS` in the current folder: its trimmed output, or `None` when
/// git is missing or fails. Answers are kept for the life of the process:
/// adding a thousand runs of one commit asks git once, not a thousand
/// times (each call is a process, ~5 ms).
fn git(args: &[&str]) -> Option<String> {
    static ANSWERS: Mutex<BTreeMap<Vec<String>, Option<String>>> = Mutex::new(BTreeMap::new());
    let key: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if let Some(answer) = ANSWERS.lock().expect("not poisoned").get(&key) {
        return answer.clone();
    }
    let answer = Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    ANSWERS
        .lock()
        .expect("not poisoned")
        .insert(key, answer.clone());
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_digest_ignores_comments_and_layout_but_not_values() {
        let a = "[params]\nsteps = [5, 10]\n# a note\n";
        let b = "# another note\n[params]\nsteps=[5,10]\n";
        let c = "[params]\nsteps = [5, 11]\n";
        assert_eq!(config_digest(a), config_digest(b));
        assert_ne!(config_digest(a), config_digest(c));
        assert_eq!(config_digest(a).len(), 64);
    }

    const CONFIG: &str = "[experiment]\nname = \"t\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [5, 10]\n[matrix]\nthreads = [1]\nallocator = [\"system\"]\n[measure]\nprocesses = 3\n";

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_failure_in_the_middle_of_a_run_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("h.sqlite");
        let mut conn = super::super::db::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TRIGGER full AFTER INSERT ON processes
             WHEN (SELECT COUNT(*) FROM processes) >= 4
             BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
        let results =
            crate::fixtures::results_with(CONFIG, &[vec![10.0, 11.0, 12.0], vec![20.0; 3]], 1);
        let opts = AddOptions {
            commit: Some("c1".into()),
            ..AddOptions::default()
        };
        let file = Path::new("run/results.json");
        let e = add(&mut conn, &db, file, &results, &opts).unwrap_err();
        assert!(format!("{e:#}").contains("disk full"), "{e:#}");
        for table in ["runs", "points", "processes"] {
            assert_eq!(count(&conn, table), 0, "{table}");
        }
        conn.execute_batch("DROP TRIGGER full").unwrap();
        let added = add(&mut conn, &db, file, &results, &opts).unwrap();
        assert!(
            matches!(added, Added::New { processes: 6, .. }),
            "{added:?}"
        );
        let (reference, commit, position): (String, String, f64) = conn
            .query_row(
                "SELECT reference, git_commit, position FROM runs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((reference.as_str(), commit.as_str()), ("steps=5", "c1"));
        assert_eq!(position, 0.0);
        let exact: (i64, i64) = conn
            .query_row("SELECT SUM(ops), SUM(allocs) FROM processes", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        // 6 processes of 30 operations, one allocation each.
        assert_eq!(exact, (180, 180));
        assert_eq!(
            add(&mut conn, &db, file, &results, &opts).unwrap(),
            Added::Already
        );
    }

    #[test]
    fn a_run_whose_parent_is_in_the_history_follows_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("h.sqlite");
        let mut conn = super::super::db::open(&db).unwrap();
        let mut results = crate::fixtures::results_with(CONFIG, &[vec![10.0], vec![20.0]], 0);
        let file = Path::new("run/results.json");
        let at = |conn: &Connection, commit: &str| -> f64 {
            conn.query_row(
                "SELECT position FROM runs WHERE git_commit = ?1",
                [commit],
                |r| r.get(0),
            )
            .unwrap()
        };
        for (i, (commit, parent)) in [("a", "root"), ("b", "a"), ("x", "elsewhere"), ("c", "b")]
            .into_iter()
            .enumerate()
        {
            results.run_id = format!("run-{i}");
            let opts = AddOptions {
                commit: Some(commit.into()),
                parent: Some(parent.into()),
                ..AddOptions::default()
            };
            add(&mut conn, &db, file, &results, &opts).unwrap();
        }
        assert_eq!(at(&conn, "a"), 0.0);
        assert_eq!(at(&conn, "b"), 1.0);
        // No parent in the history: after the last run.
        assert_eq!(at(&conn, "x"), 2.0);
        // c's parent b is at 1: c goes at 2, beside x, not after it.
        assert_eq!(at(&conn, "c"), 2.0);
    }

    #[test]
    fn references_parse() {
        assert_eq!(Reference::parse("none"), Ok(Reference::Off));
        assert_eq!(Reference::parse("baseline"), Ok(Reference::Baseline));
        assert_eq!(
            Reference::parse("steps=5, threads=1"),
            Ok(Reference::Point(vec![
                ("steps".into(), "5".into()),
                ("threads".into(), "1".into())
            ]))
        );
        assert!(Reference::parse("steps").is_err());
        assert!(Reference::parse("").is_err());
    }
}
