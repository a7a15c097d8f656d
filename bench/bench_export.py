"""Benchmark: exporting 100,000 annotations as JSONL and CSV, time and memory.

Run from the repository root:

    .venv/bin/python bench/bench_export.py [--annotations 300000] [--small 100000]

Builds, in a temporary folder removed at the end, one database with two
datasets of answered tasks: `--small` (100,000, the size the time target is
about) and `--annotations` (300,000, to show memory no longer grows).
Every annotation has one to three `audio_spans` and the keys of a task loaded
from a file (path, file, meta, hashes, transcript, answer, session, view,
timestamp). Rows are made with pandas and inserted from DataFrames into the
`tasks`, `annotations` and `spans` tables in one transaction (saving them one
by one through `save_annotation` would take minutes).

Each export runs as the command line does (`cap_memory_for_export`, then
`earmark.formats.jsonl_csv.export(store, dataset, file, fmt)` to a file)
in a fresh Python child process that reports, read from its own
/proc/self/status: VmRSS just before the call, its high-water mark VmHWM after
it, and VmRSS after it. The growth (VmHWM minus VmRSS before) is the memory the
export needed. DuckDB caches the blocks it reads up to its memory limit, so
the growth rises with the first tens of megabytes read and then stops: memory
is flat when exporting three times as many annotations needs no more than
FLAT_SLACK_MB more, nor more than a fifth of the extra bytes written.

Last, the app is started on the database and the command line exports the
100,000 again: the database is then locked, so the command runs inside the
app and streams back (earmark/cli/bridge.py). Reported: its time, and the app
process's VmRSS before and VmHWM after.

Targets (issue 2): 100,000 annotations exported in under 10 s (300,000 in
under 30 s), memory flat; the same 10 s through the running app.
The same targets are applied to CSV (one row per region).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchlib import (machine_cpu_seconds, other_programs_cores, own_cpu_seconds,  # noqa: E402
                      print_average_load, print_table, status_kb)

from earmark.db.store import open_store  # noqa: E402

TARGET_SECONDS = 10.0          # for 100,000 annotations; scaled for --annotations
FLAT_SLACK_MB = 20.0
LABELS = ["SPEECH", "NOISE", "MUSIC", "LAUGH"]
COLORS = {"SPEECH": "#1f77b4", "NOISE": "#ff7f0e", "MUSIC": "#2ca02c", "LAUGH": "#d62728"}

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/bench")
from earmark.db.store import open_store
from earmark.formats.jsonl_csv import cap_memory_for_export, export

from benchlib import status_kb  # the child's own /proc/self/status

db, dataset, fmt, out = sys.argv[2:6]
store = open_store(db)
cap_memory_for_export(store)  # as `python -m earmark export` does
before = status_kb("VmRSS")
hwm_before = status_kb("VmHWM")
start = time.perf_counter()
with open(out, "w", encoding="utf-8", newline="") as fh:
    count = export(store, dataset, fh, fmt)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "count": count, "rss_before_kb": before,
                  "hwm_before_kb": hwm_before, "hwm_kb": status_kb("VmHWM"),
                  "rss_after_kb": status_kb("VmRSS")}))
"""


