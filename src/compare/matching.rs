//! Matching the points of two runs by their coordinates.
//!
//! A point is named by its `axis=value` pairs. Two runs of one config have
//! the same axes and match point for point. Runs of two versions of a config
//! need a rule for the axes that differ:
//!
//! - an axis pinned to one value in both runs is not part of a point's
//!   name; if the value differs (`threshold = 64` vs `threshold = 2048`) it
//!   is *the change under test* and is listed as a setting change;
//! - an axis pinned in only one run (a parameter added or dropped) is left
//!   out of the names too, with a note;
//! - every axis that varies in either run names the points. If it varies in
//!   one run only, the other run's points still carry its (single) value
//!   when the axis exists there, so `threads = [1, 2]` against
//!   `threads = [1]` matches the `threads=1` points and lists `threads=2`
//!   as present in base only. An axis that varies in one run and is absent
//!   from the other leaves no point in common.

use serde::{Deserialize, Serialize};

use crate::config::Axis;
use crate::matrix::Point;
use crate::results::Results;

/// A setting pinned in both runs to different values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChange {
    pub axis: String,
    pub base: String,
    pub head: String,
}

/// One point present in both runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pair {
    /// `variant=v3 threads=2`: the point's name in the comparison.
    pub key: String,
    /// Point ids in the base and head runs.
    pub base: usize,
    pub head: usize,
}

/// How the points of two runs correspond.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Matching {
    /// The axes that name a point, in base's axis order.
    pub key_axes: Vec<String>,
    pub changed: Vec<SettingChange>,
    /// Axes present in one run only, as notes for the reader.
    pub notes: Vec<String>,
    /// Shared points, in base's point order.
    pub pairs: Vec<Pair>,
    pub only_in_base: Vec<String>,
    pub only_in_head: Vec<String>,
}

/// The name of a point when no axis varies: the whole run is one point.
pub(super) const SINGLE_POINT: &str = "all";

/// Matches the points of `base` and `head` by their coordinates.
pub(crate) fn match_points(base: &Results, head: &Results) -> Matching {
    let (key_axes, changed, notes) = classify(&base.plan.axes, &head.plan.axes);
    let base_keys: Vec<String> = base.points.iter().map(|p| key(p, &key_axes)).collect();
    let head_keys: Vec<String> = head.points.iter().map(|p| key(p, &key_axes)).collect();
    let pairs: Vec<Pair> = base_keys
        .iter()
        .enumerate()
        .filter_map(|(b, k)| {
            let h = head_keys.iter().position(|hk| hk == k)?;
            Some(Pair {
                key: k.clone(),
                base: base.points[b].id,
                head: head.points[h].id,
            })
        })
        .collect();
    let missing = |keys: &[String], other: &[String]| -> Vec<String> {
        keys.iter()
            .filter(|k| !other.contains(k))
            .cloned()
            .collect()
    };
    Matching {
        only_in_base: missing(&base_keys, &head_keys),
        only_in_head: missing(&head_keys, &base_keys),
        key_axes,
        changed,
        notes,
        pairs,
    }
}

/// The point's name over `key_axes`: `axis=value` pairs joined by spaces.
pub(super) fn key(point: &Point, key_axes: &[String]) -> String {
    let parts: Vec<String> = key_axes
        .iter()
        .filter_map(|a| point.coord(a).map(|v| format!("{a}={v}")))
        .collect();
    if parts.is_empty() {
        SINGLE_POINT.to_string()
    } else {
        parts.join(" ")
    }
}

/// Splits the two runs' axes into naming axes, setting changes and notes.
fn classify(base: &[Axis], head: &[Axis]) -> (Vec<String>, Vec<SettingChange>, Vec<String>) {
    let find = |axes: &[Axis], name: &str| axes.iter().find(|a| a.name() == name).cloned();
    let mut key_axes = Vec::new();
    let mut changed = Vec::new();
    let mut notes = Vec::new();
    for b in base {
        match find(head, b.name()) {
            Some(h) if b.len() == 1 && h.len() == 1 => {
                let (bv, hv) = (b.labels().remove(0), h.labels().remove(0));
                if bv != hv {
                    changed.push(SettingChange {
                        axis: b.name().to_string(),
                        base: bv,
                        head: hv,
                    });
                }
            }
            Some(_) => key_axes.push(b.name().to_string()),
            None if b.len() == 1 => notes.push(format!(
                "`{}` is set only in base ({})",
                b.name(),
                b.labels()[0]
            )),
            None => key_axes.push(b.name().to_string()),
        }
    }
    for h in head.iter().filter(|h| find(base, h.name()).is_none()) {
        if h.len() == 1 {
            notes.push(format!(
                "`{}` is set only in head ({})",
                h.name(),
                h.labels()[0]
            ));
        } else {
            key_axes.push(h.name().to_string());
        }
    }
    (key_axes, changed, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tuner_api::ParamValue;

    use crate::fixtures::point;

    fn variants(v: &[&str]) -> Axis {
        Axis::Variant(v.iter().map(ToString::to_string).collect())
    }

    fn threshold(v: i64) -> Axis {
        Axis::Param("threshold".into(), vec![ParamValue::Int(v)])
    }

    #[test]
    fn a_pinned_value_that_differs_is_the_change_not_part_of_the_name() {
        let base = [variants(&["a", "b"]), threshold(64)];
        let head = [variants(&["a", "b"]), threshold(2048)];
        let (keys, changed, notes) = classify(&base, &head);
        assert_eq!(keys, ["variant"]);
        assert_eq!(
            changed,
            [SettingChange {
                axis: "threshold".into(),
                base: "64".into(),
                head: "2048".into()
            }]
        );
        assert!(notes.is_empty());
        let p = point(0, &[("variant", "b"), ("threshold", "64")]);
        assert_eq!(key(&p, &keys), "variant=b");
    }

    #[test]
    fn an_axis_varying_in_one_run_names_points_in_both() {
        let base = [variants(&["a"]), Axis::Threads(vec![1, 2])];
        let head = [variants(&["a"]), Axis::Threads(vec![1])];
        let (keys, changed, _) = classify(&base, &head);
        assert_eq!(keys, ["threads"]);
        assert!(changed.is_empty());
        let p = point(0, &[("variant", "a"), ("threads", "1")]);
        assert_eq!(key(&p, &keys), "threads=1");
    }

    #[test]
    fn axes_in_one_run_only_are_noted_or_name_points() {
        let base = [variants(&["a", "b"]), threshold(64)];
        let head = [
            variants(&["a", "b"]),
            Axis::Param("size".into(), vec![ParamValue::Int(1), ParamValue::Int(2)]),
        ];
        let (keys, changed, notes) = classify(&base, &head);
        assert_eq!(keys, ["variant", "size"]);
        assert!(changed.is_empty());
        assert_eq!(notes, ["`threshold` is set only in base (64)"]);
    }

    #[test]
    fn with_no_varying_axis_the_run_is_one_point() {
        let (keys, _, _) = classify(&[variants(&["a"])], &[variants(&["b"])]);
        assert!(keys.is_empty());
        assert_eq!(key(&point(0, &[("variant", "a")]), &keys), SINGLE_POINT);
    }
}
