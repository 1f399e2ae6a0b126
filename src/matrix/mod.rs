//! Expanding a plan's axes into matrix points, and the interleaved,
//! shuffled order in which their processes run.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use tuner_api::Buffering;
use tuner_api::Params;

use crate::alloc::AllocatorName;
use crate::config::{Axis, Plan};

mod shard;

pub(crate) use shard::{shared_seed, Shard, ShardArg, SplitBy};

/// One combination of axis values: what a worker process runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Index in the matrix, stable for a given config.
    pub id: usize,
    pub variant: String,
    /// Every workload parameter, defaults included.
    pub params: Params,
    pub threads: usize,
    pub allocator: AllocatorName,
    pub buffering: Buffering,
    /// `(variable, value)` of every environment axis (`[matrix.env]`),
    /// set in the point's processes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    /// `(knob, label)` of every runtime knob axis (`crate::knob`), applied
    /// by the worker.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime: Vec<(String, String)>,
    /// `(axis, value)` for every axis, in axis order, as the report prints them.
    pub coords: Vec<(String, String)>,
}

impl Point {
    /// The point's value on `axis`.
    pub fn coord(&self, axis: &str) -> Option<&str> {
        self.coords
            .iter()
            .find(|(a, _)| a == axis)
            .map(|(_, v)| v.as_str())
    }

    /// `variant=v3 threads=2`: the values of the axes that vary (`varying`).
    pub fn label(&self, varying: &[&str]) -> String {
        let parts: Vec<String> = self
            .coords
            .iter()
            .filter(|(a, _)| varying.contains(&a.as_str()))
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        if parts.is_empty() {
            self.variant.clone()
        } else {
            parts.join(" ")
        }
    }

    /// Whether `other` (of this config or another) runs the same work:
    /// the same variant, parameters and value of every knob — threads,
    /// allocator, buffering, environment variables and runtime knobs —
    /// whatever its id and however its config ordered or labelled them.
    pub(crate) fn same_work(&self, other: &Point) -> bool {
        let sorted = |pairs: &[(String, String)]| {
            let mut v = pairs.to_vec();
            v.sort();
            v
        };
        self.variant == other.variant
            && self.params == other.params
            && self.threads == other.threads
            && self.allocator == other.allocator
            && self.buffering == other.buffering
            && sorted(&self.env) == sorted(&other.env)
            && sorted(&self.runtime) == sorted(&other.runtime)
    }

    /// Whether every `(axis, value)` in `selection` holds for this point.
    pub fn matches(&self, selection: &[(String, String)]) -> bool {
        selection
            .iter()
            .all(|(a, v)| self.coord(a) == Some(v.as_str()))
    }
}

/// Names of the axes with more than one value: the ones a label needs.
pub(crate) fn varying_axes(axes: &[Axis]) -> Vec<&str> {
    axes.iter()
        .filter(|a| a.len() > 1)
        .map(Axis::name)
        .collect()
}

/// The product of the plan's axes, in axis order (the last axis varies
/// fastest), without the excluded combinations.
pub fn expand(plan: &Plan) -> Vec<Point> {
    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for axis in &plan.axes {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                (0..axis.len()).map(move |i| {
                    let mut c = prefix.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    combos
        .into_iter()
        .map(|combo| point(&plan.axes, &combo))
        .filter(|p| !plan.exclude.iter().any(|sel| p.matches(sel)))
        .enumerate()
        .map(|(id, p)| Point { id, ..p })
        .collect()
}

fn point(axes: &[Axis], combo: &[usize]) -> Point {
    let mut p = Point {
        id: 0,
        variant: String::new(),
        params: Params::default(),
        threads: 1,
        allocator: AllocatorName::System,
        buffering: Buffering::Unbuffered,
        env: Vec::new(),
        runtime: Vec::new(),
        coords: Vec::with_capacity(axes.len()),
    };
    for (axis, &i) in axes.iter().zip(combo) {
        match axis {
            Axis::Variant(v) => p.variant = v[i].clone(),
            Axis::Threads(v) => p.threads = v[i],
            Axis::Allocator(v) => p.allocator = v[i],
            Axis::Buffering(v) => p.buffering = v[i],
            Axis::Param(name, v) => {
                p.params.0.insert(name.clone(), v[i].clone());
            }
            Axis::Env(name, v) => p.env.push((name.clone(), v[i].clone())),
            Axis::Knob(name, v) => p.runtime.push((name.clone(), v[i].clone())),
        }
        p.coords
            .push((axis.name().to_string(), axis.labels()[i].clone()));
    }
    p
}

/// One worker process to run: the `process`-th replicate of `point`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub point: usize,
    pub process: u32,
}

/// Round after round, every point once per round, each round in an order
/// shuffled by a generator seeded with `seed`, so slow drift of the
/// machine spreads over all points instead of biasing the ones run last.
pub fn schedule(points: usize, processes: u32, seed: u64) -> Vec<Slot> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut order = Vec::with_capacity(points * processes as usize);
    for process in 0..processes {
        let mut round: Vec<usize> = (0..points).collect();
        round.shuffle(&mut rng);
        order.extend(round.into_iter().map(|point| Slot { point, process }));
    }
    order
}

/// The order of round `round` of [`schedule`] (its points, shuffled):
/// round `r`'s slots sit at places `r × points ..` of the schedule, so an
/// adaptive run, which runs only some points in a round, keeps every run
/// at its place in the schedule of as many rounds as it ran.
pub(crate) fn round_order(points: usize, round: u32, seed: u64) -> Vec<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = Vec::new();
    for _ in 0..=round {
        order = (0..points).collect();
        order.shuffle(&mut rng);
    }
    order
}

