#!/usr/bin/env python3
# Requires: pip install numpy scipy statsmodels
"""Reads every committed report's claims back from its results.json with an
independent implementation (numpy/scipy/statsmodels, none of tuner's code)
and exits 1 on any disagreement.

For every report.md beside a results.json under reports/ and
examples/logagg/reports/ it checks:

1. Medians. Each point's time/op in the "All points" table equals the median
   over its successful processes of the process value (the median of its
   samples' ns / (iters × ops_per_run)) — rounds run again because the
   machine contended for them left out — to the three significant figures
   printed (a relative tolerance of 0.6%).
2. Verdict words against the baseline. For each parameter set (points with
   the same workload parameters), an ordinary least-squares two-way model
   log(ns/op) ~ C(point) + C(round) over the set's processes (statsmodels),
   each point's contrast with the set's baseline, Bonferroni over the set.
   tuner fits the same design robustly (Huber, own spreads) with Dunnett, so
   exact p-values differ; the check is agreement on clear cases:
   - a *faster*/*slower* word disagrees when the independent estimate has
     the opposite sign with unadjusted p < 0.05, or the contrast is clearly
     undecided (unadjusted p > 0.5);
   - *not shown* disagrees when the independent contrast is clearly decided:
     Bonferroni p < 1e-5 and the estimate beyond 5× the ±band (5%);
   - *equivalent* disagrees when the independent unadjusted 95% interval of
     the change lies wholly outside the ±band.
   Rows marked confounded are skipped.
3. Picks. A summary line "axis: **v** by time (none shown faster …)"
   disagrees when some other value of the axis, at some setting of the other
   varying axes, is clearly faster than v there (independent two-way model
   of the pair: Bonferroni p over the axis's pairs < 1e-5, faster by more
   than 5× the band). ("Depends on the setting" lines are not checked.)
4. Lesson verdicts. Each lesson pair line's judgement follows from its
   printed verdict word by the documented direction-aware rule (re-implemented
   here from the docs of tuner_api::Lesson), and the verdict word is checked
   as in 2 (the pair's own two-way model).

Prints one line per disagreement and the count; exit status 1 when any.
"""

import glob
import json
import math
import os
import re
import sys

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

BAND = 0.01  # the ±1% noise band tuner's reports state
ALPHA = 0.05


def process_values(results):
    """{point id: {round: ns/op}} from the successful processes, leaving out
    the rounds the machine contended for and that were run again
    (`rounds.reruns`: the re-run round stands in for the round it replaced)."""
    replaced = {r["round"] for r in (results.get("rounds") or {}).get("reruns", [])}
    out = {}
    for run in results["runs"]:
        if run["process"] in replaced:
            continue
        o = run.get("outcome") or {}
        if o.get("status") != "ok":
            continue
        samples = o.get("samples") or []
        ops = o.get("ops_per_run") or 1
        per_op = [s["ns"] / (s["iters"] * ops) for s in samples if s.get("iters")]
        if not per_op:
            continue
        out.setdefault(run["point"], {})[run["process"]] = float(np.median(per_op))
    return out


def two_way(values, ids):
    """OLS of log time on point + round over the rounds with every id measured;
    returns {id: (estimate, stderr, dof)} of each id against ids[0]."""
    rounds = sorted(set.intersection(*(set(values.get(i, {})) for i in ids)))
    if len(rounds) < 2:
        return None
    rows = [(f"p{i}", r, math.log(values[i][r])) for i in ids for r in rounds]
    df = pd.DataFrame(rows, columns=["point", "rnd", "y"])
    base = f"p{ids[0]}"
    model = smf.ols(f"y ~ C(point, Treatment('{base}')) + C(rnd)", data=df).fit()
    out = {}
    for i in ids[1:]:
        name = f"C(point, Treatment('{base}'))[T.p{i}]"
        if name in model.params:
            out[i] = (model.params[name], model.bse[name], model.df_resid)
    return out


def p_two_sided(est, se, dof):
    if se <= 0:
        return 0.0 if est != 0 else 1.0
    return 2 * stats.t.sf(abs(est / se), dof)


def pct(log_ratio):
    return (math.exp(log_ratio) - 1) * 100


def word_disagrees(word, est, se, dof, m):
    """Whether a printed verdict word disagrees with the independent contrast
    (head against base, log scale) on a clear case; `m` = family size."""
    p = p_two_sided(est, se, dof)
    change = pct(est)
    if word in ("faster", "slower"):
        sign = -1 if word == "faster" else 1
        if np.sign(est) == -sign and p < 0.05:
            return f"{word} but independently {change:+.1f}% the other way (p={p:.2g})"
        if p > 0.5:
            return f"{word} but independently undecided ({change:+.1f}%, p={p:.2g})"
    elif word == "not shown":
        if min(1.0, p * m) < 1e-5 and abs(change) > 5 * BAND * 100:
            return f"not shown but independently {change:+.1f}% with Bonferroni p={p * m:.2g}"
    elif word == "equivalent":
        t = stats.t.ppf(0.975, dof) if dof > 0 else float("inf")
        lo, hi = pct(est - t * se), pct(est + t * se)
        if lo > BAND * 100 or hi < -BAND * 100:
            return f"equivalent but independently [{lo:+.1f}, {hi:+.1f}]%"
    return None


def judgement(expect, word):
    """tuner_api::Lesson's documented rule, re-implemented."""
    if word == "not shown":
        return "not shown"
    if expect == "faster":
        return {"faster": "holds", "slower": "reversed", "equivalent": "no gain"}[word]
    if expect == "slower":
        return {"slower": "holds", "faster": "reversed", "equivalent": "no gain"}[word]
    if expect == "tie":
        return "holds" if word == "equivalent" else "reversed"
    if expect == "not faster":
        return "reversed" if word == "faster" else "holds"
    return None


