//! Reading results back: a `results.json`, or the `journal.jsonl` of a run
//! that was interrupted, from a file (read with a cap) or from bytes.
//!
//! Everything read is checked before any report, comparison or export
//! indexes into it: the schema, point ids equal to their positions and
//! coordinates on the plan's axes, the baseline and every run's point in
//! range, no two records of one (point, process), samples of at least one
//! iteration, numbers finite and within 2^53 (exact in an f64, and sums
//! cannot overflow). A damaged `results.json` is refused with what is wrong
//! and where. A journal is an append-only log: a line that cannot be used
//! is left out with a warning in [`Results::warnings`] naming its line, and
//! a partial last line — the run was cut off mid-write — gets a milder one.

use std::collections::HashMap;
use std::path::{Component, Path};

use serde::Deserialize;

use super::{Outcome, Results, RoundEvent, Rounds, RunRecord, SCHEMA};
use crate::config::Axis;
use crate::protocol::RunOutput;

/// The largest results file tuner reads: a run of 10,000 points × 7
/// processes of 100 samples is about 100 MiB.
pub(crate) const MAX_RESULTS_BYTES: u64 = 256 << 20;

/// The largest count or duration a results file may hold: 2^53 is exact in
/// an f64 (104 days in nanoseconds), and sums of a few cannot overflow.
const MAX_NUMBER: u64 = 1 << 53;

/// The two forms results are saved in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `results.json`: one JSON document.
    Json,
    /// `journal.jsonl`: the results header on its first line, then one
    /// run per line.
    Journal,
}

impl Form {
    /// A `.jsonl` file is a journal; any other a results file.
    pub fn of(path: &Path) -> Form {
        if path.extension().is_some_and(|e| e == "jsonl") {
            Form::Journal
        } else {
            Form::Json
        }
    }
}

/// Why results cannot be used: what is wrong and where.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{name}{}: {message}", location(*.line, *.column))]
pub struct LoadError {
    /// The file (or whatever the bytes came from).
    pub name: String,
    /// 1-based line and column, when the fault has one.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

impl Results {
    /// Reads a `results.json`, or a `journal.jsonl` left by an interrupted run.
    pub fn load(path: &Path) -> anyhow::Result<Results> {
        let bytes = crate::config::read_capped(path, MAX_RESULTS_BYTES)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        Ok(Results::from_bytes(
            &path.display().to_string(),
            &bytes,
            Form::of(path),
        )?)
    }

    /// Parses and checks results in `form` from `bytes`; `name` says where
    /// they came from in errors.
    pub fn from_bytes(name: &str, bytes: &[u8], form: Form) -> Result<Results, LoadError> {
        let error = |line, column, message: String| LoadError {
            name: name.to_string(),
            line,
            column,
            message,
        };
        match form {
            Form::Json => {
                let results = parse_header(bytes).map_err(|(l, c, m)| error(l, c, m))?;
                check(&results).map_err(|m| error(None, None, m))?;
                Ok(results)
            }
            Form::Journal => from_journal(bytes).map_err(|(l, c, m)| error(l, c, m)),
        }
    }
}

/// An error's line, column and message.
type Located = (Option<usize>, Option<usize>, String);

/// Results in one JSON document: whole results, or a journal's header.
fn parse_header(bytes: &[u8]) -> Result<Results, Located> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err((None, None, "is empty: not a tuner results file".into()));
    }
    serde_json::from_slice::<Results>(bytes).map_err(|e| {
        // A file of another schema may fail on any field: say so first.
        #[derive(Deserialize)]
        struct Schema {
            schema: u32,
        }
        match serde_json::from_slice::<Schema>(bytes) {
            Ok(s) if s.schema != SCHEMA => (None, None, schema_message(s.schema)),
            _ => (
                Some(e.line()),
                Some(e.column()),
                format!("not a tuner results file: {}", serde_message(&e)),
            ),
        }
    })
}

fn schema_message(schema: u32) -> String {
    format!("has results schema {schema}; this tuner reads schema {SCHEMA}")
}