/// The block of `count` contiguous, near-equal blocks of a matrix of
/// `points` points that `point` falls in (0-based): the split of
/// `--shard-by points`, which keeps neighbours in matrix order (points
/// differing only in the last axes) on one machine.
pub(crate) fn point_block(point: usize, points: usize, count: u32) -> u32 {
    (point as u64 * u64::from(count) / points.max(1) as u64) as u32
}

/// Points doing the same work (the same values of every varying
/// parameter axis), and the point of each with the baseline's knob
/// settings: the groups the analysis compares within (`analysis::groups`)
/// and the runner looks at before there is an analysis — one rule for both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParamGroup {
    pub points: Vec<usize>,
    pub baseline: Option<usize>,
}

/// The parameter groups of `points`, in order of first appearance.
pub(crate) fn param_groups(
    plan: &Plan,
    points: &[Point],
    baseline: Option<usize>,
) -> Vec<ParamGroup> {
    let axes: Vec<&str> = plan
        .axes
        .iter()
        .filter(|a| matches!(a, Axis::Param(..)) && a.len() > 1)
        .map(Axis::name)
        .collect();
    let params = |p: &Point| -> Vec<(String, String)> {
        p.coords
            .iter()
            .filter(|(a, _)| axes.contains(&a.as_str()))
            .cloned()
            .collect()
    };
    let mut keys: Vec<Vec<(String, String)>> = Vec::new();
    let mut groups: Vec<ParamGroup> = Vec::new();
    for p in points {
        let key = params(p);
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                groups.push(ParamGroup {
                    points: Vec::new(),
                    baseline: None,
                });
                groups.len() - 1
            }
        };
        groups[i].points.push(p.id);
    }
    if let Some(base) = baseline.and_then(|b| points.get(b)) {
        for (g, key) in groups.iter_mut().zip(&keys) {
            let mut selection: Vec<(String, String)> = base
                .coords
                .iter()
                .filter(|(a, _)| !axes.contains(&a.as_str()))
                .cloned()
                .collect();
            selection.extend(key.iter().cloned());
            g.baseline = g
                .points
                .iter()
                .copied()
                .find(|&id| points[id].matches(&selection));
        }
    }
    groups
}

