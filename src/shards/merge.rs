//! `tuner merge`: shards of one run (folders or results files) joined
//! into one results file, the same as a single run of the same processes
//! would give, each run keeping its place in the schedule and the machine
//! it ran on. Shards of another config, seed, plan, shard count or tuner
//! version are refused, naming the file and what differs; a shard given
//! twice is kept once (the copy with more runs) and a missing one leaves
//! its processes missing, each with a warning that names it.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure};

use super::{Shard, SplitBy};
use crate::results::{MergeInfo, MergeSource, Results, JOURNAL_FILE};

/// Merged results, the warnings about them, and the folder of the shard
/// whose profiling passes they carry.
pub(crate) struct Merged {
    pub results: Results,
    pub warnings: Vec<String>,
    pub profiles_from: Option<PathBuf>,
}

/// A shard as read: its path as given, its folder and its results.
struct Input {
    given: String,
    dir: PathBuf,
    results: Results,
}

/// Joins the shards at `inputs` (run folders, `results.json` or
/// `journal.jsonl` files). Errors name the input at fault.
pub(crate) fn merge(inputs: &[PathBuf]) -> anyhow::Result<Merged> {
    ensure!(
        !inputs.is_empty(),
        "give the shard folders or results files to merge"
    );
    let read: Vec<Input> = inputs
        .iter()
        .map(|p| read(p))
        .collect::<anyhow::Result<_>>()?;
    let first = &read[0];
    for other in &read[1..] {
        same_run(first, other)?;
    }
    let (count, by) = split_of(&first.results);
    let mut warnings = Vec::new();
    let (kept, left_out) = pick_one_per_shard(read, &mut warnings);
    for input in &kept {
        check_share(input)?;
    }
    let missing: Vec<u32> = (1..=count)
        .filter(|i| !kept.iter().any(|k| index_of(&k.results) == *i))
        .collect();
    for &i in &missing {
        let share = Shard {
            index: i,
            count,
            by,
        };
        let results = &kept[0].results;
        let processes: u32 = (0..results.points.len())
            .map(|p| share.processes_of(p, results.points.len(), results.plan.measure.processes))
            .sum();
        warnings.push(format!(
            "shard {share} is missing: its {processes} processes are counted as missing; run it (`tuner run <config> --shard {share}{}`) and merge again",
            if by == SplitBy::Points { " --shard-by points" } else { "" }
        ));
    }
    for k in &kept {
        if let Some(why) = &k.results.interrupted {
            warnings.push(format!("shard {} ({}) {why}", label(&k.results), k.given));
        }
    }
    Ok(assemble(
        kept,
        MergeInfo {
            count,
            by,
            sources: Vec::new(),
            missing,
            left_out,
        },
        warnings,
    ))
}

/// Reads a shard folder (its `results.json`, else its journal) or file.
fn read(path: &Path) -> anyhow::Result<Input> {
    let file = if path.is_dir() {
        let results = path.join(crate::results::RESULTS_FILE);
        let journal = path.join(JOURNAL_FILE);
        match (results.is_file(), journal.is_file()) {
            (true, _) => results,
            (false, true) => journal,
            _ => bail!(
                "{} holds neither results.json nor {JOURNAL_FILE}: it is not a run folder",
                path.display()
            ),
        }
    } else {
        path.to_path_buf()
    };
    let results = Results::load(&file)?;
    Ok(Input {
        given: path.display().to_string(),
        dir: file.parent().unwrap_or(Path::new(".")).to_path_buf(),
        results,
    })
}

/// Refuses `b` unless it is a share of the same run as `a`.
fn same_run(a: &Input, b: &Input) -> anyhow::Result<()> {
    let (ra, rb) = (&a.results, &b.results);
    let refuse = |what: String| -> anyhow::Result<()> {
        bail!("{} cannot be merged with {}: {what}", b.given, a.given)
    };
    if ra.tuner_version != rb.tuner_version || ra.protocol != rb.protocol {
        return refuse(format!(
            "it was written by tuner {} (worker protocol {}), the other by tuner {} (protocol {}); merge shards of one tuner version",
            rb.tuner_version, rb.protocol, ra.tuner_version, ra.protocol
        ));
    }
    if ra.config_text != rb.config_text {
        return refuse(format!(
            "it is a run of another config ({} vs {}): {}",
            rb.config_path,
            ra.config_path,
            first_difference(&ra.config_text, &rb.config_text)
        ));
    }
    if ra.plan.measure.seed != rb.plan.measure.seed {
        return refuse(format!(
            "it was scheduled with seed {}, the other with seed {}; the shards of one run share its seed",
            rb.plan.measure.seed, ra.plan.measure.seed
        ));
    }
    if ra.plan != rb.plan || ra.points != rb.points {
        return refuse(
            "it ran another plan of the same config (other --profile kinds, or processes a budget planned)".into(),
        );
    }
    if split_of(ra) != split_of(rb) || ra.shard.is_some() != rb.shard.is_some() {
        return refuse(format!(
            "it is {}, the other is {}",
            describe_split(rb),
            describe_split(ra)
        ));
    }
    Ok(())
}

