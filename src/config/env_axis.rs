//! `[matrix.env]`: environment variables as axes. Each variable is set in
//! every process of a point — a catalog workload's worker, whose
//! allocators read their variables when they start (`_RJEM_MALLOC_CONF`,
//! `MIMALLOC_*`), or an external command (`GOGC`, `GOMEMLIMIT`,
//! `MALLOC_ARENA_MAX`) — and combines with `exclude`, the baseline and
//! every pivot like the built-in axes. No code per knob: knobs as data.

use toml::Value;

use super::command::{CommandPlan, ENV_NAME_RULE};
use super::plan::Axis;
use super::raw::Table;
use super::validate::{Checker, Result};
use crate::alloc::ENV_VAR;

/// Whether `name` is a variable a config may set.
pub(crate) fn env_name(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{name}` is not an environment variable name: {ENV_NAME_RULE}"
        ));
    }
    if name.starts_with("TUNER_") || name == ENV_VAR {
        return Err(format!("`{name}` is tuner's own variable"));
    }
    Ok(())
}

impl Checker<'_> {
    /// One axis per `[matrix.env]` variable, in config order.
    pub(super) fn env_axes(
        &self,
        table: &Table,
        axes: &[Axis],
        command: Option<&CommandPlan>,
    ) -> Result<Vec<Axis>> {
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
            .into_iter()
            .map(|(name, values)| {
                let key = format!("matrix.env.{}", name.get_ref());
                env_name(name.get_ref())
                    .and_then(|()| clash(name.get_ref(), axes, command))
                    .map_err(|m| self.err(name.span(), &key, m))?;
                let values = self.list(values, &key, |v, span| match v {
                    Value::String(s) if !s.contains('\0') => Ok(s),
                    Value::Integer(i) => Ok(i.to_string()),
                    other => Err(self.err(
                        span,
                        &key,
                        format!("expected a string (or an integer), found {other}"),
                    )),
                })?;
                Ok(Axis::Env(name.get_ref().clone(), values))
            })
            .collect()
    }
}

/// Why `name` cannot be an axis of its own: another axis has its name, or
/// the command already sets it.
fn clash(
    name: &str,
    axes: &[Axis],
    command: Option<&CommandPlan>,
) -> std::result::Result<(), String> {
    if axes.iter().any(|a| a.name() == name) {
        return Err(format!("`{name}` is already an axis"));
    }
    let Some(command) = command else {
        return Ok(());
    };
    if command.env.iter().any(|(k, _)| k == name) {
        return Err(format!("[command] env sets `{name}` already"));
    }
    if command.threads_env.iter().any(|k| k == name) {
        return Err(format!(
            "`{name}` is set to each point's thread count (command.threads_env)"
        ));
    }
    if name == "LD_PRELOAD" && !command.preload.is_empty() {
        return Err("the allocator axis sets LD_PRELOAD for jemalloc and mimalloc points".into());
    }
    Ok(())
}
