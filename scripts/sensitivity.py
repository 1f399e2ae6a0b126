#!/usr/bin/env python3
"""The gate's sensitivity benchmark: how often a known change is caught,
and how often an A/A comparison raises a false alarm, for the paired gate
(`tuner ab`) and today's unpaired comparison (two `tuner run`s and
`tuner compare`) on the same time budget.

The change is made by construction: the head side runs the config with
`steps` scaled (`--head-set 'steps*=1.01'`: 1% more work per operation
at every point); 0% is an A/A check. Each round runs one gate
per change and method, interleaved, so the machine's drift over the
benchmark touches every cell alike. The unpaired comparison gets as many
worker processes per side and point as the paired gate of the same round
ran pairs, so both spend the same time.

A gate *detects* a change when it calls at least one point slower; it
*raises a false alarm* when it calls any point faster or slower in an A/A
check. Rates come with Wilson 95% intervals.

    cargo build --release
    scripts/sensitivity.py                     # 40 A/A gates, 20 per change
    scripts/sensitivity.py --gates 10 --aa-gates 10 --changes 0,1   # a quick look

Writes `<out>/gates.csv` (one row per gate) and `<out>/sensitivity.md`
(the table), and prints the table.

`--noise-study` instead runs A/A gates of a fixed number of pairs under
each layout, pinning and process shape, interleaved, and prints where
the spread is: between samples of one process, between processes of one
build, and between the pairs' ratios (robust SDs of logs, in %), in wall
time and in CPU time, with the seconds a pair costs and the standard
error one second of pairs buys (σ_pair·√(s per pair): lower is better).

    scripts/sensitivity.py --noise-study --runs 8
    scripts/sensitivity.py --noise-study --config configs/gate/ci.toml

`--neighbour one,all` (issue 19) instead runs the gate on a config with a
2-thread point, merge sort v3 at 1 and 2 threads (`THREADS_CONFIG`,
written beside the table), with `scripts/neighbour.sh` busy loops running
during each gate (`one`: a loop; `all`: a loop per CPU; `none`: no
neighbour), over the whole gate or its middle third (`--neighbour-window`).
The change is `size*=1.01`: 1% more elements, about 1.1% more work
(n log n). Besides detection and A/A false alarms it records, per gate,
the CPUs each point ran on, the 2-thread point's time over the
1-thread point's (base build, median of pairs; issue 19 target: ≤ 0.6),
the figure `--metric auto` judged at each point, and how many processes
the machine records call contended.

    scripts/sensitivity.py --neighbour none,one,all --gates 20 --aa-gates 40
    scripts/sensitivity.py --neighbour one --gates 1 --aa-gates 1 --pairs 12 --look-every 6  # a quick look

Writes `<out>/neighbour/gates.csv`, `<out>/neighbour/sensitivity.md` and
`<out>/neighbour/gate-threads.toml`.
"""

import argparse
import csv
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wilson(k, n, z=1.96):
    """Wilson score interval for k successes in n trials, in percent."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def run(cmd, **kw):
    """Runs cmd; returns (stdout, seconds). Exit codes 0 and 1 with a
    report on stdout are verdicts; a run killed by a signal from outside,
    or one that printed no report, is run once more."""
    for attempt in (1, 2):
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
        if proc.returncode in (0, 1) and proc.stdout.strip():
            return proc.stdout, time.monotonic() - start
        if attempt == 2:
            sys.exit(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stderr}")
        print(f"{' '.join(map(str, cmd))} exited {proc.returncode} without a report "
              f"({proc.stderr.strip()[-300:]}); running it again", file=sys.stderr)


def scaled_config(text, factor, processes, report_dir):
    """The config with every steps value times factor, `processes` per point."""

    text = re.sub(
        r"^steps = (\d+)", lambda m: f"steps = {round(int(m.group(1)) * factor)}", text, flags=re.M
    )
    text = re.sub(r"^processes = \d+", f"processes = {processes}", text, flags=re.M)
    return re.sub(r'^dir = ".*"', f'dir = "{report_dir}"', text, flags=re.M)


def verdicts(points, key):
    return [key(p) for p in points]


def verdict(point):
    """A paired point's verdict: the fixed comparison's or the sequential look's."""
    if point.get("time"):
        return point["time"]["verdict"]
    if point.get("stop"):
        return point["stop"]["look"]["verdict"]
    return None


