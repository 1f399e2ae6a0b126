//! Whether this run bears out the workshop's lessons the experiment
//! declares ([`LessonInfo`]): each lesson's base and head points are paired
//! at every setting of the axes neither names (held equal), each pair is
//! compared (one Holm family over every lesson comparison of the run), and
//! each comparison judged against what the workshop expects — holds,
//! reversed or a tie — by the rule `tuner_api::Lesson` documents.

use serde::Serialize;
use tuner_api::Expect;

use super::point::PointAnalysis;
use super::Family;
use crate::config::LessonInfo;
use crate::matrix::Point;
use crate::results::Results;
use crate::stats::{CompareSettings, Comparison, Verdict};

/// How one comparison of a lesson came out against its expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// The verdict is the expected change (or equivalent, when a tie was expected).
    Holds,
    /// The verdict is the opposite change (or any change, when a tie was expected).
    Reversed,
    /// Neither: equivalent or inconclusive where a change was expected,
    /// inconclusive where a tie was.
    Tie,
}

impl Judgement {
    /// The judgement of `verdict` (head against base) for `expect`.
    pub fn of(expect: Expect, verdict: Verdict) -> Judgement {
        match (expect, verdict) {
            (Expect::Faster, Verdict::Faster)
            | (Expect::Slower, Verdict::Slower)
            | (Expect::Tie, Verdict::Equivalent) => Judgement::Holds,
            (Expect::Faster, Verdict::Slower)
            | (Expect::Slower, Verdict::Faster)
            | (Expect::Tie, Verdict::Faster | Verdict::Slower) => Judgement::Reversed,
            _ => Judgement::Tie,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Judgement::Holds => "holds",
            Judgement::Reversed => "reversed",
            Judgement::Tie => "tie",
        }
    }
}

/// One base/head pair of a lesson, compared and judged.
#[derive(Clone, Debug, Serialize)]
pub struct LessonPair {
    /// The values of the axes held equal, e.g. `[("allocator", "mimalloc")]`.
    pub setting: Vec<(String, String)>,
    pub base: usize,
    pub head: usize,
    pub comparison: Comparison,
    pub judgement: Judgement,
}

/// One declared lesson and every pair of this run that speaks to it.
#[derive(Clone, Debug, Serialize)]
pub struct LessonFinding {
    pub lesson: LessonInfo,
    /// Empty when the run's matrix lacks a side (or a side failed).
    pub pairs: Vec<LessonPair>,
}

impl LessonFinding {
    /// The judgement every pair shares, if they all agree.
    pub fn overall(&self) -> Option<Judgement> {
        let first = self.pairs.first()?.judgement;
        self.pairs
            .iter()
            .all(|p| p.judgement == first)
            .then_some(first)
    }
}

/// The points of `points` that pair up for `lesson`: a base point, a head
/// point, equal on every axis the lesson does not name.
pub fn lesson_pairs<'p>(lesson: &LessonInfo, points: &'p [Point]) -> Vec<(&'p Point, &'p Point)> {
    let named: Vec<&str> = lesson.base.iter().map(|(a, _)| a.as_str()).collect();
    let held_equal = |p: &Point, q: &Point| {
        p.coords
            .iter()
            .filter(|(axis, _)| !named.contains(&axis.as_str()))
            .all(|(axis, value)| q.coord(axis) == Some(value.as_str()))
    };
    let mut pairs = Vec::new();
    for p in points.iter().filter(|p| p.matches(&lesson.base)) {
        for q in points.iter().filter(|q| q.matches(&lesson.head)) {
            if held_equal(p, q) {
                pairs.push((p, q));
            }
        }
    }
    pairs
}

/// Every declared lesson with its compared pairs, and the Holm family the
/// comparisons form.
pub(super) fn findings(
    results: &Results,
    points: &[PointAnalysis],
    settings: &CompareSettings,
) -> (Vec<LessonFinding>, Family) {
    let varying = crate::matrix::varying_axes(&results.plan.axes);
    /// A lesson's pair before it is compared.
    struct Candidate {
        lesson: usize,
        setting: Vec<(String, String)>,
        base: usize,
        head: usize,
    }
    // Every lesson's pairs first: they form one declared family.
    let mut candidates = Vec::new();
    for (index, lesson) in results.plan.info.lessons.iter().enumerate() {
        let named: Vec<&str> = lesson.base.iter().map(|(a, _)| a.as_str()).collect();
        for (b, h) in lesson_pairs(lesson, &results.points) {
            if points[b.id].succeeded() == 0 || points[h.id].succeeded() == 0 {
                continue;
            }
            let setting = b
                .coords
                .iter()
                .filter(|(a, _)| !named.contains(&a.as_str()) && varying.contains(&a.as_str()))
                .cloned()
                .collect();
            candidates.push(Candidate {
                lesson: index,
                setting,
                base: b.id,
                head: h.id,
            });
        }
    }
    let pairs: Vec<(usize, usize)> = candidates.iter().map(|c| (c.base, c.head)).collect();
    let (compared, family) = super::design::declared_pairs(points, &pairs, settings);
    let mut findings: Vec<LessonFinding> = results
        .plan
        .info
        .lessons
        .iter()
        .map(|lesson| LessonFinding {
            lesson: lesson.clone(),
            pairs: Vec::new(),
        })
        .collect();
    for (c, comparison) in candidates.into_iter().zip(compared) {
        let Some(comparison) = comparison else {
            continue;
        };
        let f = &mut findings[c.lesson];
        f.pairs.push(LessonPair {
            setting: c.setting,
            base: c.base,
            head: c.head,
            judgement: Judgement::of(f.lesson.expect, comparison.verdict),
            comparison,
        });
    }
    (findings, family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judgements_follow_the_documented_rule() {
        use Expect as E;
        use Verdict as V;
        let cases = [
            (E::Faster, V::Faster, Judgement::Holds),
            (E::Faster, V::Slower, Judgement::Reversed),
            (E::Faster, V::Equivalent, Judgement::Tie),
            (E::Faster, V::NotShown, Judgement::Tie),
            (E::Slower, V::Slower, Judgement::Holds),
            (E::Slower, V::Faster, Judgement::Reversed),
            (E::Tie, V::Equivalent, Judgement::Holds),
            (E::Tie, V::Faster, Judgement::Reversed),
            (E::Tie, V::Slower, Judgement::Reversed),
            (E::Tie, V::NotShown, Judgement::Tie),
        ];
        for (expect, verdict, judgement) in cases {
            assert_eq!(
                Judgement::of(expect, verdict),
                judgement,
                "{expect:?} {verdict:?}"
            );
        }
    }
}
