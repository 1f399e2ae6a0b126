#!/usr/bin/env python3
"""End to end: does tuner flag the processes a neighbour disturbed, and do
a run's verdicts after re-runs equal a quiet run's? (issue 19)

Runs a config three times into a folder of its own (`--out`): quiet, quiet
again (how far two quiet runs agree: the reference), and with
`scripts/neighbour.sh` busy loops over the middle third of the run (its
length taken from the first quiet run), each with `--rerun-contended N`.
While a run goes, the script watches its journal and notes when each
line lands, which dates each process's window (processes run one after
another: a window runs from the previous line to its own). A process
*overlapped* the neighbour when at least half its window did; it is
*outside* when none did.

Prints, and writes to `<out>/neighbour-verdicts.md`: processes overlapped
and flagged contended, processes outside and flagged (false flags, the
quiet runs' flags counted too), rounds re-run, and the verdicts against
the baseline (the report's *All points* table) that each run shares with
the first quiet run.

    cargo build --release
    scripts/neighbour-verdicts.py                          # configs/mergesort.toml, one loop
    scripts/neighbour-verdicts.py --neighbour all --reruns 4
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from report_tables import all_points, vs_baseline  # noqa: E402


def config_into(config, out, name):
    """The config with its reports sent to `out` (a copy beside the
    original, so paths relative to it still hold)."""
    text = open(config).read()
    lines, section, placed = [], None, False
    for line in text.splitlines():
        head = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
        if head:
            section = head.group(1).strip()
        if section == "report" and re.match(r"^\s*dir\s*=", line):
            continue
        lines.append(line)
        if head and section == "report":
            lines.append(f'dir = "{out}"')
            placed = True
    if not placed:
        lines += ["", "[report]", f'dir = "{out}"']
    path = os.path.join(os.path.dirname(os.path.abspath(config)), f".{name}.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def newest_run(parent):
    runs = [os.path.join(parent, d) for d in os.listdir(parent)]
    return max(runs, key=os.path.getmtime)


def run(tuner, config, out, reruns, neighbour=None, length=None):
    """Runs `config`; returns (run folder, seconds, line times by seq, neighbour window)."""
    before = set()
    for root, dirs, _ in os.walk(out):
        before.update(os.path.join(root, d) for d in dirs)
    started = time.monotonic()
    proc = subprocess.Popen(
        [tuner, "run", "--quiet", "--profile", "none", "--rerun-contended", str(reruns), config],
        stdout=subprocess.DEVNULL,
    )
    landed, window, loops, journal, seen = {}, None, None, None, 0
    while proc.poll() is None:
        now = time.monotonic() - started
        if neighbour and length and loops is None and now >= length / 3:
            loops = subprocess.Popen([os.path.join(ROOT, "scripts/neighbour.sh"), neighbour])
            window = [now, None]
        if loops is not None and window[1] is None and now >= 2 * length / 3:
            loops.send_signal(signal.SIGTERM)
            loops.wait()
            window[1] = time.monotonic() - started
        if journal is None:
            for root, _, files in os.walk(out):
                if "journal.jsonl" in files and root not in before:
                    journal = os.path.join(root, "journal.jsonl")
        if journal:
            with open(journal) as f:
                lines = f.read().split("\n")[1:-1]
            for line in lines[seen:]:
                record = json.loads(line)
                if "seq" in record:
                    landed[record["seq"]] = time.monotonic() - started
            seen = len(lines)
        time.sleep(0.01)
    if loops is not None and window[1] is None:
        loops.send_signal(signal.SIGTERM)
        loops.wait()
        window[1] = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"tuner run {config} exited {proc.returncode}")
    return os.path.dirname(journal), time.monotonic() - started, landed, window


def windows(landed):
    """Each seq's (start, end): from the previous line's landing to its own."""
    order = sorted(landed.items(), key=lambda kv: kv[1])
    out, prev = {}, 0.0
    for seq, end in order:
        out[seq] = (prev, end)
        prev = end
    return out


def verdicts(run_dir):
    """Point label → verdict against the baseline, from the All points table."""
    with open(os.path.join(run_dir, "report.md")) as f:
        header, rows = all_points(f.read())
    first_metric = next(i for i, h in enumerate(header) if h.startswith("time/op"))
    return {" ".join(row[h] for h in header[:first_metric]): vs_baseline(row)[1] for row in rows}


def flags(run_dir, spans=None, window=None):
    r = json.load(open(os.path.join(run_dir, "results.json")))
    runs = r["runs"]
    reruns = len((r.get("rounds") or {}).get("reruns", []))
    flagged = [x for x in runs if x.get("contended")]
    if window is None:
        return {"processes": len(runs), "flagged": len(flagged), "reruns": reruns}
    over, outside, over_flagged, outside_flagged = 0, 0, 0, 0
    for x in runs:
        s, e = spans.get(x["seq"], (None, None))
        if s is None:
            continue
        overlap = max(0.0, min(e, window[1]) - max(s, window[0]))
        if overlap >= 0.5 * (e - s):
            over += 1
            over_flagged += bool(x.get("contended"))
        elif overlap == 0:
            outside += 1
            outside_flagged += bool(x.get("contended"))
    return {"processes": len(runs), "flagged": len(flagged), "reruns": reruns,
            "overlapped": over, "overlapped_flagged": over_flagged,
            "outside": outside, "outside_flagged": outside_flagged}


def agreement(a, b):
    keys = [k for k in a if a[k] != "baseline"]
    same = sum(a[k] == b.get(k) for k in keys)
    differ = [f"{k}: {a[k]} → {b.get(k)}" for k in keys if a[k] != b.get(k)]
    return same, len(keys), differ


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=os.path.join(ROOT, "configs/mergesort.toml"))
    ap.add_argument("--neighbour", default="one", help="one, all or a count of loops")
    ap.add_argument("--reruns", type=int, default=4, help="--rerun-contended for every run")
    ap.add_argument("--out", help="folder for the runs (default: a new temporary one, kept)")
    args = ap.parse_args()
    tuner = os.environ.get("TUNER", os.path.join(ROOT, "target/release/tuner"))
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="neighbour-verdicts-"))
    os.makedirs(out, exist_ok=True)
    config = config_into(args.config, out, "neighbour-verdicts")
    try:
        quiet, length, _, _ = run(tuner, config, out, args.reruns)
        again, _, _, _ = run(tuner, config, out, args.reruns)
        busy, _, landed, window = run(tuner, config, out, args.reruns, args.neighbour, length)
    finally:
        os.remove(config)
    q, a, b = flags(quiet), flags(again), flags(busy, windows(landed), window)
    v_quiet = verdicts(quiet)
    same_again, n, differ_again = agreement(v_quiet, verdicts(again))
    same_busy, _, differ_busy = agreement(v_quiet, verdicts(busy))
    pct = lambda k, n: f"{k}/{n} ({100 * k / n:.0f}%)" if n else "0/0"
    load = os.getloadavg()
    lines = [
        f"# A neighbour during `{os.path.relpath(args.config, ROOT)}`",
        "",
        f"Made by `scripts/neighbour-verdicts.py --neighbour {args.neighbour} --reruns {args.reruns}` "
        f"on {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; runs in `{out}`.",
        f"Neighbour `scripts/neighbour.sh {args.neighbour}` from {window[0]:.1f} s to "
        f"{window[1]:.1f} s of a {length:.1f} s run (its middle third).",
        "",
        "| run | processes | flagged contended | overlapped ≥ half by the neighbour: flagged | "
        "outside it: flagged | rounds re-run | verdicts vs baseline as the first quiet run's |",
        "|---|--:|--:|--:|--:|--:|--:|",
        f"| quiet | {q['processes']} | {q['flagged']} | – | – | {q['reruns']} | (reference) |",
        f"| quiet again | {a['processes']} | {a['flagged']} | – | – | {a['reruns']} | {pct(same_again, n)} |",
        f"| neighbour | {b['processes']} | {b['flagged']} | {pct(b['overlapped_flagged'], b['overlapped'])} | "
        f"{pct(b['outside_flagged'], b['outside'])} | {b['reruns']} | {pct(same_busy, n)} |",
        "",
        f"False flags on the quiet runs: {pct(q['flagged'] + a['flagged'], q['processes'] + a['processes'])}.",
    ]
    if differ_again:
        lines.append(f"Quiet again differs in: {'; '.join(differ_again)}.")
    if differ_busy:
        lines.append(f"Neighbour differs in: {'; '.join(differ_busy)}.")
    lines.append(f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "neighbour-verdicts.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
