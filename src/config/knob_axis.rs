//! `[matrix]` keys that name a runtime knob of `crate::knob` (such as
//! `stack_size`): one axis each, its values parsed by the knob itself, in
//! config order after the built-in axes. The knobs are data, so this file
//! names none of them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::plan::Axis;
use super::raw::Table;
use super::validate::{Checker, Result};
use crate::knob;

/// The `[matrix]` keys serde reads into `RawMatrix`.
const BUILT_IN: [&str; 5] = ["threads", "allocator", "buffering", "exclude", "env"];

/// The `[matrix]` table again, every key spanned: `RawMatrix` cannot keep
/// unknown keys with their spans (serde's `flatten` loses them).
#[derive(Deserialize)]
struct MatrixKeys {
    #[serde(default)]
    matrix: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

impl Checker<'_> {
    /// One axis per runtime knob the config sets; any other key that is not
    /// a built-in one is an unknown key.
    pub(super) fn knob_axes(&self, command: bool) -> Result<Vec<Axis>> {
        let keys: MatrixKeys = toml::from_str(self.text)
            .map_err(|e| super::ConfigError::from_toml(self.path, self.text, &e))?;
        let mut entries: Table = keys.matrix;
        entries.retain(|k, _| !BUILT_IN.contains(&k.get_ref().as_str()));
        let mut entries: Vec<_> = entries.into_iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
            .into_iter()
            .map(|(name, values)| {
                let key = format!("matrix.{}", name.get_ref());
                let Some(knob) = knob::find(name.get_ref()) else {
                    let known: Vec<String> = BUILT_IN
                        .iter()
                        .copied()
                        .chain(knob::KNOBS.iter().map(|k| k.name()))
                        .map(|k| format!("`{k}`"))
                        .collect();
                    return Err(self.err(
                        name.span(),
                        &key,
                        format!(
                            "unknown field `{}`, expected one of {}",
                            name.get_ref(),
                            known.join(", ")
                        ),
                    ));
                };
                if command {
                    return Err(self.err(
                        name.span(),
                        &key,
                        format!(
                            "a [command] runs its own program, which tuner's {} does not reach",
                            knob.name()
                        ),
                    ));
                }
                let labels = self.list(&values, &key, |v, span| {
                    knob.parse(&v).map_err(|m| self.err(span, &key, m))
                })?;
                Ok(Axis::Knob(knob.name().to_string(), labels))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{parse, Axis};

    fn config(matrix: &str) -> Result<crate::config::Plan, crate::config::ConfigError> {
        let text =
            format!("[experiment]\nworkload = \"mergesort\"\n[matrix]\nthreads = [1, 2]\n{matrix}");
        parse(Path::new("k.toml"), &text, &tuner_experiments::catalog())
    }

    #[test]
    fn a_runtime_knob_is_an_axis_and_reaches_every_point() {
        let plan = config("stack_size = [\"256KiB\", 2097152]\n").unwrap();
        let axis = plan.axes.iter().find(|a| a.name() == "stack_size").unwrap();
        assert_eq!(
            axis,
            &Axis::Knob("stack_size".into(), vec!["256KiB".into(), "2MiB".into()])
        );
        let points = crate::matrix::expand(&plan);
        assert!(points
            .iter()
            .any(|p| p.runtime == [("stack_size".to_string(), "256KiB".to_string())]));
        assert_eq!(points[1].coord("stack_size"), Some("2MiB"));
    }

    #[test]
    fn unknown_matrix_keys_and_bad_values_name_their_line_and_key() {
        let e = config("stak_size = \"1MiB\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (5, "matrix.stak_size"));
        assert!(
            e.message
                .contains("unknown field `stak_size`, expected one of"),
            "{e}"
        );
        assert!(e.message.contains("`stack_size`"), "{e}");
        let e = config("stack_size = [\"1MiB\", \"tiny\"]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (5, "matrix.stack_size"));
        assert!(e.message.contains("`tiny` is not a size"), "{e}");
    }
}