/// serde_json's message without the " at line L column C" it appends.
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A journal: its header, then every run line that can be used.
fn from_journal(bytes: &[u8]) -> Result<Results, Located> {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace));
    let Some((header_line, header)) = lines.next() else {
        return Err((None, None, "is empty: not a tuner journal".into()));
    };
    let mut results = parse_header(header).map_err(|(_, c, m)| (Some(header_line), c, m))?;
    check(&results).map_err(|m| (Some(header_line), None, m))?;
    let mut seen: HashMap<(usize, u32), usize> = results
        .runs
        .iter()
        .map(|r| ((r.point, r.process), header_line))
        .collect();
    // A run cut off mid-write leaves a last line with no newline.
    let cut_line = (!bytes.ends_with(b"\n")).then(|| bytes.split(|&b| b == b'\n').count());
    for (n, line) in lines {
        let run = match serde_json::from_slice::<RunRecord>(line) {
            Ok(run) => run,
            // A decision line (a re-run, a look): journals of older tuners have none.
            Err(_) if line.starts_with(b"{\"event\"") => {
                let applied = serde_json::from_slice::<RoundEvent>(line)
                    .map_err(|e| serde_message(&e))
                    .and_then(|event| {
                        // A fixed design records rounds only once it confirms its pick.
                        if matches!(event, RoundEvent::Confirm(_)) {
                            results.rounds.get_or_insert_with(Rounds::fixed);
                        }
                        match &mut results.rounds {
                            Some(rounds) => rounds.apply(event),
                            None => Err("a decision in a run that records none".into()),
                        }
                    });
                if let Err(why) = applied {
                    results
                        .warnings
                        .push(format!("journal line {n} is damaged and left out: {why}"));
                }
                continue;
            }
            Err(_) if Some(n) == cut_line => {
                results.warnings.push(format!(
                    "journal line {n} is a run cut off mid-write (the run was interrupted); it is left out"
                ));
                continue;
            }
            Err(e) => {
                results.warnings.push(format!(
                    "journal line {n} is damaged and left out: {}",
                    serde_message(&e)
                ));
                continue;
            }
        };
        let problem = check_run(&run, results.points.len()).err();
        let problem = problem.or_else(|| {
            seen.get(&(run.point, run.process)).map(|first| {
                format!(
                    "it repeats point {} process {} of line {first}",
                    run.point, run.process
                )
            })
        });
        match problem {
            Some(p) => results
                .warnings
                .push(format!("journal line {n} is left out: {p}")),
            None => {
                seen.insert((run.point, run.process), n);
                results.runs.push(run);
            }
        }
    }
    Ok(results)
}

/// Checks everything indexed or summed later; the message names the field.
fn check(r: &Results) -> Result<(), String> {
    if r.schema != SCHEMA {
        return Err(schema_message(r.schema));
    }
    check_plan(r)?;
    check_points(r)?;
    if let Some(b) = r.baseline.filter(|&b| b >= r.points.len()) {
        return Err(format!(
            "`baseline` is point {b}, but there are only {} points",
            r.points.len()
        ));
    }
    let mut seen: HashMap<(usize, u32), usize> = HashMap::new();
    for (i, run) in r.runs.iter().enumerate() {
        check_run(run, r.points.len()).map_err(|m| format!("runs[{i}]: {m}"))?;
        if let Some(first) = seen.insert((run.point, run.process), i) {
            return Err(format!(
                "runs[{i}] repeats point {} process {} of runs[{first}]",
                run.point, run.process
            ));
        }
    }
    check_rounds(r)?;
    check_profiling(r)
}

