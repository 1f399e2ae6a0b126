#!/usr/bin/env python3
"""tuner's go-mergesort figures beside hyperfine's, on the same comparisons.

For each comparison (a setting at GOMAXPROCS 1 against 2), hyperfine and
tuner take turns in ABBA order (hyperfine, tuner, tuner, hyperfine), side
by side on the same machine: hyperfine times the config's exact command
(no shell, `-N`) with GOMAXPROCS and GOGC set, RUNS timings a side a turn;
tuner runs the same two points as a `[command]` config (the go-mergesort
config's command, threads_env and gobench metrics) with RUNS processes a
point a turn. Compared: the ratio of hyperfine's median whole-process
times, the ratio of the medians of tuner's per-process wall times (the
same quantity), and tuner's report quantity, the Go benchmark's ns/op
(which leaves out the process's start and Go's calibration run). Writes a
markdown table to stdout.

Needs hyperfine, the built test binary (see configs/commands/go-mergesort.toml)
and a release build of tuner (TUNER=<binary> to choose another).

    scripts/hyperfine-go.py > out.md
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
COMPARISONS = [("sequential", "50"), ("v3", "100"), ("v3", "off"), ("v2", "off")]


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


def tuner_turn(tuner, variant, gogc, runs, work, turn):
    """tuner's rows (csv export) of one run of the two points."""
    name = f"go-{variant}-{gogc}-{turn}"
    argv_toml = ", ".join(f'"{a}"' for a in argv(variant))
    config = os.path.join(work, f"{name}.toml")
    with open(config, "w") as f:
        f.write(f"""[experiment]
name = "{name}"
[command]
argv = [{argv_toml}]
cwd = "{WORKDIR}"
metrics = "gobench"
threads_env = ["GOMAXPROCS"]
[params]
variant = "{variant}"
[matrix]
threads = [1, 2]
[matrix.env]
GOGC = ["{gogc}"]
[measure]
processes = {runs}
[report]
dir = "{work}"
""")
    subprocess.run([tuner, "run", "--quiet", "--force", config], check=True,
                   stdout=subprocess.DEVNULL)
    parent = os.path.join(work, name)
    results = os.path.join(parent, os.listdir(parent)[0], "results.json")
    text = subprocess.run(
        [tuner, "export", "--format", "csv", results], check=True, capture_output=True, text=True
    ).stdout
    return [r for r in csv.DictReader(io.StringIO(text)) if r["status"] == "ok"]


def median_of(rows, threads, column):
    return statistics.median(float(r[column]) for r in rows if r["threads"] == str(threads))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10, help="timings (processes) a side a turn")
    args = ap.parse_args()
    tuner = os.environ.get("TUNER", os.path.join(ROOT, "target/release/tuner"))
    load = os.getloadavg()
    lines = [
        f"Made by `scripts/hyperfine-go.py --runs {args.runs}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}; load average before: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
        "",
        "GOMAXPROCS=2 against GOMAXPROCS=1 (time at 2 ÷ time at 1; below 1: 2 is faster),",
        f"each tool {2 * args.runs} timings a side in ABBA turns with the other:",
        "hyperfine `-N --warmup 1`, medians of whole-process times;",
        "tuner wall: medians of its per-process wall times (what hyperfine times);",
        "tuner ns/op: medians of the processes' Go benchmark ns/op (the quantity tuner's reports judge).",
        "",
        "| setting | hyperfine | tuner wall | wall: tuner ÷ hyperfine − 1 | tuner ns/op |",
        "|---|--:|--:|--:|--:|",
    ]
    with tempfile.TemporaryDirectory() as work:
        for variant, gogc in COMPARISONS:
            times, rows = {1: [], 2: []}, []
            for turn, tool in enumerate(("hyperfine", "tuner", "tuner", "hyperfine")):
                if tool == "tuner":
                    rows += tuner_turn(tuner, variant, gogc, args.runs, work, turn)
                else:
                    for procs in ((1, 2) if turn == 0 else (2, 1)):
                        times[procs] += hyperfine_turn(variant, gogc, procs, args.runs, work)
            h = statistics.median(times[2]) / statistics.median(times[1])
            w = median_of(rows, 2, "wall_ms") / median_of(rows, 1, "wall_ms")
            n = median_of(rows, 2, "ns_per_op") / median_of(rows, 1, "ns_per_op")
            lines.append(
                f"| variant={variant} GOGC={gogc} | {h:.3f}× | {w:.3f}× | "
                f"{(w / h - 1) * 100:+.1f}% | {n:.3f}× |"
            )
    load = os.getloadavg()
    lines += ["", f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}."]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
