#!/usr/bin/env python3
"""The run's sensitivity benchmark (issue 18): how often `tuner run` at its
defaults calls a known change, and how often a run with no change raises a
false alarm — real runs of a 24-point config, not a simulation (the
simulation alongside is `cargo test --release stats::design::simulation --
--nocapture`).

configs/commands/sensitivity.toml runs one C loop doing exactly 1.00, 1.02,
1.05 and 1.10 times the same work (variants w100 … w110) × an environment
variable the program ignores (PAD, 6 values): every comparison against the
baseline (w100, PAD=a) has a known true change — 0% for w100 at the other
PAD values, else 2%, 5% or 10%. The A/A config runs four variants that all
do w100's work, × the same PAD: every call in it is a false alarm, and a run
with any call raises a family-wise false alarm.

Each run's verdicts are read from its report's table of all points (the
"vs baseline" column). Rates come with Wilson 95% intervals.

    cc -O2 -o examples/commands/spin/spin examples/commands/spin/spin.c
    cargo build --release
    scripts/sensitivity-design.py --runs 10 --aa-runs 40     # ~12 minutes on 2 cores
    scripts/sensitivity-design.py --runs 2 --aa-runs 2       # a quick look

Writes `<out>/sensitivity-design.md` (the table, also printed) and keeps
every run's folder under `<out>/runs`.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUNER = ROOT / "target" / "release" / "tuner"
CONFIG = ROOT / "configs" / "commands" / "sensitivity.toml"
SPIN = ROOT / "examples" / "commands" / "spin"
sys.path.insert(0, str(ROOT / "scripts"))
from report_tables import all_points, vs_baseline  # noqa: E402


def wilson(k, n, z=1.96):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def config_text(out, aa, adaptive=None):
    text = CONFIG.read_text()
    if adaptive:
        least, most, every = adaptive
        text += (f"\n[measure]\nprocesses = {least}\nmax_processes = {most}\n"
                 f"look_every = {every}\n")
    text = text.replace('cwd = "../../examples/commands/spin"', f'cwd = "{SPIN}"')
    text = text.replace('dir = "reports/commands"', f'dir = "{out / "runs"}"')
    if aa:
        text = re.sub(r'w1(\d\d) = \["./spin", "1\d\d"\]', r'w1\1 = ["./spin", "100"]', text)
        text = text.replace('name = "sensitivity"', 'name = "sensitivity-aa"')
    return text


def verdicts(report):
    """(variant, PAD) -> (change text, verdict word) from the table of all points."""
    _, rows = all_points(report.read_text())
    return {(row["variant"], row.get("PAD", "")): vs_baseline(row) for row in rows}


PROCESSES = []  # timed processes of each run, in order


def run(cfg, out):
    before = set((out / "runs").rglob("report.md"))
    # The confirmation's pairs (after an adaptive run) are not the table's verdicts.
    subprocess.run([str(TUNER), "run", str(cfg), "--quiet", "--confirm", "off"], check=False,
                   stdout=subprocess.DEVNULL)
    after = set((out / "runs").rglob("report.md")) - before
    if len(after) != 1:
        sys.exit(f"expected one new report, found {len(after)}")
    report = after.pop()
    results = json.loads((report.parent / "results.json").read_text())
    PROCESSES.append(len(results["runs"]))
    return verdicts(report)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--aa-runs", type=int, default=40)
    ap.add_argument("--out", type=Path, default=Path("/tmp/sensitivity-design"))
    ap.add_argument("--adaptive", metavar="LEAST,MOST,EVERY",
                    help="run adaptively: processes, max_processes, look_every (default: the fixed 7)")
    args = ap.parse_args()
    adaptive = tuple(int(x) for x in args.adaptive.split(",")) if args.adaptive else None
    if not (SPIN / "spin").exists():
        subprocess.run(["cc", "-O2", "-o", str(SPIN / "spin"), str(SPIN / "spin.c")], check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    cfgs = {}
    for aa in (False, True):
        path = args.out / ("aa.toml" if aa else "changes.toml")
        path.write_text(config_text(args.out, aa, adaptive))
        cfgs[aa] = path
    # Interleave the two kinds of runs so drift touches both alike.
    called = {c: [0, 0] for c in (0, 2, 5, 10)}
    wrong_direction = 0
    aa_alarm_runs = aa_calls = aa_comparisons = 0
    total = max(args.runs, args.aa_runs)
    for i in range(total):
        if i < args.runs:
            v = run(cfgs[False], args.out)
            for (variant, pad), (_, word) in v.items():
                if word == "baseline":
                    continue
                change = int(variant[1:]) - 100
                called[change][1] += 1
                if change == 0:
                    called[0][0] += word in ("faster", "slower")
                else:
                    called[change][0] += word == "slower"
                    wrong_direction += word == "faster"
            print(f"run {i + 1}: " + ", ".join(
                f"{c}%: {k}/{n}" for c, (k, n) in called.items()), flush=True)
        if i < args.aa_runs:
            v = run(cfgs[True], args.out)
            calls = sum(w in ("faster", "slower") for _, w in v.values())
            aa_calls += calls
            aa_comparisons += sum(w != "baseline" for _, w in v.values())
            aa_alarm_runs += calls > 0
            print(f"A/A run {i + 1}: {calls} calls", flush=True)
    rows = ["| true change | comparisons | called | rate [95% CI] |", "|--:|--:|--:|---|"]
    for c, (k, n) in called.items():
        lo, hi = wilson(k, n)
        what = "false alarms (0%, w100 at other PAD)" if c == 0 else f"+{c}%"
        rows.append(f"| {what} | {n} | {k} | {k / max(n, 1):.1%} [{lo:.1%}, {hi:.1%}] |")
    lo, hi = wilson(aa_alarm_runs, args.aa_runs)
    table = "\n".join(rows) + (
        f"\n\nChanges called in the wrong direction: {wrong_direction}.\n\n"
        f"A/A: {args.aa_runs} runs of 24 points doing the same work; runs with any call "
        f"(family-wise false alarm): {aa_alarm_runs} = {aa_alarm_runs / max(args.aa_runs, 1):.1%} "
        f"[{lo:.1%}, {hi:.1%}]; calls {aa_calls} of {aa_comparisons} comparisons.\n"
    )
    design = (f"adaptive: processes {adaptive[0]}, max_processes {adaptive[1]}, look_every {adaptive[2]}"
              if adaptive else "fixed: 7 processes a point (the default)")
    table += (f"\nDesign {design}; timed processes a run: {min(PROCESSES)}–{max(PROCESSES)} "
              f"(mean {sum(PROCESSES) / len(PROCESSES):.0f}; the fixed design runs 168).\n")
    (args.out / "sensitivity-design.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