/// Re-runs, groups and endings name points of the run.
fn check_rounds(r: &Results) -> Result<(), String> {
    let Some(rounds) = &r.rounds else {
        return Ok(());
    };
    let n = r.points.len();
    let mut named = rounds.reruns.iter().flat_map(|x| x.points.iter());
    if let Some(p) = named.find(|&&p| p >= n) {
        return Err(format!(
            "`rounds.reruns` name point {p}, but there are only {n} points"
        ));
    }
    if let Some(a) = &rounds.adaptive {
        let ids = a
            .groups
            .iter()
            .flat_map(|g| g.points.iter().chain(g.baseline.iter()))
            .chain(a.endings.iter().map(|e| &e.point))
            .chain(a.looks.iter().flat_map(|l| l.stopped.iter()));
        if let Some(p) = ids.into_iter().find(|&&p| p >= n) {
            return Err(format!(
                "`rounds.adaptive` names point {p}, but there are only {n} points"
            ));
        }
        if a.groups.iter().any(|g| g.points.is_empty()) {
            return Err("`rounds.adaptive.groups` has an empty group".into());
        }
    }
    if let Some(c) = &rounds.confirmation {
        if c.pick >= n || c.baseline >= n || c.pick == c.baseline {
            return Err(format!(
                "`rounds.confirmation` compares points {} and {} of {n}",
                c.pick, c.baseline
            ));
        }
        if let Some(r) = c
            .runs
            .iter()
            .find(|r| ![c.pick, c.baseline].contains(&r.record.point))
        {
            return Err(format!(
                "`rounds.confirmation.runs` has point {}, neither its pick nor its baseline",
                r.record.point
            ));
        }
    }
    Ok(())
}

fn check_plan(r: &Results) -> Result<(), String> {
    let m = &r.plan.measure;
    if m.processes == 0 || m.samples == 0 {
        return Err("`plan.measure` has zero processes or samples".into());
    }
    if let Some(axis) = r.plan.axes.iter().find(|a| a.is_empty()) {
        return Err(format!(
            "`plan.axes`: the {} axis has no values",
            axis.name()
        ));
    }
    Ok(())
}

/// Points are numbered by position and lie on the plan's axes.
fn check_points(r: &Results) -> Result<(), String> {
    if r.points.is_empty() {
        return Err("`points` is empty: a run has at least one point".into());
    }
    let names: Vec<&str> = r.plan.axes.iter().map(Axis::name).collect();
    let labels: Vec<Vec<String>> = r.plan.axes.iter().map(Axis::labels).collect();
    for (i, p) in r.points.iter().enumerate() {
        if p.id != i {
            return Err(format!("`points[{i}].id` is {}; it must be {i}", p.id));
        }
        let coord_names: Vec<&str> = p.coords.iter().map(|(a, _)| a.as_str()).collect();
        if coord_names != names {
            return Err(format!(
                "`points[{i}].coords` name the axes {coord_names:?}; the plan's axes are {names:?}"
            ));
        }
        for ((axis, value), known) in p.coords.iter().zip(&labels) {
            if !known.contains(value) {
                return Err(format!(
                    "`points[{i}].coords`: {value:?} is not on the {axis} axis ({})",
                    known.join(", ")
                ));
            }
        }
        for (name, value) in &p.params.0 {
            if let tuner_api::ParamValue::Float(f) = value {
                if !f.is_finite() {
                    return Err(format!("`points[{i}].params.{name}` is {f}"));
                }
            }
        }
    }
    Ok(())
}

/// One run: its point exists, its numbers can be divided and summed.
fn check_run(run: &RunRecord, points: usize) -> Result<(), String> {
    if run.point >= points {
        return Err(format!(
            "`point` is {}, but there are only {points} points",
            run.point
        ));
    }
    finite("wall_ms", run.wall_ms)?;
    bounded(&[("max_rss_kib", run.max_rss_kib)])?;
    match &run.outcome {
        Outcome::Ok(out) => check_output(out),
        Outcome::Failed { .. } => Ok(()),
    }
}