def paired_gate(args, change, report_dir, metric):
    """One `tuner ab` gate judging `metric`: (method, verdicts, seconds, mean pairs per point)."""
    factor = 1 + change / 100
    cmd = [args.tuner, "ab", args.config_copy, "--format", "json", "--noise", args.noise, "-q"]
    cmd += ["--pairs", str(args.pairs), "--look-every", str(args.look_every), "--metric", metric]
    if change:
        cmd += ["--head-set", f"steps*={factor}"]
    out, secs = run(cmd)
    report = json.loads(out)
    pairs = sum(pairs_of(p) for p in report["points"]) / len(report["points"])
    return (f"paired gate, {report['metric']}", verdicts(report["points"], verdict), secs, pairs)


def pairs_of(point):
    """The pairs a point's verdict rests on (fixed design or sequential look)."""
    if point.get("time"):
        return point["time"]["pairs"]
    if point.get("stop"):
        return point["stop"]["look"]["pairs"]
    return 0


def latest(folder):
    runs = sorted(p for p in Path(folder).iterdir() if p.is_dir())
    return runs[-1]


def unpaired_gate(args, change, processes, tmp, report_dir):
    text = Path(args.config).read_text()
    base = tmp / "base.toml"
    head = tmp / "head.toml"
    report_dir = report_dir / "unpaired"
    base.write_text(scaled_config(text, 1.0, processes, report_dir))
    head.write_text(scaled_config(text, 1 + change / 100, processes, report_dir))
    start = time.monotonic()
    results = []
    for cfg in (base, head):
        run([args.tuner, "run", cfg, "-q"])
        results.append(latest(report_dir / "gate-spin") / "results.json")
    out, _ = run([args.tuner, "compare", *results, "--format", "json", "--noise", args.noise])
    secs = time.monotonic() - start
    report = json.loads(out)
    return ("unpaired compare, time", verdicts(report["points"], lambda p: (p.get("time") or {}).get("verdict")), secs, processes)


def robust_sd(values):
    """1.4826 · MAD: the SD for normal data, robust to a few far values."""
    m = statistics.median(values)
    return 1.4826 * statistics.median([abs(v - m) for v in values])


def spread(ab):
    """Robust SDs (%) of one A/A gate: within processes, between processes,
    between pair ratios, for wall time (median sample) and CPU time."""
    records = [r for r in ab["records"] if not r.get("probe") and r["run"]["outcome"]["status"] == "ok"]
    out = {"within": 100 * statistics.median(
        robust_sd([math.log(s["ns"] / s["iters"]) for s in r["run"]["outcome"]["samples"]]) for r in records)}
    figures = {
        "wall": lambda o: statistics.median(s["ns"] / s["iters"] for s in o["samples"]),
        "cpu": lambda o: o["cpu"]["timed_ns"] / o["alloc"]["iters"],
    }
    for name, figure in figures.items():
        pairs = {}
        for r in records:
            key = (r["run"]["point"], r["run"]["process"])
            pairs.setdefault(key, {})[r["build"]] = math.log(figure(r["run"]["outcome"]))
        ratios = [p["head"] - p["base"] for p in pairs.values() if len(p) == 2]
        by_point = {}
        for (point, _), p in pairs.items():
            if "base" in p:
                by_point.setdefault(point, []).append(p["base"])
        out[f"{name}_process"] = 100 * statistics.median(robust_sd(v) for v in by_point.values())
        out[f"{name}_pair"] = 100 * robust_sd(ratios)
    out["pair_s"] = ab["wall_s"] / max(1, len(records) / 2)
    return out


