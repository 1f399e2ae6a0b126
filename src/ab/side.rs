//! The two sides of a paired A/B: which binary runs the workload (a
//! build) and which settings of the config it replaces (`--head-set
//! steps=1010`), so one config serves both sides.
//!
//! A build is a binary that answers `<exe> worker`: the tuner binary of a
//! branch, or a user's harness made with `tuner::main!`. For a command
//! workload a build is the program: its path replaces the config's program
//! (`argv[0]` of every variant) for that side, while tuner's own worker
//! runs and measures it.

use std::fmt;
use std::hash::Hasher as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tuner_api::{Catalog, ParamValue};

use super::error::AbError;
use crate::alloc::AllocatorName;
use crate::compare::SettingChange;
use crate::config::{Axis, CommandPlan, Plan, Program};
use crate::matrix::{self, Point};

/// Which side of the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Build {
    Base,
    Head,
}

impl Build {
    pub(crate) const BOTH: [Build; 2] = [Build::Base, Build::Head];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Build::Base => "base",
            Build::Head => "head",
        }
    }

    /// The other side.
    pub(crate) fn other(self) -> Build {
        match self {
            Build::Base => Build::Head,
            Build::Head => Build::Base,
        }
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What runs one side's workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Executable {
    /// A binary re-executed as `<path> worker`: tuner, or a user's harness.
    Worker {
        path: PathBuf,
        /// A 64-bit hash of the file's bytes, to tell two builds apart.
        digest: String,
        bytes: u64,
    },
    /// A command workload's program, run by tuner's own worker at `worker`.
    Program {
        path: PathBuf,
        digest: String,
        bytes: u64,
        worker: PathBuf,
    },
}

impl Executable {
    /// The worker binary at `path`, which must be an executable file.
    pub(crate) fn worker(build: Build, path: &Path) -> Result<Executable, AbError> {
        let (path, digest, bytes) = executable_file(build, path)?;
        Ok(Executable::Worker {
            path,
            digest,
            bytes,
        })
    }

    /// The program at `path`, which must be an executable file, run by the
    /// worker binary `worker`.
    pub(crate) fn program(build: Build, path: &Path, worker: &Path) -> Result<Executable, AbError> {
        let (path, digest, bytes) = executable_file(build, path)?;
        Ok(Executable::Program {
            path,
            digest,
            bytes,
            worker: worker.to_path_buf(),
        })
    }

    /// The build's file: the worker binary, or the command's program.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Executable::Worker { path, .. } | Executable::Program { path, .. } => path,
        }
    }

    /// The binary started as `<exe> worker` for this side.
    pub(crate) fn worker_path(&self) -> &Path {
        match self {
            Executable::Worker { path, .. } => path,
            Executable::Program { worker, .. } => worker,
        }
    }

    pub(crate) fn digest(&self) -> &str {
        match self {
            Executable::Worker { digest, .. } | Executable::Program { digest, .. } => digest,
        }
    }
}

/// The canonical path, digest and size of the executable file at `path`.
fn executable_file(build: Build, path: &Path) -> Result<(PathBuf, String, u64), AbError> {
    let bad = |reason: String| AbError::NoBuild {
        build,
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() || std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 == 0
    {
        return Err(bad("not an executable file".into()));
    }
    let path = path.canonicalize().map_err(|e| bad(e.to_string()))?;
    let digest = file_digest(&path).map_err(|e| bad(e.to_string()))?;
    Ok((path, digest, meta.len()))
}

/// SipHash of the file's bytes, in hex: enough to tell whether two builds
/// are the same file (not a security property, so no cryptographic hash
/// crate is pulled in for it).
fn file_digest(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(format!("{:016x}", hasher.finish()));
        }
        hasher.write(&buf[..n]);
    }
}

/// What a side does to an axis of the config: `key=value` replaces its
/// single value; `key*=factor` scales every value of a numeric parameter
/// (`steps*=1.01`: each point 1% more steps, rounded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Setting {
    pub key: String,
    pub value: String,
    /// `key*=factor` rather than `key=value`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scale: bool,
}

