//! The machine and build a run was measured on, recorded in every report.

pub(crate) mod machine;

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub cpu_model: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    /// The compiler that built tuner and its workloads.
    pub rustc: String,
    pub tuner_version: String,
    /// Whether tuner was built with optimisations; debug numbers mislead.
    pub optimized: bool,
    pub git_commit: String,
    /// 1-, 5- and 15-minute load averages when the run started.
    pub load_average: [f64; 3],
    /// RFC 3339, UTC.
    pub date: String,
}

/// Reads the environment of a run of the config at `config`. Linux `/proc`
/// files are read directly: tuner already depends on Linux (wait4,
/// mallinfo2), and a system-information crate would be a large dependency
/// for five fields.
pub(crate) fn capture(config: &Path) -> Environment {
    Environment {
        cpu_model: proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into()),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: proc_field("/proc/meminfo", "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| (kib / (1024.0 * 1024.0) * 10.0).round() / 10.0),
        kernel: kernel(),
        rustc: env!("TUNER_RUSTC_VERSION").to_string(),
        tuner_version: env!("CARGO_PKG_VERSION").to_string(),
        optimized: !cfg!(debug_assertions),
        git_commit: git_commit(config),
        load_average: load_average(),
        date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    }
}

fn proc_field(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn kernel() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .ok()
    };
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Some(os), Some(release)) => format!("{os} {release}"),
        _ => "unknown".into(),
    }
}

fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(f64::NAN));
    [(); 3].map(|_| it.next().unwrap_or(f64::NAN))
}

/// The commit of the repository holding the config (wherever tuner runs
/// from), `+dirty` when changed.
fn git_commit(config: &Path) -> String {
    let dir = match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}+dirty")
            } else {
                commit
            }
        }
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn capture_reads_this_machine() {
        let env = super::capture(Path::new("configs/mergesort.toml"));
        assert!(env.cores >= 1);
        assert!(env.kernel.starts_with("Linux"), "{}", env.kernel);
        assert!(env.rustc.starts_with("rustc "), "{}", env.rustc);
        assert!(env.load_average.iter().all(|l| *l >= 0.0));
        assert!(env.date.ends_with('Z'));
    }

    /// Regression: the commit came from the current directory, so a run
    /// started elsewhere recorded "unknown" (or another repository's).
    #[test]
    fn the_commit_is_the_config_repositorys_not_the_current_directorys() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        if !repo.join(".git").exists() {
            return; // a source tarball has no commit to read
        }
        let in_repo = super::git_commit(&repo.join("configs/mergesort.toml"));
        assert_ne!(in_repo, "unknown");
        let elsewhere = tempfile::tempdir().unwrap();
        let outside = super::git_commit(&elsewhere.path().join("x.toml"));
        assert_eq!(
            outside, "unknown",
            "a config outside any repository has no commit"
        );
    }
}