/// The baseline point: the one matching the configured selection, with
/// unnamed axes at their first value. `None` when everything matching was
/// excluded.
pub(crate) fn baseline(plan: &Plan, points: &[Point]) -> Option<usize> {
    let mut selection = plan.report.baseline.clone();
    for axis in &plan.axes {
        if !selection.iter().any(|(a, _)| a == axis.name()) {
            selection.push((axis.name().to_string(), axis.labels()[0].clone()));
        }
    }
    points.iter().find(|p| p.matches(&selection)).map(|p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(extra: &str) -> Plan {
        let text = format!(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\nsize = [1000, 2000]\n[matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"mimalloc\"]\n{extra}"
        );
        crate::config::parse(Path::new("test.toml"), &text, &tuner_experiments::catalog())
            .expect("valid config")
    }

    #[test]
    fn expansion_is_the_product_of_axes() {
        let points = expand(&plan(""));
        assert_eq!(points.len(), 2 * 2 * 2 * 2);
        assert_eq!(points[0].coord("variant"), Some("sequential"));
        assert_eq!(points[0].coord("size"), Some("1000"));
        assert_eq!(points[1].allocator, AllocatorName::Mimalloc);
        assert_eq!(points[15].variant, "v3");
        assert_eq!(points[15].params.int("size"), 2000);
        assert_eq!(points[15].threads, 2);
        // Defaults fill every parameter the config left out.
        assert_eq!(points[0].params.int("threshold"), 2048);
        assert!(points.iter().enumerate().all(|(i, p)| p.id == i));
    }

    #[test]
    fn exclusions_remove_every_matching_point() {
        let points = expand(&plan("exclude = [{ variant = \"sequential\", threads = 2 }, { size = 2000, allocator = \"mimalloc\" }]\n"));
        assert_eq!(points.len(), 16 - 4 - 4 + 1);
        assert!(!points
            .iter()
            .any(|p| p.variant == "sequential" && p.threads == 2));
        assert!(!points
            .iter()
            .any(|p| p.coord("size") == Some("2000") && p.allocator == AllocatorName::Mimalloc));
    }

    #[test]
    fn labels_name_only_varying_axes() {
        let plan = plan("");
        let points = expand(&plan);
        let varying = varying_axes(&plan.axes);
        assert_eq!(varying, ["variant", "size", "threads", "allocator"]);
        assert_eq!(
            points[3].label(&varying),
            "variant=sequential size=1000 threads=2 allocator=mimalloc"
        );
    }

    #[test]
    fn schedule_interleaves_rounds_and_replays_from_its_seed() {
        let order = schedule(5, 3, 42);
        assert_eq!(order.len(), 15);
        for (round, chunk) in order.chunks(5).enumerate() {
            let mut ids: Vec<usize> = chunk.iter().map(|s| s.point).collect();
            ids.sort();
            assert_eq!(ids, [0, 1, 2, 3, 4]);
            assert!(chunk.iter().all(|s| s.process == round as u32));
        }
        assert_eq!(order, schedule(5, 3, 42));
        assert_ne!(order, schedule(5, 3, 43));
    }

    #[test]
    fn point_blocks_are_contiguous_and_near_equal() {
        let blocks: Vec<u32> = (0..10).map(|p| point_block(p, 10, 3)).collect();
        assert_eq!(blocks, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert!((0..7).all(|p| point_block(p, 7, 7) == p as u32));
    }

    #[test]
    fn baseline_defaults_to_first_values_and_honours_the_config() {
        let p = plan("");
        assert_eq!(baseline(&p, &expand(&p)), Some(0));
        let p = plan("[report]\nbaseline = { variant = \"v3\", threads = 2 }\n");
        let points = expand(&p);
        let b = &points[baseline(&p, &points).unwrap()];
        assert_eq!(
            (b.variant.as_str(), b.threads, b.allocator),
            ("v3", 2, AllocatorName::System)
        );
        assert_eq!(b.coord("size"), Some("1000"));
    }

    #[test]
    fn environment_axes_reach_points_exclusions_and_the_baseline() {
        let parse = |text: &str| {
            crate::config::parse(
                &std::env::temp_dir().join("c.toml"),
                text,
                &tuner_experiments::catalog(),
            )
            .unwrap()
        };
        let points = expand(&parse(
            "[experiment]\nworkload = \"selfcheck\"\n[matrix.env]\n_RJEM_MALLOC_CONF = [\"dirty_decay_ms:0\", \"dirty_decay_ms:10000\"]\n",
        ));
        assert_eq!(
            points[1].env,
            [(
                "_RJEM_MALLOC_CONF".to_string(),
                "dirty_decay_ms:10000".to_string()
            )]
        );
        let plan = parse(
            "[command]\nargv = [\"/bin/true\"]\n[matrix]\nexclude = [{ GOGC = \"off\" }]\n[matrix.env]\nGOGC = [\"100\", \"off\", \"50\"]\n[report]\nbaseline = { GOGC = \"50\" }\n",
        );
        let points = expand(&plan);
        assert_eq!(points.len(), 2);
        let base = baseline(&plan, &points).unwrap();
        assert_eq!(points[base].env, [("GOGC".to_string(), "50".to_string())]);
    }

    #[test]
    fn points_differing_only_in_an_environment_value_do_different_work() {
        let plan = |env: &str| {
            crate::config::parse(
                Path::new("w.toml"),
                &format!("[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = \"v3\"\n[matrix]\nthreads = 2\n{env}"),
                &tuner_experiments::catalog(),
            )
            .unwrap()
        };
        let gogc = expand(&plan("[matrix.env]\nGOGC = [\"50\", \"off\"]\nX = \"1\"\n"));
        assert!(!gogc[0].same_work(&gogc[1]), "GOGC=50 and GOGC=off");
        // The same settings written in another order, in another config.
        let reordered = expand(&plan("[matrix.env]\nX = \"1\"\nGOGC = \"off\"\n"));
        assert!(reordered[0].same_work(&gogc[1]));
        assert!(!reordered[0].same_work(&gogc[0]));
        let bare = expand(&plan(""));
        assert!(
            !bare[0].same_work(&gogc[0]),
            "an environment axis is work too"
        );
        let stack = expand(&plan("stack_size = \"1MiB\"\n"));
        assert!(!stack[0].same_work(&bare[0]), "so is a runtime knob");
        assert!(bare[0].same_work(&bare[0].clone()));
    }
}
