#!/usr/bin/env python3
"""Makes the damaged results files of the corpus from results/real.json and
results/real.jsonl (a real tiny run: tests/corpus/configs/good-tiny.toml).
Run from anywhere; it rewrites results/damaged-*."""
import copy
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
real = json.load(open(os.path.join(HERE, "real.json")))
journal = open(os.path.join(HERE, "real.jsonl")).read()


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(HERE, "damaged-" + name), mode) as f:
        f.write(data)


def edited(name, edit):
    r = copy.deepcopy(real)
    edit(r)
    write(name + ".json", json.dumps(r, indent=1))


def setter(path, value):
    def edit(r):
        node = r
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


text = json.dumps(real, indent=1)
write("empty.json", "")
write("binary.json", bytes(range(256)) * 4)
write("truncated.json", text[: len(text) // 2])
write("array.json", "[]")
write("nan.json", text.replace('"wall_ms": ', '"wall_ms": NaN, "x": ', 1))
write("huge-float.json", text.replace('"wall_ms": ', '"wall_ms": 1e999, "x": ', 1))
edited("baseline-out-of-range", setter(["baseline"], 99))
edited("run-point-out-of-range", setter(["runs", 4, "point"], 6))
edited("point-id-shifted", setter(["points", 2, "id"], 3))
edited("duplicate-run", lambda r: r["runs"].append(copy.deepcopy(r["runs"][1])))
edited("zero-iterations", setter(["runs", 1, "outcome", "samples", 0, "iters"], 0))
edited("zero-ops", setter(["runs", 1, "outcome", "ops_per_run"], 0))
edited("huge-count", setter(["runs", 1, "outcome", "cpu", "user_ns"], 2**64 - 1))
edited("negative-wall", setter(["runs", 1, "wall_ms"], -3.5))
edited("points-wrong-type", setter(["points"], "all of them"))
edited("schema-2", setter(["schema"], 2))
edited("no-schema", lambda r: r.pop("schema"))
edited("no-points", setter(["points"], []))
edited("coord-off-axis", setter(["points", 0, "coords", 1, 1], "7"))
edited("empty-samples", setter(["runs", 1, "outcome", "samples"], []))
edited("diff-escapes", setter(["profiling", "diffs"], [{"point": 0, "pass": "cpu", "file": "../../../etc/passwd"}]))
edited("profile-point-out-of-range", setter(["profiling", "records"], [{
    "point": 40, "pass": "heap", "dir": "points/40", "wall_ms": 1.0,
    "outcome": {"status": "failed", "reason": "x", "stderr_tail": ""}}]))
edited("status-unknown", setter(["runs", 1, "outcome", "status"], "exploded"))

lines = journal.splitlines(keepends=True)
write("corrupt-middle.jsonl", "".join(lines[:3] + ['{"point": 1, "process": 0, "se\n'] + lines[4:]))
write("cut-last.jsonl", journal[: len(journal) - 40])
write("header-only.jsonl", lines[0])
write("bad-header.jsonl", "".join(['{"schema": 1, "tuner_version": 7}\n'] + lines[1:]))
write("empty.jsonl", "\n\n")
write("junk-line.jsonl", "".join(lines[:2] + [bytes(range(1, 40)).decode("ascii") + "\n"] + lines[2:]))
bad_point = json.loads(lines[2])
bad_point["point"] = 60
write("point-out-of-range.jsonl", "".join(lines + [json.dumps(bad_point) + "\n"]))
header = json.loads(lines[0])
header["baseline"] = 12
write("header-baseline.jsonl", "".join([json.dumps(header) + "\n"] + lines[1:]))