fn check_output(o: &RunOutput) -> Result<(), String> {
    if o.samples.is_empty() {
        return Err("`outcome.samples` is empty".into());
    }
    if let Some(i) = o.samples.iter().position(|s| s.iters == 0) {
        return Err(format!("`outcome.samples[{i}].iters` is 0"));
    }
    for (what, v) in [
        ("ops_per_run", o.ops_per_run),
        ("alloc.iters", o.alloc.iters),
    ] {
        if v == 0 {
            return Err(format!("`outcome.{what}` is 0"));
        }
    }
    for s in &o.samples {
        bounded(&[
            ("outcome.samples[].iters", s.iters),
            ("outcome.samples[].ns", s.ns),
        ])?;
    }
    bounded(&[
        ("outcome.ops_per_run", o.ops_per_run),
        ("outcome.build_ns", o.build_ns),
        ("outcome.first_run_ns", o.first_run_ns),
        ("outcome.warmup_iters", o.warmup_iters),
        ("outcome.alloc.iters", o.alloc.iters),
        ("outcome.alloc.allocs", o.alloc.allocs),
        ("outcome.alloc.bytes", o.alloc.bytes),
        (
            "outcome.alloc.live_before",
            o.alloc.live_before.unsigned_abs(),
        ),
        ("outcome.alloc.peak_live", o.alloc.peak_live.unsigned_abs()),
        ("outcome.cpu.user_ns", o.cpu.user_ns),
        ("outcome.cpu.system_ns", o.cpu.system_ns),
        ("outcome.cpu.voluntary_switches", o.cpu.voluntary_switches),
        (
            "outcome.cpu.involuntary_switches",
            o.cpu.involuntary_switches,
        ),
        ("outcome.threads.rayon", o.threads.rayon as u64),
        ("outcome.threads.tokio", o.threads.tokio.unwrap_or(0) as u64),
        ("outcome.threads.os_threads", o.threads.os_threads as u64),
        ("outcome.peak_rss_kib", o.peak_rss_kib.unwrap_or(0)),
    ])
}

/// Profile records point at existing points and at files inside the run
/// directory: the report reads them.
fn check_profiling(r: &Results) -> Result<(), String> {
    let p = &r.profiling;
    let points = r.points.len();
    for (i, rec) in p.records.iter().enumerate() {
        let place = format!("`profiling.records[{i}]`");
        if rec.point >= points {
            return Err(format!(
                "{place}: point {} is out of range ({points} points)",
                rec.point
            ));
        }
        finite("wall_ms", rec.wall_ms).map_err(|m| format!("{place}: {m}"))?;
        relative(&rec.dir).map_err(|m| format!("{place}.dir: {m}"))?;
        if let Some(out) = rec.output() {
            finite("ns_per_op", out.ns_per_op).map_err(|m| format!("{place}: {m}"))?;
            for f in &out.files {
                relative(f).map_err(|m| format!("{place}.files: {m}"))?;
            }
        }
    }
    for (i, d) in p.diffs.iter().enumerate() {
        if d.point >= points {
            return Err(format!(
                "`profiling.diffs[{i}]`: point {} is out of range ({points} points)",
                d.point
            ));
        }
        relative(&d.file).map_err(|m| format!("`profiling.diffs[{i}].file`: {m}"))?;
    }
    Ok(())
}

fn finite(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 && v <= MAX_NUMBER as f64 {
        Ok(())
    } else {
        Err(format!(
            "`{what}` is {v}; expected a finite number from 0 to 2^53"
        ))
    }
}

fn bounded(fields: &[(&str, u64)]) -> Result<(), String> {
    match fields.iter().find(|(_, v)| *v > MAX_NUMBER) {
        Some((what, v)) => Err(format!("`{what}` is {v}, beyond 2^53")),
        None => Ok(()),
    }
}