/// `config line 12: `processes = 7` vs `processes = 5``.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                return format!(
                    "config line {n} is `{}` there and `{}` here",
                    y.unwrap_or("(end of file)").trim(),
                    x.unwrap_or("(end of file)").trim()
                )
            }
        }
    }
    unreachable!("the texts differ")
}

/// The shard count and split of `results` (a whole run: one shard).
fn split_of(results: &Results) -> (u32, SplitBy) {
    results
        .shard
        .map_or((1, SplitBy::Rounds), |s| (s.count, s.by))
}

fn index_of(results: &Results) -> u32 {
    results.shard.map_or(1, |s| s.index)
}

fn label(results: &Results) -> String {
    results.shard.map_or("1/1".into(), |s| s.to_string())
}

fn describe_split(results: &Results) -> String {
    match results.shard {
        Some(s) => format!("shard {s} (split by {})", s.by.name()),
        None => "a whole run, not a shard".into(),
    }
}

/// One input per shard index: of copies, the one with the most runs (the
/// first given on a tie); the others are left out with a warning.
fn pick_one_per_shard(inputs: Vec<Input>, warnings: &mut Vec<String>) -> (Vec<Input>, Vec<String>) {
    let mut by_index: BTreeMap<u32, Vec<Input>> = BTreeMap::new();
    for input in inputs {
        by_index
            .entry(index_of(&input.results))
            .or_default()
            .push(input);
    }
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for (_, mut copies) in by_index {
        // Stable: the first given wins a tie.
        copies.sort_by_key(|c| std::cmp::Reverse(c.results.runs.len()));
        let keep = copies.remove(0);
        for dropped in copies {
            warnings.push(format!(
                "shard {} was given twice: kept {} ({} runs), left out {} ({} runs)",
                label(&keep.results),
                keep.given,
                keep.results.runs.len(),
                dropped.given,
                dropped.results.runs.len()
            ));
            left_out.push(dropped.given);
        }
        kept.push(keep);
    }
    (kept, left_out)
}

/// Every run of `input` is a slot of its shard, at its place in the
/// schedule, once.
fn check_share(input: &Input) -> anyhow::Result<()> {
    let r = &input.results;
    let share: BTreeMap<usize, crate::matrix::Slot> = r.scheduled().into_iter().collect();
    let mut seen = HashSet::new();
    for run in &r.runs {
        let slot = crate::matrix::Slot {
            point: run.point,
            process: run.process,
        };
        ensure!(
            share.get(&run.seq) == Some(&slot),
            "{}: run {} (point {} process {}) is not where the schedule of shard {} puts it",
            input.given,
            run.seq,
            run.point,
            run.process,
            label(r)
        );
        ensure!(
            seen.insert(run.seq),
            "{}: run {} is in it twice",
            input.given,
            run.seq
        );
    }
    Ok(())
}

/// The merged results: the first shard's header, every shard's runs in
/// schedule order with their machines, the first shard's profiles.
fn assemble(kept: Vec<Input>, mut info: MergeInfo, warnings: Vec<String>) -> Merged {
    let mut results = kept[0].results.clone();
    results.runs.clear();
    results.warnings.clear();
    let mut profiles_from = None;
    for input in &kept {
        let r = &input.results;
        for run in &r.runs {
            let mut run = run.clone();
            run.machine = r.machine_of(&run).map(str::to_string);
            results.runs.push(run);
        }
        results.warnings.extend(r.warnings.iter().cloned());
        if profiles_from.is_none() && !r.profiling.records.is_empty() {
            results.profiling = r.profiling.clone();
            profiles_from = Some(input.dir.clone());
        }
        info.sources.push(MergeSource {
            shard: r.shard,
            path: input.given.clone(),
            run_id: r.run_id.clone(),
            machine: r.machine.clone(),
            runs: r.runs.len(),
            cpu_model: r.environment.cpu_model.clone(),
            load_average: r.environment.load_average,
            interrupted: r.interrupted.clone(),
        });
    }
    results.runs.sort_by_key(|r| r.seq);
    results.warnings.extend(warnings.iter().cloned());
    results.run_id = format!(
        "merged-{}",
        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
    )
    .replace(':', "-");
    results.shard = None;
    results.machine = None;
    results.interrupted = None;
    results.planning = None;
    results.elapsed_s = None;
    results.merged = Some(info);
    Merged {
        results,
        warnings,
        profiles_from,
    }
}