def table_after(md, heading):
    """Rows (lists of cells) of the first table after `heading`."""
    i = md.find(heading)
    if i < 0:
        return None, []
    lines = md[i:].splitlines()
    rows = []
    started = False
    for line in lines[1:]:
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            rows.append([c.replace("\\|", "|") for c in cells])
        elif started:
            break
    if len(rows) < 2:
        return None, []
    return rows[0], rows[2:]


def parse_duration(s):
    m = re.match(r"([\d.,]+)\s*(ns|µs|ms|s)\b", s)
    if not m:
        return None
    scale = {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9}[m.group(2)]
    return float(m.group(1).replace(",", "")) * scale


def varying(results):
    axes = {}
    for p in results["points"]:
        for a, v in p["coords"]:
            axes.setdefault(a, set()).add(v)
    return [a for a, vs in axes.items() if len(vs) > 1]


def check(results_path, problems):
    md_path = os.path.join(os.path.dirname(results_path), "report.md")
    if not os.path.exists(md_path):
        return 0
    results = json.load(open(results_path))
    md = open(md_path).read()
    values = process_values(results)
    points = results["points"]
    axes = varying(results)
    where = os.path.relpath(md_path)
    checked = 0

    def bad(msg):
        problems.append(f"{where}: {msg}")

    # 1 and 2: the table of all points.
    header, rows = table_after(md, "## All points")
    by_coords = {tuple(v for a, v in p["coords"] if a in axes): p["id"] for p in points}
    row_of = {}
    if header:
        ncoord = len(axes)
        for row in rows:
            pid = by_coords.get(tuple(row[:ncoord]))
            if pid is None:
                continue
            row_of[pid] = row
            printed = parse_duration(row[ncoord])
            vals = list(values.get(pid, {}).values())
            if printed is not None and vals:
                med = float(np.median(vals))
                checked += 1
                if abs(printed - med) / med > 0.006:
                    bad(f"point {pid} time {row[ncoord]} but median of processes {med:.4g} ns")
    # Parameter sets: points with the same workload parameters.
    groups = {}
    for p in points:
        groups.setdefault(json.dumps(p.get("params"), sort_keys=True), []).append(p["id"])
    for pid, row in row_of.items():
        vs = row[len(axes) + 1]
        m = re.match(r"([+-][\d.]+%).*?\b(faster|slower|equivalent|not shown)\b", vs)
        if not m or "confounded" in vs:
            continue
        word = m.group(2)
        group = next(g for g in groups.values() if pid in g)
        base = next((q for q in group if row_of.get(q, [""] * 99)[len(axes) + 1] == "(baseline)"), None)
        if base is None:
            continue
        fit = two_way(values, [base, pid])
        if not fit or pid not in fit:
            continue
        checked += 1
        est, se, dof = fit[pid]
        why = word_disagrees(word, est, se, dof, max(1, len(group) - 1))
        if why:
            bad(f"point {pid} vs baseline {base}: {why}")

    # 3: picks in the summary.
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0] if "## Summary" in md else ""
    for axis, value, rest in re.findall(r"^  - ([^:\n]+): \*\*([^*]+)\*\* by time \(none shown faster(.*)$", summary, re.M):
        if axis not in axes:
            continue
        others = [a for a in axes if a != axis]
        slices = {}
        for p in points:
            if p["id"] not in values:
                continue
            c = dict(p["coords"])
            slices.setdefault(tuple(c[a] for a in others), {})[c[axis]] = p["id"]
        pairs = [(s[value], q) for s in slices.values() if value in s for v, q in s.items() if v != value]
        for b, h in pairs:
            fit = two_way(values, [b, h])
            if not fit or h not in fit:
                continue
            checked += 1
            est, se, dof = fit[h]
            p = p_two_sided(est, se, dof) * len(pairs)
            if est < 0 and p < 1e-5 and abs(pct(est)) > 5 * BAND * 100:
                bad(f"pick {axis}={value} but point {h} is {pct(est):+.1f}% against {b} (Bonferroni p={p:.2g})")

    # 4: lessons.
    lessons_md = md.split("## Lessons", 1)[1].split("\n## ", 1)[0] if "## Lessons" in md else ""
    expect = None
    for line in lessons_md.splitlines():
        m = re.match(r"- \*.*\* — expects .*? (not faster than|faster than|slower than|as fast as) ", line)
        if m:
            expect = {"faster than": "faster", "slower than": "slower", "as fast as": "tie",
                      "not faster than": "not faster"}[m.group(1)]
            continue
        m = re.match(r"  - (?:at .*: )?.* per op, [+-][\d.]+% \[.*?\] (faster|slower|equivalent|not shown) — (.+)$", line)
        if m and expect and "confounded" not in m.group(2):
            checked += 1
            want = judgement(expect, m.group(1))
            if want != m.group(2):
                bad(f"lesson pair judged {m.group(2)!r} but the rule gives {want!r} for {expect}/{m.group(1)}: {line.strip()}")
    return checked


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    paths = sorted(glob.glob("reports/**/results.json", recursive=True)
                   + glob.glob("examples/logagg/reports/**/results.json", recursive=True))
    problems = []
    checked = 0
    for path in paths:
        checked += check(path, problems)
    for p in problems:
        print(p)
    print(f"claims-check: {checked} claims checked in {len(paths)} results files, {len(problems)} disagreements")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
