//! Whether this run bears out the lessons the experiment declares
//! ([`LessonInfo`]): each lesson's base and head points are paired at
//! every setting of the axes neither names (held equal), each pair is
//! compared (one declared family over every lesson comparison of the
//! run), and each comparison judged by what the lesson claims,
//! direction-aware, by the rule `tuner_api::Lesson` documents: a claim
//! that head "does not help" holds when head is slower or equivalent; "as
//! fast as" holds only when shown equivalent.
//!
//! Results of older tuners recorded neither where a claim comes from nor
//! the "does not help" expectation; where such a result's workload is in
//! the shipped catalog with a lesson on the same two sides, that lesson
//! (its claim, expectation, source and note) is judged instead, so a
//! re-rendered report applies today's claims to the recorded numbers.

use serde::Serialize;
use tuner_api::Expect;

use super::point::PointAnalysis;
use super::Family;
use crate::config::{LessonInfo, LessonSource};
use crate::matrix::Point;
use crate::results::Results;
use crate::stats::{CompareSettings, Comparison, Verdict};

/// How one comparison of a lesson came out against what it claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// The verdict is what the claim says.
    Holds,
    /// The verdict is the opposite of what the claim says.
    Reversed,
    /// A change was claimed and the two were shown equivalent.
    NoGain,
    /// The verdict decides nothing about the claim.
    NotShown,
}

impl Judgement {
    /// The judgement of `verdict` (head against base) for `expect`.
    pub fn of(expect: Expect, verdict: Verdict) -> Judgement {
        use Verdict as V;
        match (expect, verdict) {
            (Expect::Faster, V::Faster)
            | (Expect::Slower, V::Slower)
            | (Expect::Tie, V::Equivalent)
            | (Expect::NoFaster, V::Slower | V::Equivalent) => Judgement::Holds,
            (Expect::Faster, V::Slower)
            | (Expect::Slower, V::Faster)
            | (Expect::Tie, V::Faster | V::Slower)
            | (Expect::NoFaster, V::Faster) => Judgement::Reversed,
            (Expect::Faster | Expect::Slower, V::Equivalent) => Judgement::NoGain,
            (_, V::NotShown) => Judgement::NotShown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Judgement::Holds => "holds",
            Judgement::Reversed => "reversed",
            Judgement::NoGain => "no gain",
            Judgement::NotShown => "not shown",
        }
    }
}

/// The lessons a run is judged by: its own, each one recorded without a
/// source taken from the shipped catalog where that has the same sides
/// (see the module docs).
fn declared(results: &Results) -> Vec<LessonInfo> {
    let recorded = &results.plan.info.lessons;
    #[cfg(feature = "catalog")]
    {
        let catalog = tuner_experiments::catalog();
        let shipped: Vec<LessonInfo> = catalog
            .iter()
            .find(|e| e.name() == results.plan.workload)
            .map(|e| e.lessons().iter().map(LessonInfo::from).collect())
            .unwrap_or_default();
        recorded
            .iter()
            .map(|l| {
                let same = |s: &&LessonInfo| s.base == l.base && s.head == l.head;
                match shipped.iter().find(same) {
                    Some(s) if l.source == LessonSource::Unrecorded => s.clone(),
                    _ => l.clone(),
                }
            })
            .collect()
    }
    #[cfg(not(feature = "catalog"))]
    {
        recorded.clone()
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
    let lessons = declared(results);
    for (index, lesson) in lessons.iter().enumerate() {
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
    let mut findings: Vec<LessonFinding> = lessons
        .into_iter()
        .map(|lesson| LessonFinding {
            lesson,
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
        use Judgement as J;
        use Verdict as V;
        let cases = [
            (E::Faster, V::Faster, J::Holds),
            (E::Faster, V::Slower, J::Reversed),
            (E::Faster, V::Equivalent, J::NoGain),
            (E::Faster, V::NotShown, J::NotShown),
            (E::Slower, V::Slower, J::Holds),
            (E::Slower, V::Faster, J::Reversed),
            (E::Slower, V::Equivalent, J::NoGain),
            (E::Tie, V::Equivalent, J::Holds),
            (E::Tie, V::Faster, J::Reversed),
            (E::Tie, V::Slower, J::Reversed),
            (E::Tie, V::NotShown, J::NotShown),
            // "Does not help": 8 threads 7% slower than 2 bears it out.
            (E::NoFaster, V::Slower, J::Holds),
            (E::NoFaster, V::Equivalent, J::Holds),
            (E::NoFaster, V::Faster, J::Reversed),
            (E::NoFaster, V::NotShown, J::NotShown),
        ];
        for (expect, verdict, judgement) in cases {
            assert_eq!(
                Judgement::of(expect, verdict),
                judgement,
                "{expect:?} {verdict:?}"
            );
        }
    }

    #[test]
    fn a_lesson_recorded_without_a_source_takes_the_shipped_one_on_the_same_sides() {
        let mut r = crate::fixtures::results_by(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = \"v3\"\n[matrix]\nthreads = [2, 8]\n",
            |p| if p.threads == 8 { 1.07e6 } else { 1e6 },
            |_| 1,
        );
        let gomaxprocs = |r: &Results| {
            declared(r)
                .into_iter()
                .find(|l| l.head.contains(&("threads".to_string(), "8".to_string())))
                .unwrap()
        };
        let shipped = gomaxprocs(&r);
        assert_eq!(shipped.expect, Expect::NoFaster);
        assert!(matches!(shipped.source, LessonSource::Workshop { .. }));
        // An old record: a tie expected, no source.
        for l in &mut r.plan.info.lessons {
            l.source = LessonSource::Unrecorded;
            if l.head.contains(&("threads".to_string(), "8".to_string())) {
                l.expect = Expect::Tie;
            }
        }
        assert_eq!(gomaxprocs(&r).expect, Expect::NoFaster);
        // A recorded source is kept as recorded.
        for l in &mut r.plan.info.lessons {
            l.source = LessonSource::Own;
        }
        assert_eq!(gomaxprocs(&r).expect, Expect::Tie);
        // And the run judges it: 8 threads 7% slower holds "does not help".
        let a = crate::analysis::Analysis::of(
            &crate::fixtures::results_by(
                "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = \"v3\"\n[matrix]\nthreads = [2, 8]\n[measure]\nprocesses = 8\n",
                |p| if p.threads == 8 { 1.07e6 } else { 1e6 },
                |_| 1,
            ),
            &CompareSettings::default(),
        );
        let f = a
            .lessons
            .iter()
            .find(|f| f.lesson.expect == Expect::NoFaster)
            .unwrap();
        assert_eq!(f.overall(), Some(Judgement::Holds));
    }
}
