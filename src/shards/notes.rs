//! The sentences a report opens with about how its run was split, merged,
//! estimated and budgeted: written here, printed by `report` as they are.

use crate::results::Results;

/// One paragraph per fact, in the order a reader needs them.
pub(crate) fn header_notes(r: &Results) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(s) = r.shard {
        notes.push(format!(
            "This is shard {s} of a run (split by {}), measured on `{}`: join the shards with `tuner merge`.",
            s.by.name(),
            r.machine.as_deref().unwrap_or("an unnamed machine")
        ));
    }
    if let Some(m) = &r.merged {
        let sources: Vec<String> = m
            .sources
            .iter()
            .map(|s| {
                format!(
                    "shard {} on `{}` ({} runs)",
                    s.shard.map_or("1/1".into(), |x| x.to_string()),
                    s.machine.as_deref().unwrap_or("?"),
                    s.runs
                )
            })
            .collect();
        let machines = m.machines().len();
        let method = match (machines > 1, m.by) {
            (false, _) => String::new(),
            (true, super::SplitBy::Rounds) => " Each round ran on one machine, and rounds are the design's blocks: a machine's offset shifts its rounds and leaves the comparisons.".into(),
            (true, super::SplitBy::Points) => " Comparisons of points measured on different machines are confounded with the machines (⚠ confounded in the table).".into(),
        };
        notes.push(format!(
            "**Merged** from {} of {} shards (split by {}) on {machines} machine{}: {}.{method}",
            m.sources.len(),
            m.count,
            m.by.name(),
            if machines == 1 { "" } else { "s" },
            sources.join(", ")
        ));
    }
    if let Some(p) = &r.planning {
        notes.push(planning_note(p));
    }
    notes
}

/// `A budget of 20m planned 4 of the config's 7 processes per point.
/// Estimated 79 s beforehand (from …).` Only what the journal's header
/// holds, so a report re-rendered from the journal is the same.
fn planning_note(p: &crate::estimate::Planning) -> String {
    let mut note = String::new();
    if let Some(b) = p.budget_s {
        let b = humantime::format_duration(std::time::Duration::from_secs_f64(b.round()));
        if p.planned_processes < p.configured_processes {
            note.push_str(&format!(
                "A budget of {b} planned {} of the config's {} processes per point. ",
                p.planned_processes, p.configured_processes
            ));
        } else {
            note.push_str(&format!("Budget: {b}. "));
        }
    }
    note.push_str(&format!(
        "Estimated {:.0} s beforehand ({}).",
        p.estimate_s, p.source
    ));
    note
}

/// `took 82 s; estimated 79 s beforehand: 4% short`, for the console at
/// the end of a run that ran its whole schedule.
pub(crate) fn estimate_error(r: &Results) -> Option<String> {
    let (p, took) = (r.planning.as_ref()?, r.elapsed_s?);
    if r.interrupted.is_some() || took <= 0.0 {
        return None;
    }
    let off = (p.estimate_s - took) / took * 100.0;
    Some(format!(
        "took {took:.1} s; estimated {:.1} s beforehand ({off:+.0}%)",
        p.estimate_s
    ))
}

/// Whether the run's missing processes are a merge's (missing shards):
/// they come back by running those shards, not by resuming.
pub(crate) fn missing_advice(r: &Results) -> &'static str {
    if r.merged.is_some() {
        "Run the missing shards and merge again."
    } else {
        "Resume it with `tuner run --resume <run folder>`."
    }
}
