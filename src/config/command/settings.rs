//! The `[command]` keys besides its argv: the preloaded libraries, the
//! extra environment, the thread variables, where samples come from,
//! warm-up runs and the output check; and how a program name resolves.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::plan::{Metrics, DEFAULT_THREADS_ENV};
use super::preload;
use crate::alloc::AllocatorName;
use crate::config::env_axis::env_name;
use crate::config::plan::Axis;
use crate::config::raw::{RawCommand, RawMatrix, Strings};
use crate::config::validate::{Checker, Result};

/// At most this many untimed executions before the timed one.
const MAX_WARMUP: u32 = 100;

impl Checker<'_> {
    /// The library each preloading allocator on the axis loads.
    pub(super) fn preloads(
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

    pub(super) fn metrics(&self, metrics: Option<&Spanned<String>>) -> Result<Metrics> {
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
    pub(super) fn command_env(
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
    pub(super) fn threads_env(
        &self,
        list: Option<&Strings>,
        has_threads: bool,
    ) -> Result<Vec<String>> {
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

    pub(super) fn warmup(&self, warmup: Option<&Spanned<u32>>, metrics: Metrics) -> Result<u32> {
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

    pub(super) fn check_output(
        &self,
        check: Option<&Spanned<bool>>,
        metrics: Metrics,
    ) -> Result<bool> {
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