impl Setting {
    /// `steps=1010` or `steps*=1.01`.
    pub(crate) fn parse(text: &str) -> Result<Setting, String> {
        let bad = || format!("`{text}` is not a setting like steps=1010 or steps*=1.01");
        let (key, value) = text.split_once('=').ok_or_else(bad)?;
        let (key, scale) = match key.strip_suffix('*') {
            Some(k) => (k, true),
            None => (key, false),
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(bad());
        }
        Ok(Setting {
            key: key.to_string(),
            value: value.to_string(),
            scale,
        })
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.scale { "*=" } else { "=" };
        write!(f, "{}{op}{}", self.key, self.value)
    }
}

/// One side as it runs: its build, its settings and the points it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Side {
    pub build: Build,
    pub exe: Executable,
    pub settings: Vec<Setting>,
    /// The config's points with this side's settings applied, index for
    /// index the same points as the other side's.
    pub points: Vec<Point>,
    /// A command workload's `[command]` with this side's program in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandPlan>,
}

impl Side {
    /// The side `build` running `exe`, with `settings` applied to `plan`.
    pub(crate) fn new(
        build: Build,
        exe: Executable,
        settings: &[Setting],
        plan: &Plan,
        catalog: &Catalog,
    ) -> Result<Side, AbError> {
        let mut side_plan = plan.clone();
        for s in settings {
            apply(&mut side_plan, catalog, s).map_err(|reason| AbError::BadSetting {
                build,
                setting: s.to_string(),
                reason,
            })?;
        }
        let command = match (&exe, &side_plan.command) {
            (Executable::Program { path, .. }, Some(command)) => Some(
                with_program(command, path).map_err(|reason| AbError::NoBuild {
                    build,
                    path: path.clone(),
                    reason,
                })?,
            ),
            _ => None,
        };
        Ok(Side {
            build,
            exe,
            settings: settings.to_vec(),
            points: matrix::expand(&side_plan),
            command,
        })
    }
}

/// `command` with `program` as every variant's `argv[0]`: the variants
/// must all start one program, so that a side's build replaces it.
fn with_program(command: &CommandPlan, program: &Path) -> Result<CommandPlan, String> {
    let mut firsts: Vec<&str> = command
        .variants
        .iter()
        .map(|v| v.argv.first().map_or("", String::as_str))
        .collect();
    firsts.dedup();
    if firsts.len() != 1 || firsts[0].contains('{') {
        return Err(format!(
            "the config's variants start {}: a build replaces one program, so every variant's argv must start the same one",
            firsts.join(", ")
        ));
    }
    let mut command = command.clone();
    let kind = crate::elf::inspect(program);
    for v in &mut command.variants {
        v.argv[0] = program.display().to_string();
        v.program = Some(Program {
            path: program.to_path_buf(),
            kind: kind.clone(),
        });
    }
    Ok(command)
}

