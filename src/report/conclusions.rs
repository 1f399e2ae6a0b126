//! Conclusions: one to three sentences drawn from this run's numbers, in
//! the spirit of the seed's "Opt tip" lines but earned: which point wins and
//! by how much, then the axes whose effect is largest at the winner's
//! setting (threads, allocator, buffering, variant), each with its
//! interval and verdict. Nothing here is canned: every figure and every
//! choice of words follows from the summaries.

use super::format::{bytes, count, duration_ns, ratio};
use super::summary::{best_per_group, param_group, PointSummary};
use crate::config::Axis;
use crate::matrix::{self, Point};
use crate::results::Results;
use crate::stats::{self, CompareSettings, Comparison, Verdict};

/// At most this many sentences, winner included.
const MAX: usize = 3;

/// The conclusions of a run, most important first: the winner among the
/// points doing the baseline's work; the knob axis with the largest effect
/// there; then the next largest effect, or how soon each variant gives its
/// first result, or what changes with the workload parameters.
pub fn conclusions(
    results: &Results,
    summaries: &[PointSummary],
    settings: &CompareSettings,
) -> Vec<String> {
    let bests = best_per_group(results, summaries);
    let group = results.baseline.map(|b| param_group(results, b));
    let Some(best) = bests.iter().copied().find(|s| {
        group
            .as_ref()
            .is_none_or(|g| param_group(results, s.point) == *g)
    }) else {
        return Vec::new();
    };
    let ctx = Context {
        results,
        summaries,
        settings,
        varying: matrix::varying_axes(&results.plan.axes),
    };
    let mut effects: Vec<Effect> = results
        .plan
        .axes
        .iter()
        .filter(|a| a.len() > 1 && !matches!(a, Axis::Param(..)))
        .filter_map(|axis| ctx.axis_effect(axis, best))
        .collect();
    // Effects under 5% are not worth a conclusion.
    effects.retain(|e| e.size >= 1.05f64.ln());
    effects.sort_by(|a, b| b.size.total_cmp(&a.size));
    let mut effects = effects.into_iter().map(|e| e.sentence);
    let mut out = vec![ctx.winner(best)];
    out.extend(effects.next());
    out.extend(
        effects
            .next()
            .or_else(|| ctx.first_use(best))
            .or_else(|| ctx.per_group(&bests)),
    );
    out.truncate(MAX);
    out
}

struct Context<'a> {
    results: &'a Results,
    summaries: &'a [PointSummary],
    settings: &'a CompareSettings,
    varying: Vec<&'a str>,
}

/// One axis's effect at the winner's setting, ranked by `size` (the
/// largest absolute log change along the axis).
struct Effect {
    size: f64,
    sentence: String,
}

fn change_text(c: &Comparison) -> String {
    format!("{} ({})", c.change, c.verdict)
}

