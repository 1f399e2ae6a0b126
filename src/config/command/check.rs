//! Validating a `[command]` config: the argv of each variant, untyped
//! parameters (scalars as written), the placeholders every string may
//! hold, the thread variables, the preloaded libraries, and the keys a
//! command cannot use (`buffering`, per-sample `[measure]` keys,
//! `[profile]`). Each error names the file, line and key.

use std::collections::BTreeSet;
use std::ops::Range;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use toml::Spanned;
use tuner_api::{Knobs, ParamValue};

use super::plan::{CommandPlan, CommandVariant, Metrics, Program, DEFAULT_THREADS_ENV};
use super::{preload, template};
use crate::alloc::AllocatorName;
use crate::config::env_axis::env_name;
use crate::config::plan::{Axis, WorkloadInfo};
use crate::config::raw::{RawCommand, RawMatrix, RawMeasure, RawProfile, Strings, Table};
use crate::config::validate::{param_value, Checker, Result, Source};

/// A string of the config that may hold placeholders, and where it is.
struct Templated {
    key: String,
    span: Range<usize>,
    text: String,
}

/// One variant's argv as written: its name (none for `argv`) and key.
struct Argv<'r> {
    name: Option<&'r Spanned<String>>,
    key: String,
    argv: &'r Strings,
}

/// Placeholders every command knows besides its parameters.
const BUILT_IN: [&str; 3] = ["variant", "threads", "scratch"];

/// At most this many untimed executions before the timed one.
const MAX_WARMUP: u32 = 100;