# -- inputs --------------------------------------------------------------------
def build_frames(dataset: str, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """tasks, annotations and spans rows for `n` answered tasks (linked by input_hash)."""
    rng = np.random.default_rng(seed)
    n_spans = rng.integers(1, 4, size=n)                       # 1-3 regions each
    answers = rng.choice(["accept", "reject", "ignore"], size=n, p=[0.8, 0.15, 0.05])
    sessions = rng.choice(["bench-alice", "bench-bob", "bench-chen"], size=n)
    created = 1_700_000_000.0 + np.arange(n) * 3.7
    # Distinct 53-bit hashes, offset per dataset so that the two never collide.
    input_hashes = (seed << 40) + np.arange(n, dtype=np.int64) * 7919 + 1
    task_hashes = input_hashes + (1 << 39)
    tasks, annotations, spans = [], [], []
    for i in range(n):
        ih, th = int(input_hashes[i]), int(task_hashes[i])
        name = f"rec_{seed}_{i:06d}.wav"
        path = f"/data/recordings/batch{i // 1000:03d}/{name}"
        task = {"audio": path, "path": path, "file": name,
                "meta": {"file": name, "duration": 30.0, "channels": 1, "sample_rate": 16000},
                "_input_hash": ih, "_task_hash": th}
        regions = []
        t = float(rng.uniform(0, 2))
        for k in range(int(n_spans[i])):
            start = round(t, 3)
            end = round(start + float(rng.uniform(0.3, 6.0)), 3)
            label = LABELS[(i + k) % len(LABELS)]
            regions.append({"id": str(uuid.UUID(int=(ih << 8) + k)), "start": start, "end": end,
                            "label": label, "color": COLORS[label]})
            spans.append((ih, regions[-1]["id"], label, start, end))
            t = end + float(rng.uniform(0.1, 3.0))
        annotation = {**task, "audio_spans": regions,
                      "transcript": f"utterance {i} of the benchmark set, with a few words",
                      "answer": str(answers[i]), "_session_id": str(sessions[i]),
                      "_view_id": "audio_manual", "_timestamp": int(created[i])}
        tasks.append((ih, th, json.dumps(task, ensure_ascii=False)))
        annotations.append(json.dumps(annotation, ensure_ascii=False))
    task_frame = pd.DataFrame(tasks, columns=["input_hash", "task_hash", "task"])
    task_frame["dataset"] = dataset
    task_frame["added"] = created
    ann_frame = pd.DataFrame({
        "dataset": dataset, "input_hash": input_hashes, "task_hash": task_hashes,
        "session": sessions, "view": "audio_manual", "answer": answers,
        "created": created, "annotation": annotations,
    })
    span_frame = pd.DataFrame(spans, columns=["input_hash", "span_id", "label", "start", "end"])
    span_frame["dataset"] = dataset
    return task_frame, ann_frame, span_frame


def insert_frames(store, dataset: str, tasks, annotations, spans) -> None:
    """Insert prepared task, annotation and span frames in one transaction.

    Spans are matched to their annotation by input hash (and session, when the
    spans frame has one: several annotators may answer one task)."""
    by_session = " AND a.session = s.session" if "session" in spans.columns else ""
    frames = {"bench_tasks": tasks, "bench_annotations": annotations, "bench_spans": spans}
    with store.transaction() as cur:
        cur.execute("INSERT INTO datasets (name, view, labels, created) VALUES (?, ?, ?, ?)",
                    [dataset, "audio_manual", json.dumps(LABELS), time.time()])
        for name, frame in frames.items():
            cur.register(name, frame)
        try:
            cur.execute("INSERT INTO tasks (dataset, input_hash, task_hash, media_id, task, added) "
                        "SELECT dataset, input_hash, task_hash, NULL, task, added FROM bench_tasks")
            cur.execute(
                "INSERT INTO annotations (dataset, task_id, input_hash, task_hash, session, view, "
                "answer, created, supersedes, annotation) "
                "SELECT a.dataset, t.id, a.input_hash, a.task_hash, a.session, a.view, a.answer, "
                "a.created, NULL, a.annotation FROM bench_annotations a "
                "JOIN tasks t ON t.dataset = a.dataset AND t.input_hash = a.input_hash "
                "ORDER BY a.created")
            cur.execute(
                'INSERT INTO spans (annotation_id, dataset, session, answer, media_id, span_id, '
                'label, start, "end", channel, text) '
                "SELECT a.id, a.dataset, a.session, a.answer, NULL, s.span_id, s.label, s.start, "
                's."end", NULL, NULL FROM bench_spans s '
                f"JOIN annotations a ON a.dataset = s.dataset AND a.input_hash = s.input_hash{by_session}")
        finally:
            for name in frames:
                cur.unregister(name)


def insert_dataset(store, dataset: str, n: int, seed: int) -> float:
    """Insert `n` answered tasks; return the seconds the database took."""
    task_frame, ann_frame, span_frame = build_frames(dataset, n, seed)
    start = time.perf_counter()
    insert_frames(store, dataset, task_frame, ann_frame, span_frame)
    return time.perf_counter() - start


# -- measuring -----------------------------------------------------------------
def run_export(db: Path, dataset: str, fmt: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(db), dataset, fmt, str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"export {dataset} {fmt} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    result["bytes"] = out.stat().st_size
    with open(out, "rb") as fh:
        result["lines"] = sum(1 for _ in fh)
    out.unlink()
    return result


def run_export_through_app(db: Path, dataset: str, out: Path) -> dict:
    """The same export as the command line runs it while the app holds the
    database: sent to the app, run there, streamed back (earmark/cli/bridge.py).
    Also the app process's memory before and at its peak."""
    sys.path.insert(0, str(ROOT / "tests"))
    from apprunner import RunningApp
    app = RunningApp(ROOT / "app.py", db)
    try:
        before_kb = status_kb("VmRSS", app.proc.pid)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "earmark", "export", dataset, "--out", str(out),
                               "--db", str(db)], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        seconds = time.perf_counter() - started
        hwm_kb = status_kb("VmHWM", app.proc.pid)
    finally:
        app.stop()
    if done.returncode != 0 or "running the command there" not in done.stderr:
        raise RuntimeError(f"export through the app failed:\n{done.stderr[-2000:]}")
    with open(out, "rb") as fh:
        lines = sum(1 for _ in fh)
    size = out.stat().st_size
    out.unlink()
    return {"seconds": seconds, "lines": lines, "bytes": size, "app_before_kb": before_kb, "app_hwm_kb": hwm_kb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotations", type=int, default=300_000)
    parser.add_argument("--small", type=int, default=100_000, help="size of the comparison run")
    args = parser.parse_args()
    big, small = args.annotations, args.small
    started = time.perf_counter()
    busy_start, own_start = machine_cpu_seconds(), own_cpu_seconds()
    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-export-"))
    rows, failed = [], False
    try:
        db = tmp / "bench.duckdb"
        store = open_store(db)
        t0 = time.perf_counter()
        db_seconds = insert_dataset(store, "small", small, seed=1) + insert_dataset(store, "big", big, seed=2)
        counts = {name: store.query_one(
            "SELECT count(*), (SELECT count(*) FROM spans WHERE dataset = ?) FROM annotations "
            "WHERE dataset = ?", [name, name]) for name in ("small", "big")}
        store.close()
        print(f"built {small:,} + {big:,} annotations ({counts['small'][1]:,} + {counts['big'][1]:,} "
              f"regions) in {time.perf_counter() - t0:.1f} s ({db_seconds:.1f} s of it inserting), "
              f"database {db.stat().st_size / 1e6:.0f} MB under {tmp}\n")

        for fmt in ("jsonl", "csv"):
            results = {}
            for name in ("small", "big"):
                r = run_export(db, name, fmt, tmp / f"out.{fmt}")
                r["growth_kb"] = r["hwm_kb"] - r["rss_before_kb"]
                annotations, regions = counts[name]
                expected_lines = annotations if fmt == "jsonl" else regions + 1
                r["complete"] = r["count"] == annotations and r["lines"] == expected_lines
                results[name] = r
            s, b = results["small"], results["big"]
            extra_mb = (b["growth_kb"] - s["growth_kb"]) / 1024
            extra_data_mb = (b["bytes"] - s["bytes"]) / 1e6
            flat = extra_mb <= FLAT_SLACK_MB and extra_mb <= extra_data_mb / 5
            fast = all(results[k]["seconds"] < TARGET_SECONDS * n / 100_000
                       for k, n in (("small", small), ("big", big)))
            complete = s["complete"] and b["complete"]
            failed |= not (flat and fast and complete)
            for name, n in (("small", small), ("big", big)):
                r = results[name]
                rows.append((
                    f"{fmt} {n:,}", f"{r['seconds']:.2f} s", f"{n / r['seconds']:,.0f}/s",
                    f"{r['bytes'] / 1e6:.0f} MB, {r['lines']:,} lines",
                    f"{r['rss_before_kb'] / 1024:.0f} MB", f"{r['hwm_kb'] / 1024:.0f} MB",
                    f"{r['rss_after_kb'] / 1024:.0f} MB", f"+{r['growth_kb'] / 1024:.0f} MB",
                    f"< {TARGET_SECONDS * n / 100_000:.0f} s",
                    "PASS" if complete and r["seconds"] < TARGET_SECONDS * n / 100_000 else "FAIL"))
            rows.append((f"{fmt}: memory flat?", "", "", f"+{extra_data_mb:.0f} MB written",
                         "", "", "", f"{extra_mb:+.0f} MB",
                         f"<= {FLAT_SLACK_MB:.0f} MB, <= 1/5 of extra bytes", "PASS" if flat else "FAIL"))
        # While the app runs, the command line exports through it.
        r = run_export_through_app(db, "small", tmp / "via-app.jsonl")
        ok = r["lines"] == counts["small"][0] and r["seconds"] < TARGET_SECONDS * small / 100_000
        failed |= not ok
        rows.append((f"jsonl {small:,} through the running app", f"{r['seconds']:.2f} s",
                     f"{small / r['seconds']:,.0f}/s", f"{r['bytes'] / 1e6:.0f} MB, {r['lines']:,} lines",
                     f"app {r['app_before_kb'] / 1024:.0f} MB", f"app {r['app_hwm_kb'] / 1024:.0f} MB", "",
                     f"+{(r['app_hwm_kb'] - r['app_before_kb']) / 1024:.0f} MB (app)",
                     f"< {TARGET_SECONDS * small / 100_000:.0f} s", "PASS" if ok else "FAIL"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(["export", "time", "rate", "output", "RSS before", "peak (VmHWM)", "RSS after",
                 "growth", "target", "result"], rows)
    wall = time.perf_counter() - started
    print_average_load(__file__, wall, other_programs_cores(busy_start, own_start, wall))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