/// A path inside the run directory: relative, without `..`.
fn relative(path: &str) -> Result<(), String> {
    let inside = !path.is_empty()
        && !path.chars().any(char::is_control)
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if inside {
        Ok(())
    } else {
        Err(format!("{path:?} is not a path inside the run directory"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn results() -> Results {
        crate::fixtures::results(
            crate::fixtures::TINY,
            &[&[Some(100.0), Some(101.0)], &[Some(200.0), None]],
        )
    }

    fn json_of(r: &Results) -> Value {
        serde_json::to_value(r).unwrap()
    }

    fn load_json(v: &Value) -> Result<Results, LoadError> {
        Results::from_bytes("r.json", v.to_string().as_bytes(), Form::Json)
    }

    fn refused(edit: impl FnOnce(&mut Value)) -> String {
        let mut v = json_of(&results());
        edit(&mut v);
        let e = load_json(&v).expect_err("damaged results are refused");
        assert_eq!((e.line, e.column), (None, None));
        e.to_string()
    }

    /// The journal a run of `r` writes: the header, then one run per line.
    fn journal(r: &Results) -> String {
        let header = Results {
            runs: Vec::new(),
            ..r.clone()
        };
        let mut text = serde_json::to_string(&header).unwrap() + "\n";
        for run in &r.runs {
            text += &(serde_json::to_string(run).unwrap() + "\n");
        }
        text
    }

    fn load_journal(text: &str) -> Result<Results, LoadError> {
        Results::from_bytes("j.jsonl", text.as_bytes(), Form::Journal)
    }

    #[test]
    fn sound_results_load_in_both_forms() {
        let r = results();
        let from_json = load_json(&json_of(&r)).unwrap();
        assert_eq!(from_json.runs, r.runs);
        let from_journal = load_journal(&journal(&r)).unwrap();
        assert_eq!(from_journal.runs, r.runs);
        assert!(from_journal.warnings.is_empty());
    }

    #[test]
    fn a_fixed_run_confirming_its_pick_replays_from_its_journal() {
        use crate::results::{Confirmation, PairedRun};
        let r = results();
        let start = Confirmation {
            pick: 0,
            baseline: 1,
            pairs: 2,
            runs: Vec::new(),
        };
        let paired = |pair: u32, run: &RunRecord| PairedRun {
            pair,
            record: RunRecord {
                seq: 10 + run.seq,
                ..run.clone()
            },
        };
        let events = [
            RoundEvent::Confirm(start.clone()),
            RoundEvent::Paired(Box::new(paired(0, r.runs_of(1).next().unwrap()))),
            RoundEvent::Paired(Box::new(paired(0, r.runs_of(0).next().unwrap()))),
        ];
        let mut text = journal(&r);
        for e in &events {
            text += &(serde_json::to_string(e).unwrap() + "\n");
        }
        let back = load_journal(&text).unwrap();
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(back.runs, r.runs);
        let c = back.confirmation().unwrap();
        assert_eq!(c.runs.len(), 2);
        assert_eq!(c.complete_pairs().len(), 1);
        // The results file keeps it, and refuses one naming another point.
        assert_eq!(load_json(&json_of(&back)).unwrap().confirmation(), Some(c));
        let mut v = json_of(&back);
        v["rounds"]["confirmation"]["runs"][0]["record"]["point"] = json!(5);
        let e = load_json(&v).unwrap_err().to_string();
        assert!(e.contains("neither its pick nor its baseline"), "{e}");
    }

    #[test]
    fn indices_out_of_range_are_refused_with_their_field() {
        assert_eq!(
            refused(|v| v["baseline"] = json!(7)),
            "r.json: `baseline` is point 7, but there are only 2 points"
        );
        assert_eq!(
            refused(|v| v["runs"][2]["point"] = json!(2)),
            "r.json: runs[2]: `point` is 2, but there are only 2 points"
        );
        assert_eq!(
            refused(|v| v["points"][1]["id"] = json!(0)),
            "r.json: `points[1].id` is 0; it must be 1"
        );
        assert!(refused(|v| v["points"][0]["coords"][0][1] = json!("v9"))
            .contains("`points[0].coords`: \"v9\" is not on the variant axis (sequential, v3)"));
    }

    #[test]
    fn duplicate_records_name_both() {
        assert_eq!(
            refused(|v| v["runs"][1]["process"] = json!(0)),
            "r.json: runs[1] repeats point 0 process 0 of runs[0]"
        );
    }

    #[test]
    fn numbers_that_would_divide_by_zero_or_overflow_are_refused() {
        assert_eq!(
            refused(|v| v["runs"][0]["outcome"]["samples"][1]["iters"] = json!(0)),
            "r.json: runs[0]: `outcome.samples[1].iters` is 0"
        );
        assert_eq!(
            refused(|v| v["runs"][2]["outcome"]["cpu"]["user_ns"] = json!(u64::MAX)),
            "r.json: runs[2]: `outcome.cpu.user_ns` is 18446744073709551615, beyond 2^53"
        );
        assert_eq!(
            refused(|v| v["runs"][0]["wall_ms"] = json!(-1.0)),
            "r.json: runs[0]: `wall_ms` is -1; expected a finite number from 0 to 2^53"
        );
        assert_eq!(
            refused(|v| v["runs"][0]["outcome"]["samples"] = json!([])),
            "r.json: runs[0]: `outcome.samples` is empty"
        );
    }

    #[test]
    fn nan_and_huge_floats_are_not_json_numbers() {
        let text = json_of(&results())
            .to_string()
            .replace("\"wall_ms\":1.0", "\"wall_ms\":1e999");
        let e = Results::from_bytes("r.json", text.as_bytes(), Form::Json).unwrap_err();
        assert!(e.message.contains("number out of range"), "{e}");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn another_schema_is_named_even_when_its_fields_differ() {
        let e =
            Results::from_bytes("r.json", br#"{"schema": 2, "rows": []}"#, Form::Json).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.json: has results schema 2; this tuner reads schema 1"
        );
        assert_eq!(
            refused(|v| v["schema"] = json!(0)),
            "r.json: has results schema 0; this tuner reads schema 1"
        );
    }

    #[test]
    fn junk_and_empty_files_say_what_they_are_not() {
        let e = Results::from_bytes("r.json", b"  \n", Form::Json).unwrap_err();
        assert_eq!(e.to_string(), "r.json: is empty: not a tuner results file");
        let e = Results::from_bytes("r.json", b"\x00\xff{", Form::Json).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.json:1:1: not a tuner results file: expected value"),
            "{e}"
        );
        let e = load_journal("").unwrap_err();
        assert_eq!(e.to_string(), "j.jsonl: is empty: not a tuner journal");
    }

    #[test]
    fn profile_files_must_stay_inside_the_run_directory() {
        assert!(refused(|v| {
            v["profiling"]["diffs"] = json!([{ "point": 0, "pass": "cpu", "file": "../../etc/passwd" }])
        })
        .ends_with("`profiling.diffs[0].file`: \"../../etc/passwd\" is not a path inside the run directory"));
    }

    #[test]
    fn a_corrupt_middle_journal_line_is_left_out_with_its_line_number() {
        let text = journal(&results());
        let mut lines: Vec<&str> = text.lines().collect();
        lines[2] = "{\"point\": 0, \"proc";
        let r = load_journal(&(lines.join("\n") + "\n")).unwrap();
        assert_eq!(r.runs.len(), 3, "the other runs are kept");
        assert_eq!(r.warnings.len(), 1);
        assert!(
            r.warnings[0].starts_with("journal line 3 is damaged and left out: EOF while parsing"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn a_partial_last_journal_line_gets_a_milder_warning() {
        let text = journal(&results());
        let cut = &text[..text.len() - 20];
        let r = load_journal(cut).unwrap();
        assert_eq!(r.runs.len(), 3);
        assert_eq!(
            r.warnings,
            ["journal line 5 is a run cut off mid-write (the run was interrupted); it is left out"]
        );
    }

    #[test]
    fn journal_lines_with_bad_points_or_repeats_are_left_out() {
        let r = results();
        let mut text = journal(&r);
        let mut bad = r.runs[0].clone();
        bad.point = 5;
        text += &(serde_json::to_string(&bad).unwrap() + "\n");
        text += &(serde_json::to_string(&r.runs[1]).unwrap() + "\n");
        let loaded = load_journal(&text).unwrap();
        assert_eq!(loaded.runs, r.runs);
        assert_eq!(
            loaded.warnings,
            [
                "journal line 6 is left out: `point` is 5, but there are only 2 points",
                "journal line 7 is left out: it repeats point 0 process 1 of line 3",
            ]
        );
    }

    #[test]
    fn a_damaged_journal_header_is_an_error_at_line_one() {
        let text = journal(&results()).replacen("\"baseline\":0", "\"baseline\":9", 1);
        let e = load_journal(&text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "j.jsonl:1: `baseline` is point 9, but there are only 2 points"
        );
    }

    #[test]
    fn load_caps_the_read_and_names_the_file() {
        let e = Results::load(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: cannot read: it is a device, FIFO or socket, not a regular file"
        );
    }
}
