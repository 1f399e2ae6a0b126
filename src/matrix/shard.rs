//! `--shard`: which share of the schedule a process of a fanned-out job
//! runs. `2/3` is the second of three shards (1-based, as cargo-nextest's
//! `--partition`, jest and playwright count). `auto` takes both from a
//! Slurm job array (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN`, over
//! `SLURM_ARRAY_TASK_STEP`, of `SLURM_ARRAY_TASK_COUNT`); `auto/N` takes
//! the index from the engine (a Kubernetes Indexed Job's 0-based
//! `JOB_COMPLETION_INDEX`, or Slurm's) and the count from the command line,
//! since a pod is not told its Job's `completions`.
//!
//! By rounds (the default), shard `i` of `n` runs every `n`-th round of
//! processes, so every shard measures every point and a machine's offset
//! cannot read as a difference between points. By points, shard `i` runs
//! every process of a contiguous block of the matrix: for matrices with
//! more shards than processes per point; comparisons across blocks are
//! then confounded with the machine, and the report says so.

use serde::{Deserialize, Serialize};

use super::Slot;

/// How the schedule is split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitBy {
    /// Every `n`-th round of processes: each shard measures every point.
    #[default]
    Rounds,
    /// A contiguous block of points per shard, every process of each.
    Points,
}

impl SplitBy {
    pub fn name(self) -> &'static str {
        match self {
            SplitBy::Rounds => "rounds",
            SplitBy::Points => "points",
        }
    }
}

/// One shard of a run: `index` of `count`, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
    pub by: SplitBy,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether `slot` of a matrix of `points` points is this shard's.
    pub fn owns(&self, slot: Slot, points: usize) -> bool {
        let i = self.index - 1;
        match self.by {
            SplitBy::Rounds => slot.process % self.count == i,
            SplitBy::Points => crate::matrix::point_block(slot.point, points, self.count) == i,
        }
    }

    /// Processes of `point` this shard runs, of `processes` per point.
    pub fn processes_of(&self, point: usize, points: usize, processes: u32) -> u32 {
        let i = self.index - 1;
        match self.by {
            SplitBy::Rounds => (i..processes).step_by(self.count as usize).count() as u32,
            SplitBy::Points if crate::matrix::point_block(point, points, self.count) == i => {
                processes
            }
            SplitBy::Points => 0,
        }
    }

    /// Refuses a split that would leave a shard with nothing to run.
    pub fn check(&self, points: usize, processes: u32) -> anyhow::Result<()> {
        let (have, what) = match self.by {
            SplitBy::Rounds => (processes as usize, "processes per point"),
            SplitBy::Points => (points, "points"),
        };
        anyhow::ensure!(
            self.count as usize <= have,
            "--shard {self}: {have} {what} cannot be split {} ways by {}; use at most {have} shards{}",
            self.count,
            self.by.name(),
            match self.by {
                SplitBy::Rounds => ", or --shard-by points",
                SplitBy::Points => "",
            }
        );
        Ok(())
    }
}

/// `--shard` as given: an index and a count, or taken from the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ShardArg {
    /// `2/3`.
    Given { index: u32, count: u32 },
    /// `auto` (`count: None`, Slurm gives it) or `auto/N`.
    Auto { count: Option<u32> },
}

impl std::str::FromStr for ShardArg {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardArg, String> {
        let s = s.trim();
        let bad = || {
            format!("`{s}` is not a shard: give INDEX/COUNT (1-based, e.g. 2/3), auto (a Slurm array) or auto/COUNT (a Kubernetes Indexed Job)")
        };
        let (index, count) = match s.split_once('/') {
            Some((i, c)) => (i.trim(), Some(c.trim())),
            None => (s, None),
        };
        let count = count
            .map(|c| c.parse::<u32>().ok().filter(|&c| c >= 1).ok_or_else(bad))
            .transpose()?;
        match (index, count) {
            ("auto", count) => Ok(ShardArg::Auto { count }),
            (i, Some(count)) => {
                let index: u32 = i.parse().map_err(|_| bad())?;
                if index == 0 || index > count {
                    return Err(format!("`{s}`: the shard index counts from 1 to {count}"));
                }
                Ok(ShardArg::Given { index, count })
            }
            _ => Err(bad()),
        }
    }
}