STUDIES = {
    "layout": [
        ("layout paired", [], None),
        ("layout random (ASLR)", ["--layout", "random"], None),
        ("layout fixed", ["--layout", "fixed"], None),
    ],
    "pin": [
        ("not pinned", ["--pin", "none"], None),
        ("pinned to CPU 0", ["--pin", "0"], None),
        ("pinned to CPU 1", ["--pin", "1"], None),
    ],
    "shape": [
        ("shape: warm-up 10 ms, 3 × 2 ms", [], ("10ms", 3, "2ms")),
        ("shape: warm-up 20 ms, 5 × 4 ms", [], ("20ms", 5, "4ms")),
        ("shape: warm-up 50 ms, 5 × 10 ms", [], ("50ms", 5, "10ms")),
        ("shape: warm-up 100 ms, 5 × 20 ms", [], ("100ms", 5, "20ms")),
    ],
}


def noise_study(args):
    conditions = [c for name in args.study.split(",") for c in STUDIES[name]]
    results = {name: [] for name, _, _ in conditions}
    with tempfile.TemporaryDirectory(prefix="tuner-noise-") as tmp:
        tmp = Path(tmp)
        text = Path(args.config).read_text()
        for r in range(args.runs):
            for name, flags, shape in conditions:
                cfg = re.sub(r'^dir = ".*"', f'dir = "{tmp}"', text, flags=re.M)
                if shape:
                    warmup, samples, sample = shape
                    cfg = re.sub(r'^warmup = ".*"', f'warmup = "{warmup}"', cfg, flags=re.M)
                    cfg = re.sub(r"^samples = \d+", f"samples = {samples}", cfg, flags=re.M)
                    cfg = re.sub(r'^min_sample_time = ".*"', f'min_sample_time = "{sample}"', cfg, flags=re.M)
                path = tmp / "noise.toml"
                path.write_text(cfg)
                run([args.tuner, "ab", path, "--pairs", str(args.pairs), "--look-every", "0", "-q", *flags])
                gate = latest(next(d for d in tmp.iterdir() if d.is_dir()))
                results[name].append(spread(json.loads((gate / "ab.json").read_text())))
                subprocess.run(["rm", "-rf", str(gate)])
                print(f"run {r + 1}/{args.runs} {name}: {results[name][-1]}", file=sys.stderr)
    load = os.getloadavg()[0]
    lines = [
        f"Spread of A/A gates ({Path(args.config).name}, {args.pairs} pairs, {args.runs} runs each, "
        f"medians over runs [min–max]; load {load:.2f} at the end). Robust SDs of logs, %:",
        "",
        "| condition | within a process | between processes (wall) | pair ratios (wall) "
        "| between processes (cpu) | pair ratios (cpu) | s per pair | σ·√s (wall) | σ·√s (cpu) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _, _ in conditions:
        rows = results[name]

        def cell(key):
            v = [x[key] for x in rows]
            return f"{statistics.median(v):.2f} [{min(v):.2f}–{max(v):.2f}]"

        secs = statistics.median(x["pair_s"] for x in rows)
        per_s = {m: statistics.median(x[f"{m}_pair"] for x in rows) * math.sqrt(secs) for m in ("wall", "cpu")}
        lines.append(
            f"| {name} | {cell('within')} | {cell('wall_process')} | {cell('wall_pair')} | "
            f"{cell('cpu_process')} | {cell('cpu_pair')} | {secs:.3f} | {per_s['wall']:.3f} | {per_s['cpu']:.3f} |"
        )
    table = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "noise.md").write_text(table)
    print(table)


THREADS_CONFIG = """\
# The gate with a multi-threaded point (scripts/sensitivity.py --neighbour):
# merge sort v3 of 100,000 i64s on 1 and 2 threads. The head side sorts
# 1% more elements (--head-set 'size*=1.01', about 1.1% more work).

[experiment]
name = "gate-threads"
description = "Merge sort v3 at 1 and 2 threads: the gate's sensitivity with a multi-threaded point."
workload = "mergesort"

[params]
variant = "v3"
size = 100_000
threshold = 2048
seed = 1

[matrix]
threads = [1, 2]

[measure]
samples = 5
warmup = "50ms"
min_sample_time = "10ms"

[report]
dir = "reports"
"""


