#!/usr/bin/env python3
"""tuner's go-mergesort figures beside hyperfine's, on the same comparisons.

For each comparison (a setting at GOMAXPROCS 1 against 2), hyperfine times
the config's exact command (no shell, `-N`) with GOMAXPROCS and GOGC set,
the two sides taking turns in ABBA order, RUNS timings a turn; its median
whole-process times give a ratio. Beside it: the ratio of the medians of
tuner's per-process wall times for the same points in a run's results.json
(the same quantity hyperfine times), and tuner's report figure, the Go
benchmark's ns/op (which leaves out the process's start and Go's
calibration run). Writes a markdown table to stdout.

Needs hyperfine, the built test binary (see configs/commands/go-mergesort.toml)
and a release build of tuner (TUNER=<binary> to choose another).

    scripts/hyperfine-go.py reports/commands/go-mergesort/<run>/results.json > out.md
"""

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKDIR = os.path.join(ROOT, "examples/commands/go-mergesort")
# (variant, GOGC): GOMAXPROCS 2 against 1, the report's thread steps.
COMPARISONS = [("sequential", "50"), ("v3", "100"), ("v3", "off"), ("v1", "100")]


def argv(variant):
    return [
        "./gomergesort.test",
        "-test.run=^$",
        f"-test.bench=^BenchmarkSort/variant={variant}$",
        "-test.benchmem",
        "-test.count=3",
        "-test.benchtime=5x",
    ]


def hyperfine_turn(variant, gogc, procs, runs, work):
    out = os.path.join(work, "h.json")
    env = dict(os.environ, GOMAXPROCS=str(procs), GOGC=gogc)
    cmd = " ".join(argv(variant))
    subprocess.run(
        ["hyperfine", "-N", "--style", "none", "--warmup", "1", "--runs", str(runs),
         "--export-json", out, cmd],
        cwd=WORKDIR, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    with open(out) as f:
        return json.load(f)["results"][0]["times"]


def tuner_rows(results, tuner):
    text = subprocess.run(
        [tuner, "export", "--format", "csv", results], check=True, capture_output=True, text=True
    ).stdout
    return [r for r in csv.DictReader(io.StringIO(text)) if r["status"] == "ok"]


def median_of(rows, variant, gogc, threads, column):
    values = [float(r[column]) for r in rows
              if r["variant"] == variant and r["GOGC"] == gogc and r["threads"] == str(threads)]
    return statistics.median(values), len(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="a go-mergesort run's results.json")
    ap.add_argument("--runs", type=int, default=10, help="hyperfine timings per turn (4 turns)")
    args = ap.parse_args()
    tuner = os.environ.get("TUNER", os.path.join(ROOT, "target/release/tuner"))
    rows = tuner_rows(args.results, tuner)
    load = os.getloadavg()
    lines = [
        f"Made by `scripts/hyperfine-go.py` on {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} "
        f"against `{os.path.relpath(args.results, ROOT)}`; load average before: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
        "",
        "GOMAXPROCS=2 against GOMAXPROCS=1 (time at 2 ÷ time at 1; below 1: 2 is faster).",
        f"hyperfine: `-N --warmup 1`, {4 * args.runs} whole-process timings a side in ABBA turns;",
        "tuner wall: medians of the run's per-process wall times (what hyperfine times);",
        "tuner ns/op: medians of the processes' Go benchmark ns/op (the report's quantity).",
        "",
        "| setting | hyperfine 1 → 2 | tuner wall 1 → 2 | wall: tuner − hyperfine | tuner ns/op 1 → 2 |",
        "|---|--:|--:|--:|--:|",
    ]
    with tempfile.TemporaryDirectory() as work:
        for variant, gogc in COMPARISONS:
            times = {1: [], 2: []}
            for procs in (1, 2, 2, 1):
                times[procs] += hyperfine_turn(variant, gogc, procs, args.runs, work)
            h = statistics.median(times[2]) / statistics.median(times[1])
            (w1, _), (w2, _) = (median_of(rows, variant, gogc, t, "wall_ms") for t in (1, 2))
            (n1, _), (n2, _) = (median_of(rows, variant, gogc, t, "ns_per_op") for t in (1, 2))
            w = w2 / w1
            lines.append(
                f"| variant={variant} GOGC={gogc} | {h:.3f}× | {w:.3f}× | "
                f"{(w / h - 1) * 100:+.1f}% | {n2 / n1:.3f}× |"
            )
    load = os.getloadavg()
    lines += ["", f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}."]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