impl Context<'_> {
    fn point(&self, s: &PointSummary) -> &Point {
        &self.results.points[s.point]
    }

    fn label(&self, s: &PointSummary) -> String {
        self.point(s).label(&self.varying)
    }

    fn compare(&self, base: &PointSummary, head: &PointSummary) -> Option<Comparison> {
        stats::compare(&base.process_ns, &head.process_ns, self.settings).ok()
    }

    fn winner(&self, best: &PointSummary) -> String {
        let head = format!(
            "**{}** is the fastest point at {}/op",
            self.label(best),
            duration_ns(best.median_ns())
        );
        let base = self
            .results
            .baseline
            .map(|b| &self.summaries[b])
            .filter(|b| b.succeeded() > 0);
        match (base, &best.vs_baseline) {
            (Some(base), Some(c)) if c.verdict == Verdict::Faster => format!(
                "{head}: {} the speed of the baseline {} ({}/op), a change of {}.",
                ratio(base.median_ns() / best.median_ns()),
                self.label(base),
                duration_ns(base.median_ns()),
                c.change
            ),
            (Some(base), Some(c)) => format!(
                "{head}, but it is not reliably faster than the baseline {}: {}.",
                self.label(base),
                change_text(c)
            ),
            _ => format!("{head}; it is the baseline itself."),
        }
    }

    /// Time to first result per variant, when it differs by more than half
    /// between variants: the lazy-initialisation lesson.
    fn first_use(&self, best: &PointSummary) -> Option<String> {
        let axis = self
            .results
            .plan
            .axes
            .iter()
            .find(|a| matches!(a, Axis::Variant(v) if v.len() > 1))?;
        let mut along = self.along(axis, best);
        along.sort_by(|a, b| a.1.first_use_ns.total_cmp(&b.1.first_use_ns));
        let (soonest, latest) = (along.first()?, along.last()?);
        // Worth saying only when some variant's start costs well beyond its
        // first run: more than twice the time of a warm run.
        let startup_heavy = along
            .iter()
            .any(|(_, s)| s.first_use_ns > 3.0 * s.median_ns() * s.ops_per_run);
        if soonest.1.first_use_ns <= 0.0
            || latest.1.first_use_ns < 1.5 * soonest.1.first_use_ns
            || !startup_heavy
        {
            return None;
        }
        let listed: Vec<String> = along
            .iter()
            .map(|(v, s)| format!("{v} {}", duration_ns(s.first_use_ns)))
            .collect();
        Some(format!(
            "Time from start to first result (building the workload plus its first run): {}; {} is {} slower to start than {}.",
            listed.join(", "),
            latest.0,
            ratio(latest.1.first_use_ns / soonest.1.first_use_ns),
            soonest.0
        ))
    }

    /// How the best settings change with the workload parameters: the
    /// first parameter set's best settings, checked in every other set.
    fn per_group(&self, bests: &[&PointSummary]) -> Option<String> {
        if bests.len() < 2 {
            return None;
        }
        let params = |s: &PointSummary| param_group(self.results, s.point);
        let knob_axes: Vec<&str> = self
            .varying
            .iter()
            .copied()
            .filter(|a| !params(bests[0]).iter().any(|(g, _)| g == a))
            .collect();
        if knob_axes.is_empty() {
            return None;
        }
        let knobs = |s: &PointSummary| self.point(s).label(&knob_axes);
        let named = |s: &PointSummary| {
            params(s)
                .iter()
                .map(|(a, v)| format!("{a}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let first = bests[0];
        let mut differs = Vec::new();
        for best in &bests[1..] {
            // The first set's best settings, with this set's parameters.
            let mut selection: Vec<(String, String)> = self
                .point(first)
                .coords
                .iter()
                .filter(|(a, _)| knob_axes.contains(&a.as_str()))
                .cloned()
                .collect();
            selection.extend(params(best));
            let same = self
                .results
                .points
                .iter()
                .find(|p| p.matches(&selection))
                .map(|p| &self.summaries[p.id]);
            match same {
                Some(s) if s.point == best.point => {}
                Some(s) if s.succeeded() > 0 => {
                    if let Some(c) = self
                        .compare(s, best)
                        .filter(|c| c.verdict == Verdict::Faster)
                    {
                        differs.push(format!(
                            "at {} {} beats {} by {}",
                            named(best),
                            knobs(best),
                            knobs(first),
                            c.change
                        ));
                    }
                }
                _ => differs.push(format!("at {} the best is {}", named(best), knobs(best))),
            }
        }
        Some(if differs.is_empty() {
            format!(
                "{} is the fastest setting (or within noise of it) for every parameter set: {}.",
                knobs(first),
                bests
                    .iter()
                    .map(|b| format!("{} {}/op", named(b), duration_ns(b.median_ns())))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "The best setting depends on the workload: at {} it is {}; {}.",
                named(first),
                knobs(first),
                differs.join("; ")
            )
        })
    }

    /// The points along `axis` with every other axis at the winner's values.
    fn along(&self, axis: &Axis, best: &PointSummary) -> Vec<(String, &PointSummary)> {
        let fixed: Vec<(String, String)> = self
            .point(best)
            .coords
            .iter()
            .filter(|(a, _)| a != axis.name())
            .cloned()
            .collect();
        axis.labels()
            .into_iter()
            .filter_map(|value| {
                let mut sel = fixed.clone();
                sel.push((axis.name().to_string(), value.clone()));
                let p = self.results.points.iter().find(|p| p.matches(&sel))?;
                let s = &self.summaries[p.id];
                (s.succeeded() > 0).then_some((value, s))
            })
            .collect()
    }

    /// The effect of `axis` where it is largest: along the winner's other
    /// settings, or, for a knob other than the variant, with the variant
    /// that gains the most from it (std's sort gains nothing from threads,
    /// a parallel sort does).
    fn axis_effect(&self, axis: &Axis, best: &PointSummary) -> Option<Effect> {
        let anchors: Vec<&PointSummary> = match self
            .results
            .plan
            .axes
            .iter()
            .find(|a| matches!(a, Axis::Variant(_)))
        {
            Some(variants) if !matches!(axis, Axis::Variant(_)) => self
                .along(variants, best)
                .into_iter()
                .map(|(_, s)| s)
                .collect(),
            _ => vec![best],
        };
        anchors
            .into_iter()
            .filter_map(|anchor| self.effect_at(axis, anchor))
            .max_by(|a, b| a.size.total_cmp(&b.size))
    }

    fn effect_at(&self, axis: &Axis, best: &PointSummary) -> Option<Effect> {
        let along = self.along(axis, best);
        if along.len() < 2 {
            return None;
        }
        let fastest = along
            .iter()
            .min_by(|a, b| a.1.median_ns().total_cmp(&b.1.median_ns()))?;
        let slowest = along
            .iter()
            .max_by(|a, b| a.1.median_ns().total_cmp(&b.1.median_ns()))?;
        let size = (slowest.1.median_ns() / fastest.1.median_ns()).ln();
        let held = self.held(axis, best);
        let sentence = match axis {
            Axis::Threads(_) => self.threads_sentence(&along, &held)?,
            Axis::Variant(_) => self.variant_sentence(fastest, slowest, &held)?,
            _ => {
                let c = self.compare(slowest.1, fastest.1)?;
                let verb = if c.verdict == Verdict::Faster {
                    "is faster than"
                } else {
                    "is not reliably faster than"
                };
                format!(
                    "{}: {} {verb} {} ({} vs {}/op; {}).",
                    capitalize(&format!("{} {held}", axis.name())),
                    fastest.0,
                    slowest.0,
                    duration_ns(fastest.1.median_ns()),
                    duration_ns(slowest.1.median_ns()),
                    change_text(&c)
                )
            }
        };
        Some(Effect { size, sentence })
    }

    /// "with threads=2 allocator=mimalloc": the winner's other varying axes.
    fn held(&self, axis: &Axis, best: &PointSummary) -> String {
        let others: Vec<String> = self
            .point(best)
            .coords
            .iter()
            .filter(|(a, _)| a != axis.name() && self.varying.contains(&a.as_str()))
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        if others.is_empty() {
            String::new()
        } else {
            format!("(at {})", others.join(" "))
        }
    }

    /// Scaling with threads: the speed-up at each step, and where it stops.
    fn threads_sentence(&self, along: &[(String, &PointSummary)], held: &str) -> Option<String> {
        let (first, one) = along.first()?;
        let t1: f64 = first.parse().ok()?;
        let mut steps = Vec::new();
        let mut stops = None;
        for pair in along.windows(2) {
            let c = self.compare(pair[0].1, pair[1].1)?;
            if stops.is_none() && c.verdict != Verdict::Faster {
                stops = Some((pair[0].0.clone(), pair[1].0.clone(), c.clone()));
            }
            steps.push(c);
        }
        let (last, top) = along.last()?;
        let tn: f64 = last.parse().ok()?;
        let speedup = one.median_ns() / top.median_ns();
        let efficiency = speedup / (tn / t1) * 100.0;
        let mut s = format!(
            "Threads {held}: {first} → {last} threads gives {} ({} → {}/op, parallel efficiency {:.0}%)",
            ratio(speedup),
            duration_ns(one.median_ns()),
            duration_ns(top.median_ns()),
            efficiency
        );
        match stops {
            Some((from, to, c)) => s.push_str(&format!(
                "; adding threads stops helping at {from}: {from} → {to} is {}.",
                change_text(&c)
            )),
            None => s.push_str(&format!(
                "; every step helps ({}).",
                steps.iter().map(change_text).collect::<Vec<_>>().join(", ")
            )),
        }
        Some(capitalize(&s))
    }

    /// The fastest and slowest variant, with their allocation counts when those differ.
    fn variant_sentence(
        &self,
        fastest: &(String, &PointSummary),
        slowest: &(String, &PointSummary),
        held: &str,
    ) -> Option<String> {
        let c = self.compare(slowest.1, fastest.1)?;
        let mut s = format!(
            "Variants {held}: {} is {} the speed of {} ({} vs {}/op; {})",
            fastest.0,
            ratio(slowest.1.median_ns() / fastest.1.median_ns()),
            slowest.0,
            duration_ns(fastest.1.median_ns()),
            duration_ns(slowest.1.median_ns()),
            change_text(&c)
        );
        if let (Some(fa), Some(sa)) = (fastest.1.allocs_per_op, slowest.1.allocs_per_op) {
            if fa.value != sa.value {
                let fb = fastest.1.bytes_per_op.map_or(f64::NAN, |b| b.value);
                let sb = slowest.1.bytes_per_op.map_or(f64::NAN, |b| b.value);
                s.push_str(&format!(
                    "; it makes {} allocations/op ({}/op) where {} makes {} ({}/op)",
                    count(fa.value),
                    bytes(fb),
                    slowest.0,
                    count(sa.value),
                    bytes(sb)
                ));
            }
        }
        s.push('.');
        Some(s)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::results_by;
    use crate::report::summarize;

    const CONFIG: &str = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n\
        [matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"mimalloc\"]\n[measure]\nprocesses = 8\n";

    fn conclude(ns: impl Fn(&Point) -> f64) -> Vec<String> {
        let r = results_by(CONFIG, ns, |p| if p.variant == "v3" { 1000 } else { 999 });
        let settings = CompareSettings::default();
        conclusions(&r, &summarize(&r, &settings), &settings)
    }

    #[test]
    fn the_winner_and_the_largest_effects_follow_the_numbers() {
        // v3 halves its time with 2 threads and beats sequential by 1.2×
        // there; the allocator changes nothing.
        let c = conclude(|p| match (p.variant.as_str(), p.threads) {
            ("v3", 2) => 50e6,
            ("v3", _) => 100e6,
            _ => 60e6,
        });
        assert_eq!(c.len(), 3, "{c:#?}");
        let starts = |i: usize, text: &str| assert!(c[i].starts_with(text), "{}", c[i]);
        starts(0, "**variant=v3 threads=2 allocator=system** is the fastest point at 50.2 ms/op: 1.20× the speed");
        assert!(c[0].contains("-16.7% ["), "{}", c[0]);
        starts(
            1,
            "Threads (at variant=v3 allocator=system): 1 → 2 threads gives 2.00×",
        );
        assert!(c[1].contains("parallel efficiency 100%"), "{}", c[1]);
        starts(
            2,
            "Variants (at threads=2 allocator=system): v3 is 1.20× the speed of sequential",
        );
        assert!(c[2].contains("1,000 allocations/op"), "{}", c[2]);
    }

    #[test]
    fn when_nothing_helps_the_conclusions_say_so() {
        let c = conclude(|_| 100e6);
        assert!(c[0].ends_with("it is the baseline itself."), "{}", c[0]);
        assert_eq!(
            c.len(),
            1,
            "no knob moves time by 5%, so nothing more to say: {c:#?}"
        );
        assert!(
            c.iter()
                .all(|s| !s.contains("(faster)") && !s.contains("is faster than")),
            "{c:#?}"
        );
    }
}