/// Replaces the value of the single-valued axis `setting.key` in `plan`.
fn apply(plan: &mut Plan, catalog: &Catalog, setting: &Setting) -> Result<(), String> {
    let names: Vec<String> = plan.axes.iter().map(|a| a.name().to_string()).collect();
    let workload = plan.workload.clone();
    let axis = plan
        .axes
        .iter_mut()
        .find(|a| a.name() == setting.key)
        .ok_or_else(|| format!("no axis `{}`; axes are {}", setting.key, names.join(", ")))?;
    if setting.scale {
        return scale(axis, catalog, &workload, &setting.value);
    }
    if axis.len() > 1 {
        return Err(format!(
            "`{}` takes {} values in the config ({}); a side can only replace a single value",
            setting.key,
            axis.len(),
            axis.labels().join(", ")
        ));
    }
    let text = setting.value.as_str();
    match axis {
        Axis::Variant(v) => {
            let exp = catalog
                .find(&workload)
                .ok_or("the workload is not in this catalog")?;
            if !exp.variants().iter().any(|known| known.name == text) {
                let known: Vec<_> = exp.variants().iter().map(|v| v.name).collect();
                return Err(format!(
                    "no variant `{text}`; {workload} has {}",
                    known.join(", ")
                ));
            }
            *v = vec![text.to_string()];
        }
        Axis::Threads(v) => *v = vec![threads(text)?],
        Axis::Env(_, v) => *v = vec![text.to_string()],
        Axis::Knob(name, v) => {
            let knob = crate::knob::find(name).ok_or("not a runtime knob")?;
            *v = vec![knob.parse(&toml::Value::String(text.to_string()))?];
        }
        Axis::Allocator(v) => {
            *v = vec![AllocatorName::parse(text).ok_or("expected system, mimalloc or jemalloc")?];
        }
        Axis::Buffering(v) => {
            *v = vec![crate::config::parse_buffering(text).ok_or(
                "expected unbuffered, line, buffered or buffered:<capacity> (e.g. buffered:64KiB)",
            )?];
        }
        Axis::Param(name, v) => {
            let exp = catalog
                .find(&workload)
                .ok_or("the workload is not in this catalog")?;
            let spec = exp
                .params()
                .iter()
                .find(|p| p.name == name.as_str())
                .ok_or("not a parameter of the workload")?;
            let value = param_value(text);
            spec.kind.check(&value)?;
            *v = vec![value];
        }
    }
    Ok(())
}

/// Multiplies every value of the numeric parameter `axis` by `factor`
/// (integers rounded), each checked against the parameter's range.
fn scale(axis: &mut Axis, catalog: &Catalog, workload: &str, factor: &str) -> Result<(), String> {
    let factor: f64 = factor
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite() && *f > 0.0)
        .ok_or_else(|| format!("`{factor}` is not a positive factor such as 1.01"))?;
    let Axis::Param(name, values) = axis else {
        return Err(format!(
            "`{}` is a knob; only a numeric parameter scales",
            axis.name()
        ));
    };
    let exp = catalog
        .find(workload)
        .ok_or("the workload is not in this catalog")?;
    let spec = exp
        .params()
        .iter()
        .find(|p| p.name == name.as_str())
        .ok_or("not a parameter of the workload")?;
    for v in values.iter_mut() {
        *v = match v {
            ParamValue::Int(i) => ParamValue::Int((*i as f64 * factor).round() as i64),
            ParamValue::Float(x) => ParamValue::Float(*x * factor),
            other => return Err(format!("`{name}` = {other} is not a number")),
        };
        spec.kind.check(v)?;
    }
    Ok(())
}

fn threads(text: &str) -> Result<usize, String> {
    if text == "all" {
        return Ok(std::thread::available_parallelism().map_or(1, |n| n.get()));
    }
    match text.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err("expected a thread count in 1..=1024 or all".into()),
    }
}

/// A command-line value as the config would read it: an integer, a
/// float, a bool, or else a string (quotes optional).
fn param_value(text: &str) -> ParamValue {
    if let Ok(i) = text.parse::<i64>() {
        ParamValue::Int(i)
    } else if let Ok(b) = text.parse::<bool>() {
        ParamValue::Bool(b)
    } else if let Ok(x) = text.parse::<f64>() {
        ParamValue::Float(x)
    } else {
        ParamValue::Str(text.trim_matches('"').to_string())
    }
}