class Neighbour:
    """scripts/neighbour.sh LOOPS running from `after` seconds for `length`
    seconds (None: until stopped), in its own process group."""

    def __init__(self, loops, after=0.0, length=None):
        self.proc = None
        self.loops, self.after, self.length = loops, after, length

    def __enter__(self):
        if self.loops == "none":
            return self
        script = f"sleep {self.after:.2f}; exec {ROOT / 'scripts/neighbour.sh'} {self.loops}"
        if self.length is not None:
            script += f" {self.length:.2f}"
        self.proc = subprocess.Popen(["bash", "-c", script], start_new_session=True,
                                     stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.proc.wait()


def gate_details(report, ab):
    """What one gate's ab.json says about its points: (time ratio 2/1 of
    the base build, CPUs per point, metric per point, processes contended,
    processes recorded)."""
    records = [r for r in ab["records"] if not r.get("probe") and r["run"]["outcome"]["status"] == "ok"]
    base = {}
    for r in records:
        if r["build"] == "base":
            o = r["run"]["outcome"]
            base.setdefault(r["run"]["point"], []).append(
                statistics.median(s["ns"] / s["iters"] for s in o["samples"]))
    ratio = (statistics.median(base[1]) / statistics.median(base[0])) if 0 in base and 1 in base else float("nan")
    cpus = "; ".join(f"{p['point']}: {' '.join(p.get('cpus') or ['–'])}" for p in report["points"])
    metrics = " ".join(p.get("metric", report["metric"]) for p in report["points"])
    m = re.search(r"contended (\d+) of (\d+) processes", " ".join(report["warnings"]))
    contended, recorded = (int(m.group(1)), int(m.group(2))) if m else (0, len(records))
    return ratio, cpus, metrics, contended, recorded


def neighbour_study(args):
    out = Path(args.out) / "neighbour"
    out.mkdir(parents=True, exist_ok=True)
    (out / "gate-threads.toml").write_text(THREADS_CONFIG)
    changes = [float(c) for c in args.changes.split(",")]
    loops = args.neighbour.split(",")
    rows = []
    last_secs = {}
    with tempfile.TemporaryDirectory(prefix="tuner-neighbour-") as tmp:
        tmp = Path(tmp)
        report_dir = tmp / "reports"
        cfg = tmp / "gate-threads.toml"
        cfg.write_text(re.sub(r'^dir = ".*"', f'dir = "{report_dir}"', THREADS_CONFIG, flags=re.M))
        rounds = max(args.gates, args.aa_gates)
        for r in range(rounds):
            for change in changes:
                if r >= (args.aa_gates if change == 0 else args.gates):
                    continue
                for nb in loops:
                    cmd = [args.tuner, "ab", cfg, "--format", "json", "--noise", args.noise, "-q",
                           "--pairs", str(args.pairs), "--look-every", str(args.look_every)]
                    if change:
                        cmd += ["--head-set", f"size*={1 + change / 100}"]
                    # The middle third of a gate as long as the last one of this cell.
                    guess = last_secs.get((change, nb))
                    after, length = (0.0, None)
                    if args.neighbour_window == "middle" and guess:
                        after, length = guess / 3, guess / 3
                    with Neighbour(nb, after, length):
                        text, secs = run(cmd)
                    last_secs[(change, nb)] = secs
                    report = json.loads(text)
                    gate = latest(report_dir / "gate-threads")
                    ab = json.loads((gate / "ab.json").read_text())
                    ratio, cpus, metrics, contended, recorded = gate_details(report, ab)
                    pairs = sum(pairs_of(p) for p in report["points"]) / len(report["points"])
                    row = {"round": r, "change": change, "neighbour": nb, "seconds": round(secs, 2),
                           "per_point": pairs,
                           "verdicts": " ".join(str(verdict(p)).lower() for p in report["points"]),
                           "metrics": metrics, "cpus": cpus, "ratio_2_to_1": round(ratio, 3),
                           "contended": contended, "recorded": recorded}
                    rows.append(row)
                    print(f"round {r + 1}/{rounds} {change:g}% neighbour {nb}: {row['verdicts']} "
                          f"({secs:.1f} s; 2/1 threads {ratio:.2f}; {cpus}; contended {contended}/{recorded})",
                          file=sys.stderr)
                    subprocess.run(["rm", "-rf", str(gate)])
                    with open(out / "gates.csv", "w", newline="") as f:
                        w = csv.DictWriter(f, fieldnames=list(rows[0]))
                        w.writeheader()
                        w.writerows(rows)
    table = render_neighbour(rows, args)
    (out / "sensitivity.md").write_text(table)
    print(table)


def render_neighbour(rows, args):
    load = os.getloadavg()[0]
    window = "the whole gate" if args.neighbour_window == "whole" else "the middle third of each gate"
    lines = [
        f"Sensitivity of the gate with a neighbour (gate-threads.toml: merge sort v3 at 1 and 2 threads; "
        f"head `size*=1.01`, ≈ +1.1% work; noise band ±{args.noise.rstrip('%')}%; up to {args.pairs} pairs, "
        f"a look every {args.look_every}; `scripts/neighbour.sh` during {window}; load {load:.2f} at the end)",
        "",
        "| change | neighbour | gates | called slower [95% CI] | false alarm (any faster/slower) [95% CI] "
        "| time per gate | pairs per point | 2-thread / 1-thread time (median [min–max]) | CPUs per point | judged | processes contended |",
        "|---:|---|---:|---|---|---:|---:|---|---|---|---:|",
    ]
    keys = sorted({(r["change"], r["neighbour"]) for r in rows})
    for change, nb in keys:
        cell = [r for r in rows if r["change"] == change and r["neighbour"] == nb]
        n = len(cell)
        slower = sum("slower" in r["verdicts"].split() for r in cell)
        alarm = sum(any(v in ("slower", "faster") for v in r["verdicts"].split()) for r in cell)
        lo, hi = wilson(slower, n)
        alo, ahi = wilson(alarm, n)
        alarm_cell = f"{alarm}/{n} = {100 * alarm / n:.1f}% [{alo:.1f}, {ahi:.1f}]" if change == 0 else "–"
        ratios = [r["ratio_2_to_1"] for r in cell if r["ratio_2_to_1"] == r["ratio_2_to_1"]]
        ratio = (f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}]" if ratios else "–")
        cpus = sorted({r["cpus"] for r in cell})
        judged = sorted({r["metrics"] for r in cell})
        contended = sum(r["contended"] for r in cell)
        recorded = sum(r["recorded"] for r in cell)
        lines.append(
            f"| {change:g}% | {nb} | {n} | {slower}/{n} = {100 * slower / n:.1f}% [{lo:.1f}, {hi:.1f}] | {alarm_cell} "
            f"| {sum(r['seconds'] for r in cell) / n:.1f} s | {sum(r['per_point'] for r in cell) / n:.1f} "
            f"| {ratio} | {' / '.join(cpus)} | {' / '.join(judged)} | {contended}/{recorded} |"
        )
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gates", type=int, default=20, help="gates per change and method (default 20)")
    p.add_argument("--aa-gates", type=int, default=40, help="A/A gates per method (default 40)")
    p.add_argument("--changes", default="0,1,2,5", help="percent slower, 0 = A/A (default 0,1,2,5)")
    p.add_argument("--noise", default="0.5%", help="noise band for both methods (default 0.5%%)")
    p.add_argument("--pairs", type=int, default=48, help="the paired gate's most pairs per point")
    p.add_argument("--look-every", type=int, default=12)
    p.add_argument("--tuner", default=str(ROOT / "target/release/tuner"))
    p.add_argument("--config", default=str(ROOT / "configs/gate/spin.toml"))
    p.add_argument("--out", default=str(ROOT / "reports/gate/sensitivity"))
    p.add_argument("--methods", default="paired,unpaired",
                   help="paired (always), unpaired, paired-time (a paired gate judging wall time)")
    p.add_argument("--noise-study", action="store_true", help="where the spread is (see above)")
    p.add_argument("--runs", type=int, default=8, help="A/A gates per condition in the noise study")
    p.add_argument("--study", default="layout,pin,shape", help="which conditions: layout, pin, shape")
    p.add_argument("--neighbour", help="none, one, all (comma-separated): the gate with a 2-thread "
                   "point and scripts/neighbour.sh running (see above)")
    p.add_argument("--neighbour-window", choices=["whole", "middle"], default="whole",
                   help="the neighbour runs during the whole gate, or its middle third (estimated "
                   "from the previous gate of the same cell; the first runs whole)")
    args = p.parse_args()
    if args.neighbour:
        if args.changes == "0,1,2,5":
            args.changes = "0,1"
        return neighbour_study(args)
    if args.noise_study:
        args.pairs = min(args.pairs, 30)
        return noise_study(args)
    changes = [float(c) for c in args.changes.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="tuner-sensitivity-") as tmp:
        tmp = Path(tmp)
        report_dir = tmp / "reports"
        args.config_copy = tmp / "gate.toml"
        args.config_copy.write_text(
            scaled_config(Path(args.config).read_text(), 1.0, 7, report_dir / "paired")
        )
        rounds = max(args.gates, args.aa_gates)
        for r in range(rounds):
            for change in changes:
                if r >= (args.aa_gates if change == 0 else args.gates):
                    continue
                cells = [paired_gate(args, change, report_dir, "auto")]
                # The unpaired comparison gets what the paired gate spent.
                pairs = cells[0][3]
                if "unpaired" in args.methods:
                    cells.append(unpaired_gate(args, change, max(math.ceil(pairs), 7), tmp, report_dir))
                if "paired-time" in args.methods:
                    cells.append(paired_gate(args, change, report_dir, "time"))
                for method, vs, secs, n in cells:
                    rows.append({"round": r, "change": change, "method": method, "seconds": round(secs, 2),
                                 "per_point": n, "verdicts": " ".join(str(v).lower() for v in vs)})
                    print(f"round {r + 1}/{rounds} {change:g}% {method}: {' '.join(str(v).lower() for v in vs)} ({secs:.1f} s)",
                          file=sys.stderr)
                with open(out / "gates.csv", "w", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=list(rows[0]))
                    w.writeheader()
                    w.writerows(rows)
            # Run folders of this round are no longer needed.
            subprocess.run(["rm", "-rf", str(report_dir)])
    table = render(rows, args)
    (out / "sensitivity.md").write_text(table)
    print(table)


