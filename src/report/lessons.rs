//! The report's "Lessons" section: each lesson the experiment declares,
//! quoted from the workshop (with its section) or labelled as the
//! experiment's own addition, the comparison it is about at every setting
//! of the axes it holds equal, with interval and verdict, and whether it
//! holds, is reversed, gains nothing or is not shown in Rust on this
//! machine by the direction-aware rule of `crate::analysis` — computed
//! from this run's numbers, never canned. A lesson's note on why Rust may
//! differ is labelled a hypothesis: the run did not measure it.

use std::fmt::Write as _;

use super::escape::md_text;
use super::format::duration_ns;
use super::Context;
use crate::analysis::{Judgement, LessonFinding, LessonPair};
use crate::config::LessonSource;

/// Pairs listed one by one up to this many; beyond, they are counted.
const LISTED_PAIRS: usize = 6;

pub(super) fn section(out: &mut String, cx: &Context) {
    let a = cx.analysis;
    if a.lessons.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Lessons\n");
    let (judged, unjudged): (Vec<&LessonFinding>, Vec<&LessonFinding>) =
        a.lessons.iter().partition(|f| !f.pairs.is_empty());
    if !judged.is_empty() {
        let _ = writeln!(
            out,
            "Each claim checked against this run: each comparison with its interval and verdict \
             (one family of {} declared comparisons, Bonferroni), and whether the claim holds, is reversed, gains nothing \
             (a change claimed, the two shown equivalent) or is not shown here. \"Does not help\" holds when slower or equivalent; \
             \"as fast as\" only when shown equivalent.\n",
            a.families.lessons.size
        );
    }
    for f in judged {
        lesson(out, cx, f);
    }
    if !unjudged.is_empty() {
        let claims: Vec<String> = unjudged
            .iter()
            .map(|f| format!("*{}*", md_text(&f.lesson.claim)))
            .collect();
        let _ =
            writeln!(
            out,
            "{}Not judged, for want of a pair of points with both sides measured in this run: {}.",
            if a.lessons.len() > unjudged.len() { "\n" } else { "" },
            claims.join("; ")
        );
    }
    let _ = writeln!(out);
}

fn side(s: &[(String, String)]) -> String {
    let side = s
        .iter()
        .map(|(a, v)| format!("{a}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    md_text(&side).into_owned()
}

fn lesson(out: &mut String, cx: &Context, f: &LessonFinding) {
    let l = &f.lesson;
    let expect = match l.expect {
        tuner_api::Expect::Faster => "faster than",
        tuner_api::Expect::Slower => "slower than",
        tuner_api::Expect::Tie => "as fast as",
        tuner_api::Expect::NoFaster => "not faster than",
    };
    let source = match &l.source {
        LessonSource::Workshop { section, quote } => {
            format!("the workshop, *{}*: “{}”", md_text(section), md_text(quote))
        }
        LessonSource::Own => "tuner's own addition, not the workshop's.".to_string(),
        LessonSource::Unrecorded => {
            "not recorded by the tuner that made these results.".to_string()
        }
    };
    let _ = writeln!(
        out,
        "- *{}* — expects {} {expect} {}.\n  Source: {source}",
        md_text(&l.claim),
        side(&l.head),
        side(&l.base)
    );
    let verdict = match f.overall() {
        Some(j) => format!("**{}**", j.name()),
        None => {
            let count = |j: Judgement| f.pairs.iter().filter(|p| p.judgement == j).count();
            format!(
                "**mixed**: holds in {}, reversed in {}, no gain in {}, not shown in {} of {} settings",
                count(Judgement::Holds),
                count(Judgement::Reversed),
                count(Judgement::NoGain),
                count(Judgement::NotShown),
                f.pairs.len()
            )
        }
    };
    let _ = writeln!(out, "  In Rust on this machine: {verdict}.");
    for p in f.pairs.iter().take(LISTED_PAIRS) {
        let _ = writeln!(out, "  - {}", pair(cx, p));
    }
    if f.pairs.len() > LISTED_PAIRS {
        let _ = writeln!(
            out,
            "  - … and {} more settings (see the table of all points).",
            f.pairs.len() - LISTED_PAIRS
        );
    }
    if f.overall() != Some(Judgement::Holds) {
        if let Some(note) = &l.rust_note {
            let _ = writeln!(
                out,
                "  Why Rust may differ (a hypothesis, not measured by this run): {}.",
                md_text(note)
            );
        }
    }
}

fn pair(cx: &Context, p: &LessonPair) -> String {
    let a = cx.analysis;
    let setting = if p.setting.is_empty() {
        String::new()
    } else {
        format!("at {}: ", side(&p.setting))
    };
    let judged = match cx.confounded(p.base, p.head) {
        Some(why) => format!("⚠ confounded ({why}), not judged"),
        None => p.judgement.name().to_string(),
    };
    format!(
        "{setting}{} → {} per op, {} {} — {judged}",
        duration_ns(a.points[p.base].median_ns()),
        duration_ns(a.points[p.head].median_ns()),
        p.comparison.change,
        p.comparison.verdict,
    )
}
