//! Validating a `[command]` config: the argv of each variant and the
//! program it starts, untyped parameters (scalars as written), the
//! placeholders every string may hold, and the keys a command cannot use
//! (`buffering`, per-sample `[measure]` keys, `[profile]`); the other
//! `[command]` keys are `settings`'. Each error names the file, line and key.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use tuner_api::{Knobs, ParamValue};

use super::plan::{CommandPlan, CommandVariant, Program};
use super::settings::resolve;
use super::template;
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
        for (list, key) in [
            (&raw.prepare, "command.prepare"),
            (&raw.cleanup, "command.cleanup"),
        ] {
            if let Some(list) = list {
                self.argv_strings(list, key)?;
            }
        }
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
                knobs: if has_threads {
                    Knobs::NONE.uses_threads()
                } else {
                    Knobs::NONE
                },
                lessons: Vec::new(),
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