def render(rows, args):
    load = os.getloadavg()[0]
    lines = [
        f"Sensitivity of the gate ({Path(args.config).name}, noise band ±{args.noise.rstrip('%')}%, "
        f"paired: up to {args.pairs} pairs, a look every {args.look_every}; load {load:.2f} at the end)",
        "",
        "| change | method | gates | called slower [95% CI] | false alarm (any faster/slower) [95% CI] | time per gate | per point and side |",
        "|---:|---|---:|---|---|---:|---:|",
    ]
    keys = sorted({(r["change"], r["method"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for change, method in keys:
        cell = [r for r in rows if r["change"] == change and r["method"] == method]
        n = len(cell)
        slower = sum("slower" in r["verdicts"].split() for r in cell)
        alarm = sum(any(v in ("slower", "faster") for v in r["verdicts"].split()) for r in cell)
        secs = sum(r["seconds"] for r in cell) / n
        per_point = sum(r["per_point"] for r in cell) / n
        lo, hi = wilson(slower, n)
        alo, ahi = wilson(alarm, n)
        alarm_cell = f"{alarm}/{n} = {100 * alarm / n:.1f}% [{alo:.1f}, {ahi:.1f}]" if change == 0 else "–"
        unit = "pairs" if method.startswith("paired") else "processes"
        lines.append(
            f"| {change:g}% | {method} | {n} | {slower}/{n} = {100 * slower / n:.1f}% [{lo:.1f}, {hi:.1f}] "
            f"| {alarm_cell} | {secs:.1f} s | {per_point:.1f} {unit} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