/// Copies the profiling artifacts (`points/`) of `from` into `to`.
pub(crate) fn copy_profiles(from: &Path, to: &Path) -> std::io::Result<()> {
    // Where `profile::point_dir` puts every point's artifacts.
    let src = from.join("points");
    if src.is_dir() {
        copy_dir(&src, &to.join("points"))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    const SPIN: &str = "[experiment]\nname = \"spin\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [10, 20, 40]\n[measure]\nprocesses = 6\nseed = 9\n";

    /// Shard `index` of 3 by rounds of a run of [`SPIN`], saved in `dir`:
    /// its runs at their places in the schedule, on machine `m<index>`.
    fn shard(dir: &Path, index: u32, keep: usize) -> PathBuf {
        let mut r = fixtures::results_by(SPIN, |p| 1e3 * p.params.int("steps") as f64, |_| 1);
        let s = Shard {
            index,
            count: 3,
            by: SplitBy::Rounds,
        };
        r.shard = Some(s);
        r.machine = Some(format!("m{index}"));
        let slots = r.scheduled();
        let template = r.runs[0].clone();
        r.runs = slots
            .iter()
            .take(keep)
            .map(|&(seq, slot)| crate::results::RunRecord {
                point: slot.point,
                process: slot.process,
                seq,
                ..template.clone()
            })
            .collect();
        let folder = dir.join(format!("shard-{index}-{keep}"));
        std::fs::create_dir_all(&folder).unwrap();
        r.save(&folder.join("results.json")).unwrap();
        folder
    }

    #[test]
    fn three_shards_merge_into_every_scheduled_run_once_with_its_machine() {
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<PathBuf> = [3, 1, 2].map(|i| shard(dir.path(), i, 6)).into();
        let m = merge(&inputs).unwrap();
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        let r = &m.results;
        assert_eq!(r.runs.len(), 18);
        let seqs: Vec<usize> = r.runs.iter().map(|x| x.seq).collect();
        assert_eq!(seqs, (0..18).collect::<Vec<_>>());
        // Round k ran on shard k % 3 + 1.
        for run in &r.runs {
            assert_eq!(
                run.machine.as_deref(),
                Some(format!("m{}", run.process % 3 + 1).as_str())
            );
        }
        let info = r.merged.as_ref().unwrap();
        assert_eq!(info.machines(), ["m1", "m2", "m3"]);
        assert!(r.shard.is_none() && info.missing.is_empty());
        assert_eq!(r.scheduled_total(), 18);
    }

    #[test]
    fn a_missing_shard_is_named_and_a_duplicate_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let full = shard(dir.path(), 1, 6);
        let partial = shard(dir.path(), 1, 2);
        let m = merge(&[partial.clone(), full.clone(), shard(dir.path(), 3, 6)]).unwrap();
        assert_eq!(m.results.runs.len(), 12);
        let w = m.warnings.join("\n");
        assert!(
            w.contains(&format!(
                "shard 1/3 was given twice: kept {} (6 runs), left out {} (2 runs)",
                full.display(),
                partial.display()
            )),
            "{w}"
        );
        assert!(
            w.contains("shard 2/3 is missing: its 6 processes are counted as missing"),
            "{w}"
        );
        assert_eq!(m.results.merged.as_ref().unwrap().missing, [2]);
        // The analysis counts them missing, not failed.
        let a = crate::analysis::Analysis::of(&m.results, &Default::default());
        assert_eq!(a.missing(), 6);
        assert!(a.points.iter().all(|p| p.failures.is_empty()));
    }

    #[test]
    fn shards_of_another_config_seed_or_split_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let one = shard(dir.path(), 1, 6);
        let two = shard(dir.path(), 2, 6);
        let path = two.join("results.json");
        let original = Results::load(&path).unwrap();
        let mut other = original.clone();
        other.config_text = other.config_text.replace("processes = 6", "processes = 7");
        other.save(&path).unwrap();
        let e = merge(&[one.clone(), two.clone()])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "{} cannot be merged with {}",
                two.display(),
                one.display()
            )),
            "{e}"
        );
        assert!(
            e.contains("config line 8 is `processes = 7` there and `processes = 6` here"),
            "{e}"
        );
        let mut other = original.clone();
        other.plan.measure.seed = 10;
        other.save(&path).unwrap();
        let e = merge(&[one.clone(), two.clone()])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("seed 10, the other with seed 9"), "{e}");
        let mut other = original.clone();
        other.tuner_version = "9.9.9".into();
        other.save(&path).unwrap();
        let e = merge(&[one.clone(), two.clone()])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("written by tuner 9.9.9"), "{e}");
        let mut other = original;
        other.shard = Some(Shard {
            index: 2,
            count: 4,
            by: SplitBy::Rounds,
        });
        other.save(&path).unwrap();
        let e = merge(&[one, two]).err().unwrap().to_string();
        assert!(
            e.contains("it is shard 2/4 (split by rounds), the other is shard 1/3"),
            "{e}"
        );
    }

    #[test]
    fn a_run_outside_its_shards_share_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let one = shard(dir.path(), 1, 6);
        let path = one.join("results.json");
        let mut r = Results::load(&path).unwrap();
        r.runs[0].process = 1; // round 1 is shard 2's
        r.save(&path).unwrap();
        let e = merge(&[one]).err().unwrap().to_string();
        assert!(
            e.contains("is not where the schedule of shard 1/3 puts it"),
            "{e}"
        );
    }
}
