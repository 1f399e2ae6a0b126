//! The report's "Lessons" section: each lesson the workshop teaches and
//! the experiment declares, the comparison it is about at every setting of
//! the axes it holds equal, with interval and verdict, and whether it
//! holds, is reversed or is a tie in Rust on this machine — computed from
//! this run's numbers (`crate::analysis`), never canned.

use std::fmt::Write as _;

use super::escape::md_text;
use super::format::duration_ns;
use super::Context;
use crate::analysis::{Judgement, LessonFinding, LessonPair};

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
            "What the Go workshop claims, checked against this run: each comparison with its interval and verdict \
             (one family of {} declared comparisons, Bonferroni), and whether the lesson holds, is reversed or is a tie here.\n",
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
    };
    let _ = writeln!(
        out,
        "- *{}* — expects {} {expect} {}.",
        md_text(&l.claim),
        side(&l.head),
        side(&l.base)
    );
    let verdict = match f.overall() {
        Some(j) => format!("**{}**", j.name()),
        None => {
            let count = |j: Judgement| f.pairs.iter().filter(|p| p.judgement == j).count();
            format!(
                "**mixed**: holds in {}, reversed in {}, a tie in {} of {} settings",
                count(Judgement::Holds),
                count(Judgement::Reversed),
                count(Judgement::Tie),
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
            let _ = writeln!(out, "  Why Rust may differ: {}.", md_text(note));
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
    format!(
        "{setting}{} → {} per op, {} {} — {}",
        duration_ns(a.points[p.base].median_ns()),
        duration_ns(a.points[p.head].median_ns()),
        p.comparison.change,
        p.comparison.verdict,
        p.judgement.name()
    )
}