impl Checker<'_> {
    /// `[measure]` keys about samples inside a process, and `[profile]`,
    /// mean nothing for a command: refuse them rather than ignore them.
    pub(in crate::config) fn refuse_for_command(
        &self,
        measure: &RawMeasure,
        profile: Option<&Spanned<RawProfile>>,
    ) -> Result<()> {
        let per_sample = [
            (
                "measure.samples",
                measure.samples.as_ref().map(Spanned::span),
            ),
            ("measure.warmup", measure.warmup.as_ref().map(Spanned::span)),
            (
                "measure.min_sample_time",
                measure.min_sample_time.as_ref().map(Spanned::span),
            ),
        ];
        for (key, span) in per_sample {
            if let Some(span) = span {
                return Err(self.err(
                    span,
                    key,
                    "a command is timed whole, once per process: set untimed runs with [command] warmup \
                     and replicates with [measure] processes",
                ));
            }
        }
        match profile {
            Some(p) => Err(self.err(
                p.span(),
                "profile",
                "profiling passes run inside tuner's own worker; a [command] has none",
            )),
            None => Ok(()),
        }
    }

    /// The command's axes and plan.
    pub(in crate::config) fn command_source(
        &self,
        raw: RawCommand,
        params: &Table,
        matrix: &RawMatrix,
    ) -> Result<Source> {
        let table = self.command_header();
        let cwd = self.cwd(raw.cwd.as_ref())?;
        let argvs = self.argvs(&raw, table)?;
        let mut axes = vec![self.command_variants(params, &argvs)?];
        axes.extend(self.untyped_params(params)?);
        if let Some(b) = &matrix.buffering {
            return Err(self.err(
                b.span(),
                "matrix.buffering",
                "a command has no buffering knob (it is the sink tuner's own workloads write through)",
            ));
        }
        let threads = self.threads_axis(matrix)?;
        let has_threads = threads.is_some();
        axes.extend(threads);
        let allocators = self.allocator_axis(matrix)?;
        let preload = self.preloads(&allocators, &raw, matrix)?;
        axes.push(allocators);
        let metrics = self.metrics(raw.metrics.as_ref())?;
        let templated = templated(&raw, &argvs);
        self.placeholders(&templated, params, &axes, has_threads)?;
        let variants = argvs
            .iter()
            .map(|a| self.variant(a, &axes[0], &cwd))
            .collect::<Result<Vec<Vec<CommandVariant>>>>()?
            .concat();
        let first = variants
            .first()
            .map_or("command", |v| program_name(&v.argv))
            .to_string();
        let command = CommandPlan {
            cwd,
            stdin: raw.stdin.as_ref().map(|s| s.get_ref().clone()),
            prepare: strings(raw.prepare.as_ref()),
            cleanup: strings(raw.cleanup.as_ref()),
            env: self.command_env(&raw, &preload)?,
            threads_env: self.threads_env(raw.threads_env.as_ref(), has_threads)?,
            warmup: self.warmup(raw.warmup.as_ref(), metrics)?,
            check_output: self.check_output(raw.check_output.as_ref(), metrics)?,
            metrics,
            preload,
            variants,
        };
        Ok(Source {
            workload: format!("command:{first}"),
            name: first,
            info: WorkloadInfo {
                notes: String::new(),
                knobs: Knobs {
                    threads: has_threads,
                    ..Knobs::NONE
                },
            },
            axes,
            command: Some(command),
        })
    }

    /// Where the `[command]` table starts (toml cannot span a table that
    /// has sub-tables of its own, like `[command.variants]`).
    fn command_header(&self) -> Range<usize> {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            if line.trim_start().starts_with("[command") {
                let start = offset + line.len() - line.trim_start().len();
                return start..start + line.trim().len();
            }
            offset += line.len();
        }
        0..0
    }

    /// The folder every execution runs in: `cwd` relative to the
    /// config's folder, which is the default.
    fn cwd(&self, cwd: Option<&Spanned<String>>) -> Result<PathBuf> {
        let base = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = match cwd {
            Some(c) => base.join(c.get_ref()),
            None => base,
        };
        let span = cwd.map_or(0..0, Spanned::span);
        if !dir.is_dir() {
            return Err(self.err(
                span,
                "command.cwd",
                format!(
                    "{} is not a folder (cwd is relative to the config's folder)",
                    dir.display()
                ),
            ));
        }
        std::fs::canonicalize(&dir).map_err(|e| self.err(span, "command.cwd", e.to_string()))
    }

    /// `argv`, or one argv per `[command.variants]` entry in config order.
    fn argvs<'r>(&self, raw: &'r RawCommand, table: Range<usize>) -> Result<Vec<Argv<'r>>> {
        let argvs: Vec<Argv> =
            match (&raw.argv, &raw.variants) {
                (Some(argv), None) => vec![Argv {
                    name: None,
                    key: "command.argv".into(),
                    argv,
                }],
                (None, Some(variants)) => {
                    let mut named: Vec<Argv> = variants
                        .iter()
                        .map(|(name, argv)| Argv {
                            name: Some(name),
                            key: format!("command.variants.{}", name.get_ref()),
                            argv,
                        })
                        .collect();
                    named.sort_by_key(|a| a.argv.span().start);
                    if named.is_empty() {
                        return Err(self.err(table, "command.variants", "names no variant"));
                    }
                    named
                }
                (Some(_), Some(v)) => {
                    let span = v.keys().next().map_or(table, Spanned::span);
                    return Err(self.err(
                        span,
                        "command.variants",
                        "give `argv` or [command.variants], not both",
                    ));
                }
                (None, None) => return Err(self.err(
                    table,
                    "command.argv",
                    "a [command] needs `argv = [\"program\", \"arg\", …]` or [command.variants]",
                )),
            };
        for a in &argvs {
            if let Some(name) = a.name {
                label_text(name.get_ref())
                    .map_err(|m| self.err(name.span(), &a.key, format!("variant name: {m}")))?;
            }
            self.argv_strings(a.argv, &a.key)?;
        }
        Ok(argvs)
    }

    /// An argv: a non-empty list whose program is not empty, no NUL anywhere.
    fn argv_strings(&self, argv: &Strings, key: &str) -> Result<()> {
        match argv.get_ref().first() {
            None => return Err(self.err(argv.span(), key, "the argv is empty: name a program")),
            Some(p) if p.get_ref().is_empty() => {
                return Err(self.err(p.span(), key, "the program name is empty"))
            }
            _ => {}
        }
        self.no_nul(argv, key)
    }

    fn no_nul(&self, list: &Strings, key: &str) -> Result<()> {
        match list.get_ref().iter().find(|s| s.get_ref().contains('\0')) {
            Some(s) => Err(self.err(s.span(), key, "holds a NUL character")),
            None => Ok(()),
        }
    }

    /// The variant axis: `[params] variant`, else every `[command.variants]`
    /// entry, else one variant named after the program.
    fn command_variants(&self, params: &Table, argvs: &[Argv]) -> Result<Axis> {
        let named: Vec<&str> = argvs
            .iter()
            .filter_map(|a| a.name.map(|n| n.get_ref().as_str()))
            .collect();
        let Some((_, value)) = params.iter().find(|(k, _)| k.get_ref() == "variant") else {
            let values = if named.is_empty() {
                let argv: Vec<String> = strings(Some(argvs[0].argv));
                vec![program_name(&argv).to_string()]
            } else {
                named.iter().map(ToString::to_string).collect()
            };
            return Ok(Axis::Variant(values));
        };
        let values = self.list(value, "params.variant", |v, span| {
            let Some(name) = v.as_str() else {
                return Err(self.err(span, "params.variant", "expected a variant name (a string)"));
            };
            label_text(name).map_err(|m| self.err(span.clone(), "params.variant", m))?;
            if named.is_empty() || named.contains(&name) {
                Ok(name.to_string())
            } else {
                Err(self.err(
                    span,
                    "params.variant",
                    format!(
                        "[command.variants] has no `{name}`; it has {}",
                        named.join(", ")
                    ),
                ))
            }
        })?;
        Ok(Axis::Variant(values))
    }

    /// Every other `[params]` key: an axis of scalars, as written.
    fn untyped_params(&self, params: &Table) -> Result<Vec<Axis>> {
        let mut keys: Vec<_> = params
            .iter()
            .filter(|(k, _)| k.get_ref() != "variant")
            .collect();
        keys.sort_by_key(|(k, _)| k.span().start);
        keys.into_iter()
            .map(|(key, value)| {
                let name = key.get_ref();
                let path = format!("params.{name}");
                if BUILT_IN.contains(&name.as_str()) || name == "allocator" || name == "buffering" {
                    return Err(self.err(
                        key.span(),
                        &path,
                        format!("`{name}` is tuner's own: name the parameter otherwise"),
                    ));
                }
                template::names(&format!("{{{name}}}")).map_err(|_| {
                    self.err(
                        key.span(),
                        &path,
                        "a parameter's name must be usable as a {placeholder}: no braces, no spaces at its ends",
                    )
                })?;
                let values = self.list(value, &path, |v, span| {
                    let value = param_value(&v).ok_or_else(|| {
                        self.err(span.clone(), &path, "expected a number, string or bool")
                    })?;
                    match &value {
                        ParamValue::Float(f) if !f.is_finite() => Err(self.err(
                            span,
                            &path,
                            format!("{f} is not a finite number"),
                        )),
                        ParamValue::Str(s) if s.contains('\0') => {
                            Err(self.err(span, &path, "holds a NUL character"))
                        }
                        _ => Ok(value),
                    }
                })?;
                Ok(Axis::Param(name.clone(), values))
            })
            .collect()
    }

    /// Every placeholder names something, and every parameter is used.
    fn placeholders(
        &self,
        templated: &[Templated],
        table: &Table,
        axes: &[Axis],
        has_threads: bool,
    ) -> Result<()> {
        let params: Vec<&str> = axes
            .iter()
            .filter(|a| matches!(a, Axis::Param(..)))
            .map(Axis::name)
            .collect();
        let known: Vec<&str> = BUILT_IN
            .into_iter()
            .filter(|n| *n != "threads" || has_threads)
            .chain(params.iter().copied())
            .collect();
        let mut used = BTreeSet::new();
        for t in templated {
            let names =
                template::names(&t.text).map_err(|m| self.err(t.span.clone(), &t.key, m))?;
            for name in names {
                if name == "threads" && !has_threads {
                    return Err(self.err(
                        t.span.clone(),
                        &t.key,
                        "{threads} needs a threads axis: set [matrix] threads",
                    ));
                }
                if !known.contains(&name.as_str()) {
                    return Err(self.err(
                        t.span.clone(),
                        &t.key,
                        format!(
                            "`{{{name}}}` names no parameter; the placeholders are {}",
                            template::list(&known)
                        ),
                    ));
                }
                used.insert(name);
            }
        }
        // Variants with argvs of their own need no {variant}; one
        // variant needs none either.
        let own_argvs = templated
            .iter()
            .any(|t| t.key.starts_with("command.variants."));
        let variants = axes.first().map_or(0, Axis::len);
        let variant_unused = !own_argvs && variants > 1 && !used.contains("variant");
        let unused = params
            .iter()
            .copied()
            .filter(|p| !used.contains(*p))
            .chain(variant_unused.then_some("variant"));
        for name in unused {
            if let Some((key, _)) = table.iter().find(|(k, _)| k.get_ref() == name) {
                return Err(self.err(
                    key.span(),
                    &format!("params.{name}"),
                    format!(
                        "`{name}` is never used: put {{{name}}} in the command's argv (or its env, stdin, prepare or cleanup)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The variants `argv` runs under (all of the axis for `argv`, its own
    /// for a `[command.variants]` entry), with the program it starts.
    fn variant(&self, a: &Argv, axis: &Axis, cwd: &Path) -> Result<Vec<CommandVariant>> {
        let argv = strings(Some(a.argv));
        let program = &a.argv.get_ref()[0];
        let program = if program.get_ref().contains(['{', '}']) {
            None
        } else {
            let path =
                resolve(program.get_ref(), cwd).map_err(|m| self.err(program.span(), &a.key, m))?;
            let kind = crate::elf::inspect(&path);
            Some(Program { path, kind })
        };
        let names: Vec<String> = match a.name {
            Some(n) if axis.labels().contains(n.get_ref()) => vec![n.get_ref().clone()],
            Some(_) => Vec::new(),
            None => axis.labels(),
        };
        Ok(names
            .into_iter()
            .map(|name| CommandVariant {
                name,
                argv: argv.clone(),
                program: program.clone(),
            })
            .collect())
    }

    /// The library each preloading allocator on the axis loads.
    fn preloads(
        &self,
        axis: &Axis,
        raw: &RawCommand,
        matrix: &RawMatrix,
    ) -> Result<Vec<(AllocatorName, PathBuf)>> {
        for name in raw.preload.keys() {
            if AllocatorName::parse(name.get_ref()).is_none() {
                return Err(self.err(
                    name.span(),
                    &format!("command.preload.{}", name.get_ref()),
                    "expected jemalloc or mimalloc",
                ));
            }
        }
        let Axis::Allocator(allocators) = axis else {
            return Ok(Vec::new());
        };
        let span = matrix.allocator.as_ref().map_or(0..0, Spanned::span);
        let mut out = Vec::new();
        for &allocator in allocators {
            let named = raw
                .preload
                .iter()
                .find(|(k, _)| k.get_ref() == allocator.as_str());
            let file = match named {
                Some((_, file)) => {
                    let path = self.relative_to_config(file.get_ref());
                    preload::named(allocator, &path).map(Some).map_err(|m| {
                        self.err(file.span(), &format!("command.preload.{allocator}"), m)
                    })?
                }
                None => preload::find(allocator, &preload::system_dirs())
                    .map_err(|m| self.err(span.clone(), "matrix.allocator", m))?,
            };
            out.extend(file.map(|f| (allocator, f)));
        }
        Ok(out)
    }

    fn relative_to_config(&self, file: &str) -> PathBuf {
        match self.path.parent() {
            Some(dir) => dir.join(file),
            None => PathBuf::from(file),
        }
    }

    fn metrics(&self, metrics: Option<&Spanned<String>>) -> Result<Metrics> {
        match metrics.map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("wall", _)) => Ok(Metrics::Wall),
            Some(("gobench", _)) => Ok(Metrics::Gobench),
            Some((other, span)) => Err(self.err(
                span,
                "command.metrics",
                format!("unknown metrics `{other}`; expected \"wall\" (the execution's wall time) or \"gobench\" (Go benchmark lines the command prints)"),
            )),
        }
    }

    /// `[command] env`: names checked, values kept as templates.
    fn command_env(
        &self,
        raw: &RawCommand,
        preload: &[(AllocatorName, PathBuf)],
    ) -> Result<Vec<(String, String)>> {
        let mut env: Vec<_> = raw.env.iter().collect();
        env.sort_by_key(|(k, _)| k.span().start);
        env.into_iter()
            .map(|(name, value)| {
                let key = format!("command.env.{}", name.get_ref());
                env_name(name.get_ref()).map_err(|m| self.err(name.span(), &key, m))?;
                if name.get_ref() == "LD_PRELOAD" && !preload.is_empty() {
                    return Err(self.err(
                        name.span(),
                        &key,
                        "the allocator axis sets LD_PRELOAD for jemalloc and mimalloc points",
                    ));
                }
                if value.get_ref().contains('\0') {
                    return Err(self.err(value.span(), &key, "holds a NUL character"));
                }
                Ok((name.get_ref().clone(), value.get_ref().clone()))
            })
            .collect()
    }

    /// The variables set to the point's thread count.
    fn threads_env(&self, list: Option<&Strings>, has_threads: bool) -> Result<Vec<String>> {
        let Some(list) = list else {
            return Ok(if has_threads {
                DEFAULT_THREADS_ENV
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            } else {
                Vec::new()
            });
        };
        if !has_threads {
            return Err(self.err(
                list.span(),
                "command.threads_env",
                "sets nothing without a threads axis: set [matrix] threads",
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for name in list.get_ref() {
            env_name(name.get_ref())
                .map_err(|m| self.err(name.span(), "command.threads_env", m))?;
            if out.contains(name.get_ref()) {
                return Err(self.err(
                    name.span(),
                    "command.threads_env",
                    format!("{} is listed twice", name.get_ref()),
                ));
            }
            out.push(name.get_ref().clone());
        }
        Ok(out)
    }

    fn warmup(&self, warmup: Option<&Spanned<u32>>, metrics: Metrics) -> Result<u32> {
        match warmup {
            // `go test -bench` warms itself up; a whole execution is cold once.
            None => Ok(u32::from(metrics == Metrics::Wall)),
            Some(w) if *w.get_ref() <= MAX_WARMUP => Ok(*w.get_ref()),
            Some(w) => Err(self.err(
                w.span(),
                "command.warmup",
                format!("must be from 0 to {MAX_WARMUP}"),
            )),
        }
    }

    fn check_output(&self, check: Option<&Spanned<bool>>, metrics: Metrics) -> Result<bool> {
        match check {
            Some(c) if *c.get_ref() && metrics == Metrics::Gobench => Err(self.err(
                c.span(),
                "command.check_output",
                "Go benchmark output holds its own timings, so its digest always differs",
            )),
            Some(c) => Ok(*c.get_ref()),
            None => Ok(false),
        }
    }
}

/// Every string of the command that may hold placeholders.
fn templated(raw: &RawCommand, argvs: &[Argv]) -> Vec<Templated> {
    let mut out = Vec::new();
    let mut list = |key: &str, list: &Strings| {
        out.extend(list.get_ref().iter().map(|s| Templated {
            key: key.to_string(),
            span: s.span(),
            text: s.get_ref().clone(),
        }));
    };
    for a in argvs {
        list(&a.key, a.argv);
    }
    if let Some(p) = &raw.prepare {
        list("command.prepare", p);
    }
    if let Some(c) = &raw.cleanup {
        list("command.cleanup", c);
    }
    let single = |key: String, s: &Spanned<String>| Templated {
        key,
        span: s.span(),
        text: s.get_ref().clone(),
    };
    out.extend(
        raw.env
            .iter()
            .map(|(k, v)| single(format!("command.env.{}", k.get_ref()), v)),
    );
    out.extend(raw.stdin.iter().map(|s| single("command.stdin".into(), s)));
    out
}

/// The file `program` names: relative to `cwd` when it holds a `/`,
/// looked up on `PATH` otherwise, as `execvp` would.
pub(crate) fn resolve(program: &str, cwd: &Path) -> std::result::Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = if program.contains('/') {
        vec![cwd.join(program)]
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| cwd.join(dir).join(program))
            .collect()
    };
    let executable = |p: &PathBuf| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    match candidates.iter().find(|p| executable(p)) {
        Some(p) => std::path::absolute(p).map_err(|e| e.to_string()),
        None if program.contains('/') => Err(format!(
            "program `{program}` is not an executable file in {}",
            cwd.display()
        )),
        None => Err(format!("program `{program}` is not on PATH")),
    }
}

/// The program's file name: a name for the workload and its default variant.
fn program_name(argv: &[String]) -> &str {
    let Some(program) = argv.first() else {
        return "command";
    };
    if program.contains(['{', '}']) {
        return "command";
    }
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("command")
}

fn strings(list: Option<&Strings>) -> Vec<String> {
    list.map(|l| l.get_ref().iter().map(|s| s.get_ref().clone()).collect())
        .unwrap_or_default()
}

/// A name the report prints: not empty, no control characters.
fn label_text(name: &str) -> std::result::Result<(), String> {
    if name.trim().is_empty() {
        Err("is empty".into())
    } else if name.chars().any(char::is_control) {
        Err(format!("{name:?} holds a control character"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Axis, ConfigError, Metrics, Plan};

    /// A folder with an executable `prog` and the config `text` beside it.
    fn parse_in(dir: &Path, text: &str) -> Result<Plan, ConfigError> {
        let prog = dir.join("prog");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, text).unwrap();
        crate::config::parse(&path, text, &tuner_experiments::catalog())
    }

    fn parse(text: &str) -> Result<Plan, ConfigError> {
        parse_in(tempfile::tempdir().unwrap().path(), text)
    }

    fn error(text: &str) -> (usize, String, String) {
        let e = parse(text).expect_err("invalid config");
        (e.line, e.key, e.message)
    }

    const ARGV: &str = "[command]\nargv = [\"./prog\", \"-n\", \"{size}\"]\n";

    #[test]
    fn a_command_config_becomes_axes_and_a_plan() {
        let plan = parse(&format!(
            "[experiment]\nname = \"p\"\n{ARGV}env = {{ A = \"{{size}}\" }}\n[params]\nsize = [10, \"1e3\"]\n\
             [matrix]\nthreads = [1, 2]\n[matrix.env]\nGOGC = [\"100\", 50, \"off\"]\nMALLOC_ARENA_MAX = \"2\"\n"
        ))
        .unwrap();
        let names: Vec<&str> = plan.axes.iter().map(Axis::name).collect();
        assert_eq!(
            names,
            [
                "variant",
                "size",
                "threads",
                "allocator",
                "GOGC",
                "MALLOC_ARENA_MAX"
            ]
        );
        assert_eq!(plan.axes[0], Axis::Variant(vec!["prog".into()]));
        assert_eq!(plan.axes[4].labels(), ["100", "50", "off"]);
        assert_eq!(plan.workload, "command:prog");
        assert_eq!(
            (plan.measure.samples, plan.measure.warmup.as_secs()),
            (1, 0)
        );
        let c = plan.command.unwrap();
        assert_eq!(c.threads_env, crate::config::DEFAULT_THREADS_ENV);
        assert_eq!(
            (c.metrics, c.warmup, c.check_output),
            (Metrics::Wall, 1, false)
        );
        assert_eq!(c.env, [("A".to_string(), "{size}".to_string())]);
        let program = c.variants[0].program.as_ref().unwrap();
        assert!(program.path.ends_with("prog") && program.path.is_absolute());
        assert_eq!(program.kind.preload_reaches(), None, "a script");
        let points = crate::matrix::expand(&crate::config::parse(
            Path::new("/nonexistent/c.toml"),
            "[experiment]\nworkload = \"selfcheck\"\n[matrix.env]\n_RJEM_MALLOC_CONF = [\"dirty_decay_ms:0\", \"dirty_decay_ms:10000\"]\n",
            &tuner_experiments::catalog(),
        )
        .unwrap());
        assert_eq!(
            points[1].env,
            [(
                "_RJEM_MALLOC_CONF".to_string(),
                "dirty_decay_ms:10000".to_string()
            )]
        );
    }

    #[test]
    fn variants_keep_their_config_order_and_params_may_pick_some() {
        let plan = parse(
            "[experiment]\nname = \"p\"\n[command.variants]\nzeta = [\"./prog\", \"z\"]\nalpha = [\"sh\", \"-c\", \"true\"]\nmid = [\"./prog\"]\n",
        )
        .unwrap();
        assert_eq!(plan.axes[0].labels(), ["zeta", "alpha", "mid"]);
        let c = plan.command.unwrap();
        assert_eq!(c.variant("alpha").unwrap().argv, ["sh", "-c", "true"]);
        let plan = parse(
            "[experiment]\nname = \"p\"\n[command.variants]\na = [\"./prog\"]\nb = [\"./prog\", \"x\"]\n[params]\nvariant = [\"b\"]\n",
        )
        .unwrap();
        assert_eq!(plan.axes[0].labels(), ["b"]);
        assert_eq!(plan.command.unwrap().variants.len(), 1);
    }

    #[test]
    fn placeholders_must_name_something_and_params_must_be_used() {
        let (line, key, message) = error("[command]\nargv = [\"./prog\", \"{colour}\"]\n");
        assert_eq!((line, key.as_str()), (2, "command.argv"));
        assert_eq!(
            message,
            "`{colour}` names no parameter; the placeholders are {variant} and {scratch}"
        );
        let (line, key, message) = error(&format!("{ARGV}[params]\nsize = 1\nseed = [1, 2]\n"));
        assert_eq!((line, key.as_str()), (5, "params.seed"));
        assert!(
            message.starts_with("`seed` is never used: put {seed}"),
            "{message}"
        );
        let (_, key, message) = error("[command]\nargv = [\"./prog\", \"-j{threads}\"]\n");
        assert_eq!(key, "command.argv");
        assert_eq!(
            message,
            "{threads} needs a threads axis: set [matrix] threads"
        );
        let (_, key, _) =
            error("[command]\nargv = [\"./prog\"]\n[params]\nvariant = [\"a\", \"b\"]\n");
        assert_eq!(key, "params.variant", "two variants that run the same argv");
        let (_, key, message) = error("[command]\nargv = [\"./prog\"]\nprepare = [\"x{\"]\n");
        assert_eq!(key, "command.prepare");
        assert!(message.contains("is not closed"), "{message}");
    }

    #[test]
    fn keys_a_command_cannot_use_are_refused_where_written() {
        let cases = [
            ("[experiment]\nworkload = \"pool\"\n[command]\nargv = [\"./prog\"]\n", 2, "experiment.workload", "not both"),
            ("[experiment]\nname = \"x\"\n", 1, "experiment.workload", "or a [command] table"),
            ("[command]\nargv = [\"./prog\"]\n[matrix]\nbuffering = \"line\"\n", 4, "matrix.buffering", "no buffering knob"),
            ("[command]\nargv = [\"./prog\"]\n[measure]\nsamples = 3\n", 4, "measure.samples", "timed whole, once per process"),
            ("[command]\nargv = [\"./prog\"]\n[profile]\ncpu = true\n", 3, "profile", "a [command] has none"),
            ("[command]\nargv = [\"./gone\"]\n", 2, "command.argv", "is not an executable file in"),
            ("[command]\nargv = [\"no-such-program-anywhere\"]\n", 2, "command.argv", "is not on PATH"),
            ("[command]\nargv = []\n", 2, "command.argv", "the argv is empty"),
            ("[command]\nargv = [\"./prog\"]\n[command.variants]\na = [\"./prog\"]\n", 4, "command.variants", "not both"),
            ("[command]\nargv = [\"./prog\"]\nmetrics = \"gobench\"\ncheck_output = true\n", 4, "command.check_output", "digest always differs"),
            ("[command]\nargv = [\"./prog\"]\nmetrics = \"cycles\"\n", 3, "command.metrics", "unknown metrics `cycles`"),
            ("[command]\nargv = [\"./prog\"]\nthreads_env = [\"X\"]\n", 3, "command.threads_env", "without a threads axis"),
            ("[command]\nargv = [\"./prog\"]\ncwd = \"nowhere\"\n", 3, "command.cwd", "is not a folder"),
            ("[command]\nargv = [\"./prog\"]\n[command.preload]\njemalloc = \"none.so\"\n[matrix]\nallocator = [\"system\", \"jemalloc\"]\n", 4, "command.preload.jemalloc", "is not a file"),
            ("[command.variants]\na = [\"./prog\"]\n[params]\nvariant = [\"b\"]\n", 4, "params.variant", "has no `b`; it has a"),
            ("[command]\nargv = [\"./prog\"]\n[params]\nthreads = 2\n", 4, "params.threads", "is tuner's own"),
        ];
        for (text, line, key, fragment) in cases {
            let (l, k, m) = error(text);
            assert_eq!((l, k.as_str()), (line, key), "{text}: {m}");
            assert!(m.contains(fragment), "{text}: {m}");
        }
    }

    #[test]
    fn environment_axes_are_checked_names_that_clash_with_nothing() {
        let cases = [
            (
                "[matrix.env]\n\"1X\" = [\"a\"]\n",
                "matrix.env.1X",
                "is not an environment variable name",
            ),
            (
                "[matrix.env]\nTUNER_ALLOCATOR = [\"a\"]\n",
                "matrix.env.TUNER_ALLOCATOR",
                "tuner's own variable",
            ),
            (
                "[matrix.env]\nGOGC = [\"a\", \"a\"]\n",
                "matrix.env.GOGC",
                "\"a\" is listed twice",
            ),
            (
                "[matrix.env]\nGOGC = [1.5]\n",
                "matrix.env.GOGC",
                "expected a string",
            ),
            (
                "env = { GOGC = \"1\" }\n[matrix.env]\nGOGC = [\"a\"]\n",
                "matrix.env.GOGC",
                "[command] env sets `GOGC` already",
            ),
            (
                "[matrix]\nthreads = [1]\n[matrix.env]\nGOMAXPROCS = [\"1\"]\n",
                "matrix.env.GOMAXPROCS",
                "set to each point's thread count",
            ),
            (
                "[params]\nv = [\"1\"]\n[matrix.env]\nv = [\"a\"]\n",
                "matrix.env.v",
                "already an axis",
            ),
        ];
        for (tail, key, fragment) in cases {
            let text = format!("[command]\nargv = [\"./prog\", \"{{v}}\"]\n{tail}");
            let text = if text.contains("[params]") {
                text
            } else {
                text.replace(", \"{v}\"", "")
            };
            let (_, k, m) = error(&text);
            assert_eq!(k, key, "{text}: {m}");
            assert!(m.contains(fragment), "{text}: {m}");
        }
        // Exclusions and the baseline name environment values like any axis.
        let plan = parse(
            "[command]\nargv = [\"./prog\"]\n[matrix.env]\nGOGC = [\"100\", \"off\"]\nexclude = [{ GOGC = \"off\" }]\n",
        );
        assert!(plan.is_err(), "exclude is a [matrix] key, not a variable");
        let plan = parse(
            "[command]\nargv = [\"./prog\"]\n[matrix]\nexclude = [{ GOGC = \"off\" }]\n[matrix.env]\nGOGC = [\"100\", \"off\", \"50\"]\n[report]\nbaseline = { GOGC = \"50\" }\n",
        )
        .unwrap();
        let points = crate::matrix::expand(&plan);
        assert_eq!(points.len(), 2);
        let base = crate::matrix::baseline(&plan, &points).unwrap();
        assert_eq!(points[base].env, [("GOGC".to_string(), "50".to_string())]);
    }
}