/// The settings under test: the axes whose values differ between the
/// sides (at the first point; the settings replace single values, so at
/// every point alike).
pub(super) fn changed_axes(base: &Side, head: &Side) -> Vec<SettingChange> {
    let (Some(b), Some(h)) = (base.points.first(), head.points.first()) else {
        return Vec::new();
    };
    b.coords
        .iter()
        .zip(&h.coords)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, y)| SettingChange {
            axis: x.0.clone(),
            base: x.1.clone(),
            head: y.1.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const CONFIG: &str = "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = 1000\nfail_at = [1, 2]\n";

    fn plan() -> Plan {
        crate::config::parse(Path::new("t.toml"), CONFIG, &tuner_experiments::catalog()).unwrap()
    }

    fn side(build: Build, settings: &[&str]) -> Result<Side, AbError> {
        let exe = Executable::worker(build, Path::new("/bin/sh")).unwrap();
        let settings: Vec<Setting> = settings
            .iter()
            .map(|s| Setting::parse(s).unwrap())
            .collect();
        Side::new(
            build,
            exe,
            &settings,
            &plan(),
            &tuner_experiments::catalog(),
        )
    }

    fn reason(e: AbError) -> String {
        match e {
            AbError::BadSetting { reason, .. } => reason,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_setting_replaces_a_single_value_at_every_point() {
        let base = side(Build::Base, &[]).unwrap();
        let head = side(Build::Head, &["steps=1010", "allocator=mimalloc"]).unwrap();
        assert_eq!(head.points.len(), 2);
        assert!(head
            .points
            .iter()
            .all(|p| p.params.int("steps") == 1010 && p.allocator == AllocatorName::Mimalloc));
        assert_eq!(base.points[1].params.int("steps"), 1000);
        let changed: Vec<String> = changed_axes(&base, &head)
            .iter()
            .map(|c| format!("{} {} → {}", c.axis, c.base, c.head))
            .collect();
        assert_eq!(
            changed,
            ["steps 1000 → 1010", "allocator system → mimalloc"]
        );
    }

    #[test]
    fn a_scaling_setting_multiplies_every_value_of_a_parameter() {
        let head = side(Build::Head, &["fail_at*=1.5", "steps*=1.01"]).unwrap();
        let values: Vec<(i64, i64)> = head
            .points
            .iter()
            .map(|p| (p.params.int("steps"), p.params.int("fail_at")))
            .collect();
        // fail_at 1 → 2 (1.5 rounded), 2 → 3; steps 1000 → 1010.
        assert_eq!(values, [(1010, 2), (1010, 3)]);
        assert_eq!(
            Setting::parse("steps*=1.01").unwrap().to_string(),
            "steps*=1.01"
        );
    }

    #[test]
    fn bad_settings_say_why() {
        assert_eq!(
            reason(side(Build::Head, &["fail_at=3"]).unwrap_err()),
            "`fail_at` takes 2 values in the config (1, 2); a side can only replace a single value"
        );
        assert!(reason(side(Build::Head, &["stepz=3"]).unwrap_err())
            .starts_with("no axis `stepz`; axes are variant, steps, fail_at"));
        assert_eq!(
            reason(side(Build::Head, &["steps=0"]).unwrap_err()),
            "0 is out of range 1..=1099511627776"
        );
        assert_eq!(
            reason(side(Build::Head, &["steps=many"]).unwrap_err()),
            "expected an integer in 1..=1099511627776, found `many`"
        );
        assert!(reason(side(Build::Head, &["variant=twirl"]).unwrap_err())
            .starts_with("no variant `twirl`"));
        assert_eq!(
            reason(side(Build::Head, &["threads=0"]).unwrap_err()),
            "expected a thread count in 1..=1024 or all"
        );
        assert!(Setting::parse("steps").is_err());
        assert!(Setting::parse("=3").is_err());
        assert!(Setting::parse("*=3").is_err());
        assert_eq!(
            reason(side(Build::Head, &["allocator*=2"]).unwrap_err()),
            "`allocator` is a knob; only a numeric parameter scales"
        );
        assert_eq!(
            reason(side(Build::Head, &["steps*=-1"]).unwrap_err()),
            "`-1` is not a positive factor such as 1.01"
        );
    }

    #[test]
    fn a_build_must_be_an_executable_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "x").unwrap();
        for path in [text.as_path(), dir.path(), Path::new("/no/such/tuner")] {
            assert!(matches!(
                Executable::worker(Build::Base, path),
                Err(AbError::NoBuild { .. })
            ));
        }
        let sh = Executable::worker(Build::Base, Path::new("/bin/sh")).unwrap();
        let again = Executable::worker(Build::Head, Path::new("/bin/sh")).unwrap();
        assert_eq!(sh.digest(), again.digest());
        assert_eq!(sh.digest().len(), 16);
    }
}
