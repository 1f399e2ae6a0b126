//! The history database: one SQLite file (rusqlite with SQLite compiled
//! in), its schema versioned by `PRAGMA user_version` and brought up to
//! date by the migrations below, each in a transaction of its own.
//!
//! Raw values only: a run, its points, and every process with its
//! per-operation figures and exact counts. Series values (medians,
//! ratios to the reference) are derived when read (`history::series`).

use std::path::Path;

use anyhow::{bail, Context as _};
use rusqlite::{Connection, OpenFlags};

/// The schema, one migration per version: `MIGRATIONS[i]` takes a
/// database from version `i` to `i + 1`. Never edit one that has shipped;
/// add the next.
const MIGRATIONS: &[&str] = &[
    // 1: runs, points, processes.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        -- SHA-256 of the config's parsed TOML, comments and layout aside.
        config_digest TEXT NOT NULL,
        experiment TEXT NOT NULL,
        workload TEXT NOT NULL,
        config_path TEXT NOT NULL,
        -- SHA-256 of cpu_model, kernel, rustc and cargo_lock: a series
        -- is compared only within one fingerprint.
        fingerprint TEXT NOT NULL,
        cpu_model TEXT NOT NULL,
        kernel TEXT NOT NULL,
        rustc TEXT NOT NULL,
        cargo_lock TEXT NOT NULL,
        machine TEXT,
        date TEXT NOT NULL,
        git_commit TEXT,
        parent TEXT,
        message TEXT,
        -- Order along the first-parent history (see history::add).
        position REAL NOT NULL,
        -- The label of the point the others are divided by, if any.
        reference TEXT,
        -- The run's report, relative to the database's folder.
        report TEXT,
        environment TEXT NOT NULL,
        added TEXT NOT NULL,
        UNIQUE (run_id, config_digest)
    );
    CREATE TABLE points (
        id INTEGER PRIMARY KEY,
        run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        -- `variant=v3 threads=2`: the axes that vary.
        label TEXT NOT NULL,
        -- Every axis's value: a JSON array of [axis, value].
        coords TEXT NOT NULL,
        UNIQUE (run, idx)
    );
    CREATE TABLE processes (
        id INTEGER PRIMARY KEY,
        point INTEGER NOT NULL REFERENCES points(id) ON DELETE CASCADE,
        process INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        ns_per_op REAL,
        cpu_ns_per_op REAL,
        allocs_per_op REAL,
        bytes_per_op REAL,
        peak_live_bytes REAL,
        peak_rss_bytes REAL,
        -- Exact counts: timed operations, allocations and bytes.
        ops INTEGER,
        allocs INTEGER,
        bytes INTEGER,
        samples INTEGER,
        wall_ms REAL NOT NULL,
        machine TEXT,
        -- What the machine delivered to the process (CPU, steal,
        -- pressure) when results carry it: JSON, NULL until then.
        health TEXT
    );
    CREATE INDEX processes_point ON processes(point);
    CREATE INDEX points_run ON points(run);",
];

/// The schema version this tuner writes.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (creating it and its folder if need be) the history at `path`
/// and migrates it to [`VERSION`].
pub(crate) fn open(path: &Path) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut conn =
        Connection::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    migrate(&mut conn).with_context(|| format!("{}: not a tuner history", path.display()))?;
    Ok(conn)
}

/// Opens an existing history for reading, read-only (a history in the
/// repository stays byte for byte as committed); one of an older schema
/// is migrated first. A missing file is an error, not a new history.
pub(crate) fn open_existing(path: &Path) -> anyhow::Result<Connection> {
    if !path.is_file() {
        bail!(
            "{}: no history here (`tuner history add` makes one)",
            path.display()
        );
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("{}: cannot open", path.display()))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .with_context(|| format!("{}: not a tuner history", path.display()))?;
    if version == VERSION {
        Ok(conn)
    } else {
        drop(conn);
        open(path)
    }
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    conn.pragma_update(None, "foreign_keys", true)?;
    // Write-ahead log, synced at checkpoints rather than at every commit:
    // each run is still one atomic transaction, and a thousand of them
    // do not wait for a thousand fsyncs. Closing the last connection
    // folds the log back into the one file.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > VERSION {
        bail!("schema version {version} is newer than this tuner's ({VERSION}): upgrade tuner");
    }
    for (v, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("migrating to schema version {}", v + 1))?;
        tx.pragma_update(None, "user_version", (v + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_history_gets_the_current_schema_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.sqlite");
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION);
        drop(conn);
        open(&path).unwrap();
    }

    #[test]
    fn a_newer_schema_and_a_file_of_another_kind_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let newer = dir.path().join("newer.sqlite");
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        let e = format!("{:#}", open(&newer).unwrap_err());
        assert!(
            e.contains("newer.sqlite") && e.contains("newer than"),
            "{e}"
        );
        let text = dir.path().join("notes.sqlite");
        std::fs::write(
            &text,
            "not a database, just text that is long enough to have a header\n".repeat(20),
        )
        .unwrap();
        let e = format!("{:#}", open(&text).unwrap_err());
        assert!(e.contains("notes.sqlite"), "{e}");
        assert!(open_existing(&dir.path().join("absent.sqlite")).is_err());
    }
}
