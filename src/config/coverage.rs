//! What a plan's exclusions leave of its matrix, decided at validation so
//! `run` and `run --dry-run` agree: a matrix too large to run, one whose
//! every point is excluded, or one whose baseline is excluded is a config
//! error. Works on axis label indices, without building the points.

use super::bounds::{MAX_POINTS, MAX_RUNS};
use super::plan::{Axis, Plan};

/// Why a plan's matrix cannot run as configured.
#[derive(Debug, PartialEq)]
pub(super) enum Problem {
    /// More than [`MAX_POINTS`] points; names the longest axis.
    TooManyPoints { points: u128, longest: String },
    /// Points × processes above [`MAX_RUNS`].
    TooManyRuns { runs: u128 },
    /// Every one of `points` points is excluded.
    AllExcluded { points: usize },
    /// `matrix.exclude[entry]` excludes the baseline point `baseline`.
    BaselineExcluded { entry: usize, baseline: String },
    /// `measure.budget` is shorter than one round of `points` processes
    /// could take at the least (`round_s`).
    BudgetBelowOneRound {
        budget_s: f64,
        points: usize,
        round_s: f64,
    },
}

impl Problem {
    pub(super) fn message(&self) -> String {
        match self {
            Problem::TooManyPoints { points, longest } => format!(
                "the matrix has {points} points; at most {MAX_POINTS} (the longest axis is {longest})"
            ),
            Problem::TooManyRuns { runs } => format!(
                "points × processes is {runs} worker processes; at most {MAX_RUNS}"
            ),
            Problem::BudgetBelowOneRound {
                budget_s,
                points,
                round_s,
            } => format!(
                "a budget of {budget_s:.1} s is less than the least one round of the {points} points takes ({round_s:.1} s: each process starts, warms up and takes its samples); give more time or fewer points"
            ),
            Problem::AllExcluded { points } => {
                format!("excludes every one of the matrix's {points} points; nothing would run")
            }
            Problem::BaselineExcluded { baseline, .. } => format!(
                "the baseline point ({baseline}) is excluded, so nothing could be compared with it; \
                 name another baseline in [report] baseline or exclude less"
            ),
        }
    }
}

/// Checks the matrix of `plan`: its size, that a point survives the
/// exclusions, and that the baseline point is not excluded.
pub(super) fn check(plan: &Plan) -> Result<(), Problem> {
    let points = plan.axes.iter().map(|a| a.len() as u128).product::<u128>();
    if points > MAX_POINTS as u128 {
        let longest = plan
            .axes
            .iter()
            .max_by_key(|a| a.len())
            .map_or("", Axis::name);
        return Err(Problem::TooManyPoints {
            points,
            longest: longest.to_string(),
        });
    }
    let excludes = indexed(plan);
    let surviving = surviving(&plan.axes, &excludes);
    if surviving == 0 {
        return Err(Problem::AllExcluded {
            points: points as usize,
        });
    }
    let runs = surviving as u128 * u128::from(plan.measure.most_processes());
    if runs > MAX_RUNS as u128 {
        return Err(Problem::TooManyRuns { runs });
    }
    if let Some(budget) = plan.measure.budget {
        let round_s = surviving as f64 * plan.measure.floor_s();
        if budget.as_secs_f64() < round_s {
            return Err(Problem::BudgetBelowOneRound {
                budget_s: budget.as_secs_f64(),
                points: surviving,
                round_s,
            });
        }
    }
    let baseline = plan.baseline_selection();
    let entry = plan
        .exclude
        .iter()
        .position(|sel| sel.iter().all(|pair| baseline.contains(pair)));
    match entry {
        Some(entry) => {
            let shown: Vec<String> = baseline.iter().map(|(a, v)| format!("{a}={v}")).collect();
            Err(Problem::BaselineExcluded {
                entry,
                baseline: shown.join(" "),
            })
        }
        None => Ok(()),
    }
}

/// Each exclusion as `(axis index, value index)` pairs.
fn indexed(plan: &Plan) -> Vec<Vec<(usize, usize)>> {
    let labels: Vec<Vec<String>> = plan.axes.iter().map(Axis::labels).collect();
    plan.exclude
        .iter()
        .map(|sel| {
            sel.iter()
                .filter_map(|(axis, value)| {
                    let a = plan.axes.iter().position(|x| x.name() == axis)?;
                    let v = labels[a].iter().position(|l| l == value)?;
                    Some((a, v))
                })
                .collect()
        })
        .collect()
}

/// How many points of the product of `axes` no exclusion matches.
fn surviving(axes: &[Axis], excludes: &[Vec<(usize, usize)>]) -> usize {
    let lens: Vec<usize> = axes.iter().map(Axis::len).collect();
    if lens.contains(&0) {
        return 0;
    }
    let mut index = vec![0; lens.len()];
    let mut count = 0;
    loop {
        if !excludes
            .iter()
            .any(|sel| sel.iter().all(|&(a, v)| index[a] == v))
        {
            count += 1;
        }
        // Advance the odometer, last axis fastest, as the matrix expands.
        let mut axis = lens.len();
        loop {
            if axis == 0 {
                return count;
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < lens[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(extra: &str) -> Plan {
        let text = format!(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n[matrix]\nthreads = [1, 2]\n{extra}"
        );
        let mut plan: Plan = crate::config::parse(
            Path::new("t.toml"),
            &text.replace("exclude", "# exclude"),
            &tuner_experiments::catalog(),
        )
        .expect("valid config");
        // The exclusions as parsed, without the checks under test.
        plan.exclude = exclusions(extra);
        plan
    }

    fn exclusions(extra: &str) -> Vec<Vec<(String, String)>> {
        extra
            .lines()
            .filter_map(|l| l.strip_prefix("exclude "))
            .map(|sel| {
                sel.split(',')
                    .map(|pair| {
                        let (a, v) = pair.split_once('=').unwrap();
                        (a.to_string(), v.to_string())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn surviving_points_match_the_expanded_matrix() {
        let p = plan("exclude variant=v3,threads=2\nexclude threads=2\n");
        assert_eq!(surviving(&p.axes, &indexed(&p)), 2);
        assert_eq!(crate::matrix::expand(&p).len(), 2);
        assert_eq!(check(&p), Ok(()));
    }

    #[test]
    fn excluding_everything_is_a_problem() {
        let p = plan("exclude threads=1\nexclude threads=2\n");
        assert_eq!(check(&p), Err(Problem::AllExcluded { points: 4 }));
    }

    #[test]
    fn an_excluded_baseline_names_the_entry_and_the_point() {
        let p = plan("exclude variant=v3\nexclude variant=sequential,threads=1\n");
        let Err(Problem::BaselineExcluded { entry, baseline }) = check(&p) else {
            panic!("the baseline is excluded");
        };
        assert_eq!(entry, 1);
        assert!(
            baseline.starts_with("variant=sequential size=1000000 threshold=2048"),
            "{baseline}"
        );
        assert!(baseline.ends_with("threads=1 allocator=system buffering=buffered"));
    }
}