impl ShardArg {
    /// The shard this process runs, reading the engine's variables through `var`.
    pub(crate) fn resolve(
        &self,
        by: SplitBy,
        var: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Shard> {
        let (index, count) = match *self {
            ShardArg::Given { index, count } => (index, count),
            ShardArg::Auto { count } => auto(count, &var)?,
        };
        Ok(Shard { index, count, by })
    }
}

/// The seed every shard of a config without `[measure] seed` uses: drawn
/// from the config's text (SHA-256), where a single run would draw a
/// random one, so that shards started apart agree on the schedule.
/// `None` when the config sets its seed (or is not TOML).
pub(crate) fn shared_seed(config_text: &str) -> Option<u64> {
    let table: toml::Table = toml::from_str(config_text).ok()?;
    let seeded = table.get("measure").and_then(|m| m.get("seed")).is_some();
    if seeded {
        return None;
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(config_text.as_bytes());
    Some(u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")))
}

/// A number from the engine's variable `name`, if set.
fn number(var: &impl Fn(&str) -> Option<String>, name: &str) -> anyhow::Result<Option<u32>> {
    match var(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("--shard auto: {name}={v:?} is not a number")),
    }
}

/// The 1-based index and the count from Kubernetes or Slurm.
fn auto(count: Option<u32>, var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<(u32, u32)> {
    let k8s = number(var, "JOB_COMPLETION_INDEX")?;
    let slurm = match number(var, "SLURM_ARRAY_TASK_ID")? {
        Some(id) => {
            let min = number(var, "SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number(var, "SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            anyhow::ensure!(
                id >= min && (id - min) % step == 0,
                "--shard auto: SLURM_ARRAY_TASK_ID={id} is not on the array's range (min {min}, step {step})"
            );
            Some(((id - min) / step, number(var, "SLURM_ARRAY_TASK_COUNT")?))
        }
        None => None,
    };
    let (zero_based, engine_count, engine) = match (k8s, slurm) {
        (Some(i), _) => (i, None, "JOB_COMPLETION_INDEX"),
        (None, Some((i, c))) => (i, c, "SLURM_ARRAY_TASK_ID"),
        (None, None) => anyhow::bail!(
            "--shard auto: neither JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (a Slurm array) is set; give --shard INDEX/COUNT"
        ),
    };
    let count = match (count, engine_count) {
        (Some(given), Some(slurm)) if given != slurm => anyhow::bail!(
            "--shard auto/{given}: the Slurm array has {slurm} tasks (SLURM_ARRAY_TASK_COUNT)"
        ),
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => anyhow::bail!(
            "--shard auto: {engine} gives the index but not the count; give it as --shard auto/COUNT (the Job's completions)"
        ),
    };
    anyhow::ensure!(
        zero_based < count,
        "--shard auto: {engine} gives index {zero_based} (0-based), but there are only {count} shards"
    );
    Ok((zero_based + 1, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn shard(arg: &str, vars: &[(&str, &str)]) -> anyhow::Result<(u32, u32)> {
        let s = arg.parse::<ShardArg>().map_err(anyhow::Error::msg)?;
        s.resolve(SplitBy::Rounds, env(vars))
            .map(|s| (s.index, s.count))
    }

    #[test]
    fn given_shards_count_from_one() {
        assert_eq!(shard("2/3", &[]).unwrap(), (2, 3));
        assert_eq!(shard(" 1 / 1 ", &[]).unwrap(), (1, 1));
        for bad in ["0/3", "4/3", "2", "a/3", "2/0", "2/x", ""] {
            assert!(bad.parse::<ShardArg>().is_err(), "{bad}");
        }
    }

    #[test]
    fn kubernetes_gives_a_zero_based_index_and_the_command_line_the_count() {
        assert_eq!(
            shard("auto/6", &[("JOB_COMPLETION_INDEX", "0")]).unwrap(),
            (1, 6)
        );
        assert_eq!(
            shard("auto/6", &[("JOB_COMPLETION_INDEX", "5")]).unwrap(),
            (6, 6)
        );
        let e = shard("auto/6", &[("JOB_COMPLETION_INDEX", "6")]).unwrap_err();
        assert!(e.to_string().contains("only 6 shards"), "{e}");
        let e = shard("auto", &[("JOB_COMPLETION_INDEX", "1")]).unwrap_err();
        assert!(e.to_string().contains("--shard auto/COUNT"), "{e}");
    }

    #[test]
    fn slurm_arrays_give_both_from_any_range_and_step() {
        let array = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        // --array=3-9:2 is tasks 3, 5, 7, 9: 7 is the third.
        assert_eq!(shard("auto", &array).unwrap(), (3, 4));
        assert_eq!(shard("auto/4", &array).unwrap(), (3, 4));
        assert!(shard("auto/5", &array).is_err());
        let e = shard("auto", &[("SLURM_ARRAY_TASK_ID", "x")]).unwrap_err();
        assert!(e.to_string().contains("SLURM_ARRAY_TASK_ID=\"x\""), "{e}");
        let e = shard("auto", &[]).unwrap_err();
        assert!(
            e.to_string().contains("neither JOB_COMPLETION_INDEX"),
            "{e}"
        );
    }

    #[test]
    fn shards_by_rounds_cover_every_slot_once_and_every_point() {
        let order = crate::matrix::schedule(5, 7, 3);
        for by in [SplitBy::Rounds, SplitBy::Points] {
            let shards: Vec<Shard> = (1..=3)
                .map(|index| Shard {
                    index,
                    count: 3,
                    by,
                })
                .collect();
            for slot in &order {
                assert_eq!(shards.iter().filter(|s| s.owns(*slot, 5)).count(), 1);
            }
            for s in &shards {
                for point in 0..5 {
                    let owned = order
                        .iter()
                        .filter(|x| x.point == point && s.owns(**x, 5))
                        .count() as u32;
                    assert_eq!(owned, s.processes_of(point, 5, 7), "{s} {point}");
                    if by == SplitBy::Rounds {
                        assert!(owned >= 2, "every shard measures every point");
                    }
                }
            }
        }
        // By points: contiguous blocks of 2, 2, 1 (or so) points.
        let s = Shard {
            index: 1,
            count: 3,
            by: SplitBy::Points,
        };
        assert_eq!(
            (0..5)
                .filter(|&p| s.processes_of(p, 5, 7) > 0)
                .collect::<Vec<_>>(),
            [0, 1]
        );
    }

    #[test]
    fn shards_of_a_config_without_a_seed_share_one_from_its_text() {
        let text = "[experiment]\nworkload = \"selfcheck\"\n";
        let seed = shared_seed(text).unwrap();
        assert_eq!(shared_seed(text), Some(seed));
        assert_ne!(shared_seed(&format!("{text}# another\n")), Some(seed));
        assert_eq!(shared_seed(&format!("{text}[measure]\nseed = 3\n")), None);
    }

    #[test]
    fn a_split_leaving_a_shard_empty_is_refused() {
        let s = Shard {
            index: 1,
            count: 8,
            by: SplitBy::Rounds,
        };
        let e = s.check(100, 7).unwrap_err().to_string();
        assert!(
            e.contains("7 processes per point cannot be split 8 ways"),
            "{e}"
        );
        assert!(e.contains("--shard-by points"), "{e}");
        assert!(Shard {
            by: SplitBy::Points,
            ..s
        }
        .check(100, 7)
        .is_ok());
    }
}
