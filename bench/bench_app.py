"""Benchmark of the annotation app (issue 4), in headless Chromium on this machine.

Run from the repository root:

    .venv/bin/python bench/bench_app.py [--tasks 50] [--loads 5] [--annotations 100000]

Everything is built in a temporary folder removed at the end (`--keep` keeps it).

1. Accept key to the next task's waveform drawn. A dataset of `--tasks` + 5
   tasks, copies of the corpus's `diarization/*.wav` (30 s clips, and the 1 s
   `empty.wav`), each made distinct by changing one byte of one sample, loaded
   with `earmark.loading.loader.load_sources` (peaks computed) before the app starts.
   In `/?dataset=bench&session=bench`, for each task: wait until the
   waveform frame shows this task drawn and playable
   (`body[data-task-id=ID][data-ready]`, set by the component) and the app is
   idle, move the focus to the page body, press `a`, and wait until the frame
   shows another task id with `data-ready`. The time is taken in the browser:
   from the `keydown` of `a` (a capturing listener on the page's window) to
   the frame's `data-ready-at` (`Date.now()` when the new task became ready),
   so it is free of Playwright's polling. It splits into
   - server: key to the new task's args reaching the frame (the click, the
     rerun that saves the answer and picks the next task, the delta);
   - draw: args received to waveform drawn and playable (`data-ready-ms`).
   Afterwards the database must hold exactly one `accept` per task shown.
   Target: median under 300 ms.
2. Review and Statistics with `--annotations` (100,000) annotations in the
   database, one dataset, inserted from pandas DataFrames (rows made by
   `bench_export.build_frames`): `--annotations - --shared` tasks answered by
   one of three annotators, and `--shared` of them (20,000) answered again by
   one of three more, with the answer changed on some and the regions
   jittered (about 0.15 s) or dropped, so that agreement (kappa and
   time-overlap F1 for 9 pairs) has work to do; 1-3 regions per annotation.
   The time is from the navigation to the page ready: the app idle
   (`[data-test-script-state=notRunning]`) with the page's content present
   (Review: the table and its "N annotations match" caption; Statistics: the
   five metrics, the tables and the agreement section). Two ways of arriving:
   - load: `page.goto` of the page's URL (a new tab session each time);
   - switch: a click on the page's link in the sidebar, from the other page.
   Median of `--loads` each, after one first load (shown, not judged: it
   imports the pages' modules and reads the database cold). Target: under 1 s.
   The same is measured on a database of 100 annotations (20 tasks answered
   twice): the baseline, what Streamlit itself costs on this machine.
   Also printed: the time of each query behind the two pages, run in this
   process on the same database before the app starts (median of 3), to show
   where a slow page spends its time.

Prints how busy the machine was meanwhile (other programs' CPU), as the other
benchmarks do: other engineers run tests on this machine concurrently.
Exit status 1 when a target is missed (or a check fails).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_export import build_frames, insert_frames  # noqa: E402
from benchlib import machine_cpu_seconds, print_average_load, print_table  # noqa: E402


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# `RunningApp`: `streamlit run app.py` on a free loopback port against a database,
# as the browser tests start it (EARMARK_DB, EARMARK_CONFIG in the database's folder).
RunningApp = _load_module("earmark_tests_apprunner", ROOT / "tests" / "apprunner.py").RunningApp

CORPUS = Path(os.environ.get("EARMARK_CORPUS", ROOT.parent / "shared" / "corpus"))
CHROMIUM = os.environ.get("EARMARK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FRAME = 'iframe[title*="waveform"]'
ACCEPT_TARGET_MS = 300.0
PAGE_TARGET_S = 1.0
DATASET = "bench"
BASELINE_ANNOTATIONS, BASELINE_SHARED = 100, 20      # the same pages with little data, for comparison
SECOND_ANNOTATORS = ["bench-dana", "bench-eve", "bench-femi"]   # the first three come from build_frames
APP_ENV = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", "STREAMLIT_SERVER_RUN_ON_SAVE": "false"}

class TreeCPU:
    """CPU seconds used by this process and all its descendants, sampled from /proc.

    bench_export's `own_cpu_seconds` (os.times) counts only children that were
    waited for; Chromium's renderer and GPU processes are grandchildren that
    the Playwright driver never reaps into our totals, so their CPU would be
    blamed on other programs. A thread samples /proc every `interval` seconds
    and keeps the last CPU time seen of every descendant (a descendant's last
    fraction of a second before exiting is missed: "others" errs high).
    """

    def __init__(self, interval: float = 0.25):
        self.clock = os.sysconf("SC_CLK_TCK")
        self.seen: dict[tuple[int, int], float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="tree-cpu")
        self.interval = interval

    def start(self) -> "TreeCPU":
        self.sample()
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        procs: dict[int, tuple[int, int, int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    text = fh.read()
            except OSError:
                continue
            fields = text[text.rfind(")") + 2:].split()
            # ppid, utime + stime, starttime (pid plus start time names a process uniquely)
            procs[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19]))
        children = defaultdict(list)
        for pid, (ppid, _, _) in procs.items():
            children[ppid].append(pid)
        stack = list(children[os.getpid()])
        with self.lock:
            while stack:
                pid = stack.pop()
                _, ticks, start = procs[pid]
                self.seen[(pid, start)] = ticks / self.clock
                stack.extend(children[pid])

    def seconds(self) -> float:
        self.sample()
        t = os.times()
        with self.lock:
            return t.user + t.system + sum(self.seen.values())

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


# -- browser helpers -------------------------------------------------------------
IDLE = "[data-test-script-state=notRunning]"
KEY_LISTENER = """() => {
    if (window.__benchKeyListener) return;
    window.__benchKeyListener = true;
    window.addEventListener('keydown', e => { if (e.key === 'a') window.__benchKeyAt = Date.now(); }, true);
}"""
FOCUS_BODY = """() => {
    const a = document.activeElement;
    if (a && a !== document.body) a.blur();
    return document.activeElement === document.body || document.activeElement === null;
}"""
PAGE_READY = {
    "review": """() => {
        if (!document.querySelector('[data-test-script-state=notRunning]')) return false;
        if (!document.querySelector('[data-testid=stDataFrame]')) return false;
        const caption = [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
            .find(e => /annotations match/.test(e.innerText));
        return caption ? {shown: caption.innerText, now: performance.now(), wall: Date.now()} : false;
    }""",
    "statistics": """() => {
        if (!document.querySelector('[data-test-script-state=notRunning]')) return false;
        const metrics = document.querySelectorAll('[data-testid=stMetric]');
        if (metrics.length < 5) return false;
        if (!document.querySelector('[data-testid=stTable]')) return false;
        const heads = [...document.querySelectorAll('h3')].map(h => h.innerText);
        if (!heads.some(t => t.includes('Agreement on shared tasks'))) return false;
        if (document.querySelectorAll('[data-testid=stDataFrame]').length < 2) return false;
        const shown = [...metrics].map(m => m.innerText.replace(/\\s+/g, ' ').trim()).join(' | ');
        return {shown, now: performance.now(), wall: Date.now()};
    }""",
}
CLICK_LISTENER = """() => {
    if (window.__benchClickListener) return;
    window.__benchClickListener = true;
    window.addEventListener('click', () => { window.__benchClickAt = Date.now(); }, true);
}"""
TITLES = {"review": "Review", "statistics": "Statistics"}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout: float = 60_000) -> None:
    page.locator(IDLE).first.wait_for(state="attached", timeout=timeout)


# -- 1. accept key to the next waveform --------------------------------------------
def data_offset(wav: bytes) -> tuple[int, int]:
    """(offset, size) of a RIFF/WAVE file's `data` chunk."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    while pos + 8 <= len(wav):
        cid, size = wav[pos:pos + 4], int.from_bytes(wav[pos + 4:pos + 8], "little")
        if cid == b"data":
            return pos + 8, min(size, len(wav) - pos - 8)
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def make_clips(out: Path, n: int) -> list[Path]:
    """`n` distinct copies of the corpus's diarization WAVs: one sample byte changed in each."""
    sources = sorted((CORPUS / "diarization").glob("*.wav"))
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(n):
        src = sources[i % len(sources)]
        copy = i // len(sources)
        data = bytearray(src.read_bytes())
        start, size = data_offset(bytes(data))
        pos = start + (4 * 997 * (copy + 1)) % max(4, size - 4)   # a different sample per copy
        data[pos] ^= 0x01                                        # its least significant byte
        path = out / f"{i:03d}_{src.stem}_{copy}.wav"
        path.write_bytes(bytes(data))
        made.append(path)
    return made


def build_annotate_db(tmp: Path, n_tasks: int) -> Path:
    from earmark.loading.loader import load_sources
    from earmark.db.store import Store
    clips = make_clips(tmp / "clips", n_tasks)
    db = tmp / "annotate" / "annotate.duckdb"
    db.parent.mkdir()
    store = Store(db)
    try:
        report = load_sources(store, DATASET, [clips[0].parent], view="audio_manual", labels=["SPK1", "SPK2"])
        with_peaks = store.query_one("SELECT count(*) FROM peaks")[0]
    finally:
        store.close()
    if report.failed or report.added != n_tasks or with_peaks != n_tasks:
        raise RuntimeError(f"loading the clips: added {report.added} of {n_tasks}, peaks for {with_peaks}, "
                           f"failed: {[str(f) for f in report.failures]}")
    return db


def bench_accept(browser, url: str, measured: int) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    frame = page.frame_locator(FRAME)
    page.goto(f"{url}/?dataset={DATASET}&session=bench")
    wait_idle(page)
    page.evaluate(KEY_LISTENER)
    body = frame.locator("body")
    frame.locator("body[data-ready]").wait_for(state="attached", timeout=60_000)
    current = body.get_attribute("data-task-id")
    rows, shown = [], [current]
    for i in range(measured):
        frame.locator(f"body[data-task-id='{current}'][data-ready]").wait_for(state="attached", timeout=60_000)
        wait_idle(page)
        if not page.evaluate(FOCUS_BODY):
            raise RuntimeError("could not move the focus to the page body")
        page.evaluate("() => { window.__benchKeyAt = null; }")
        t0 = time.perf_counter()
        page.keyboard.press("a")
        try:
            frame.locator(f"body[data-ready]:not([data-task-id='{current}'])").wait_for(
                state="attached", timeout=30_000)
        except Exception as exc:
            raise RuntimeError(f"task {i + 1}: no new waveform within 30 s after `a` on task {current} "
                               f"(frame error: {body.get_attribute('data-error')}; page errors: {errors})") from exc
        wall = time.perf_counter() - t0
        info = body.evaluate("b => ({task: b.dataset.taskId, at: Number(b.dataset.readyAt), "
                             "ms: Number(b.dataset.readyMs)})")
        key_at = page.evaluate("() => window.__benchKeyAt")
        if not key_at:
            raise RuntimeError(f"task {i + 1}: the page saw no keydown of `a`")
        total = info["at"] - key_at
        rows.append({"task": current, "next": info["task"], "total_ms": total, "draw_ms": info["ms"],
                     "server_ms": total - info["ms"], "wall_ms": wall * 1000})
        current = info["task"]
        shown.append(current)
    context.close()
    if len(set(shown)) != len(shown):
        raise RuntimeError(f"a task was shown twice: {shown}")
    return {"rows": rows, "shown": shown, "errors": errors}


def check_accepts(db: Path, shown: list[str]) -> str | None:
    """None when the database holds exactly one accept per task answered, else what is wrong."""
    from earmark.db.store import Store
    store = Store(db)
    try:
        rows = store.query("SELECT task_id, answer, session FROM annotations WHERE dataset = ?", [DATASET])
    finally:
        store.close()
    answered = sorted(int(t) for t in shown[:-1])
    got = sorted(r[0] for r in rows)
    if got != answered or any(r[1] != "accept" or r[2] != "bench" for r in rows):
        return f"expected one accept by 'bench' on each of {len(answered)} tasks, found {rows[:5]}... ({len(rows)})"
    return None


def missing_prerequisite() -> str | None:
    """What an annotation benchmark cannot run without (the corpus, Chromium), or None."""
    if not (CORPUS / "diarization").is_dir() or not list((CORPUS / "diarization").glob("*.wav")):
        return f"the reference corpus is not at {CORPUS} (../shared/corpus from the repository; set EARMARK_CORPUS)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (set EARMARK_CHROMIUM)"
    return None


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


# -- 2. Review and Statistics with 100,000 annotations -------------------------------
def build_review_frames(n_annotations: int, n_shared: int, seed: int = 1):
    """tasks, annotations and spans DataFrames: n_annotations - n_shared tasks, n_shared answered twice."""
    n_tasks = n_annotations - n_shared
    if not 0 <= n_shared <= n_tasks:
        raise SystemExit("--shared must be between 0 and half of --annotations")
    tasks, first, spans = build_frames(DATASET, n_tasks, seed)
    spans = spans.merge(first[["input_hash", "session"]], on="input_hash")
    rng = np.random.default_rng(seed + 100)
    picked = np.sort(rng.choice(n_tasks, size=n_shared, replace=False))
    base = float(first["created"].max()) + 3600.0
    rows, more_spans = [], []
    for j, i in enumerate(picked):
        doc = json.loads(first.at[i, "annotation"])
        session = SECOND_ANNOTATORS[j % len(SECOND_ANNOTATORS)]
        answer = doc["answer"] if rng.random() < 0.85 else str(rng.choice(["accept", "reject"]))
        regions = []
        for r in doc["audio_spans"]:
            if rng.random() < 0.1:
                continue                                             # a region the second missed
            start = max(0.0, round(r["start"] + rng.normal(0, 0.15), 3))
            end = max(start + 0.05, round(r["end"] + rng.normal(0, 0.15), 3))
            regions.append({**r, "id": f"{r['id'][:-4]}b{len(regions):03d}", "start": start, "end": end})
            more_spans.append((doc["_input_hash"], session, regions[-1]["id"], r["label"], start, end))
        created = base + j * 3.7
        doc.update(audio_spans=regions, answer=answer, _session_id=session, _timestamp=int(created))
        rows.append((doc["_input_hash"], doc["_task_hash"], session, answer, created,
                     json.dumps(doc, ensure_ascii=False)))
    second = pd.DataFrame(rows, columns=["input_hash", "task_hash", "session", "answer", "created", "annotation"])
    second["dataset"], second["view"] = DATASET, "audio_manual"
    more = pd.DataFrame(more_spans, columns=["input_hash", "session", "span_id", "label", "start", "end"])
    more["dataset"] = DATASET
    annotations = pd.concat([first, second[first.columns]], ignore_index=True)
    spans = pd.concat([spans, more[spans.columns]], ignore_index=True)
    return tasks, annotations, spans


def build_review_db(folder: Path, n_annotations: int, n_shared: int, queries: bool) -> tuple[Path, dict]:
    from earmark.db.store import Store
    t0 = time.perf_counter()
    tasks, annotations, spans = build_review_frames(n_annotations, n_shared)
    db = folder / "review.duckdb"
    folder.mkdir()
    store = Store(db)
    try:
        insert_frames(store, DATASET, tasks, annotations, spans)
        counts = dict(zip(("tasks", "annotations", "regions", "annotators", "shared"), store.query_one(
            "SELECT (SELECT count(*) FROM tasks), (SELECT count(*) FROM annotations), "
            "(SELECT count(*) FROM spans), (SELECT count(DISTINCT session) FROM annotations), "
            "(SELECT count(*) FROM (SELECT task_id FROM annotations GROUP BY 1 HAVING count(*) > 1))")))
        queries = time_queries(store) if queries else []
    finally:
        store.close()
    counts["seconds"] = time.perf_counter() - t0
    return db, {"counts": counts, "queries": queries}


def time_queries(store, runs: int = 3) -> list[tuple[str, str, float]]:
    """(page, query, median seconds) of what the Review and Statistics pages run."""
    from earmark.agreement import agreement
    from earmark.db.queries.review import ReviewFilter, annotators, labels_in_use, review_table
    from earmark.db.queries.statistics import (annotations_per_hour, dataset_stats, label_totals,
                                               progress_by_annotator, region_durations)
    calls = [
        ("review", "filter bar: annotators, labels", lambda: (
            annotators(store, DATASET), labels_in_use(store, DATASET))),
        ("review", "review_table (count + newest 1,000)", lambda: review_table(store, ReviewFilter(dataset=DATASET))),
        ("statistics", "dataset_stats", lambda: dataset_stats(store, DATASET)),
        ("statistics", "progress_by_annotator", lambda: progress_by_annotator(store, DATASET)),
        ("statistics", "label_totals", lambda: label_totals(store, DATASET)),
        ("statistics", "region_durations", lambda: region_durations(store, DATASET)),
        ("statistics", "annotations_per_hour", lambda: annotations_per_hour(store, DATASET)),
        ("statistics", "agreement", lambda: agreement(store, DATASET)),
    ]
    out = []
    for page, name, fn in calls:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out.append((page, name, statistics.median(times)))
    return out


def wait_page(page, name: str, timeout: float = 60_000) -> dict:
    """Wait until page `name` is ready; {shown, now (ms since navigation start), wall (Date.now())}."""
    return page.wait_for_function(PAGE_READY[name], timeout=timeout).json_value()


def bench_pages(browser, url: str, loads: int) -> dict:
    """Seconds from navigation to ready: first load, `loads` loads and `loads` switches per page.

    Measured in the browser: a load from the document's navigation start
    (performance.now() is 0 there), a switch from the click on the sidebar
    link (a capturing listener's Date.now()); the ready predicate is polled
    every animation frame. Loads and switches alternate between the pages, so
    that a burst of load from other programs does not fall on one page only.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    result: dict = {name: {"first": None, "load": [], "switch": [], "shown": ""} for name in PAGE_READY}
    for i in range(loads + 1):
        for name in PAGE_READY:
            page.goto(f"{url}/{name}", wait_until="commit")
            ready = wait_page(page, name)
            if i == 0:
                result[name]["first"], result[name]["shown"] = ready["now"] / 1000, ready["shown"]
            else:
                result[name]["load"].append(ready["now"] / 1000)
    # Switches: a click on the other page's link in the sidebar, back and forth.
    page.goto(f"{url}/review", wait_until="commit")
    wait_page(page, "review")
    page.evaluate(CLICK_LISTENER)
    current = "review"
    for _ in range(2 * loads):
        target = "statistics" if current == "review" else "review"
        link = page.locator(f'[data-testid=stSidebarNavLink][href$="/{target}"]').first
        link.wait_for(timeout=10_000)
        page.evaluate("() => { window.__benchClickAt = null; }")
        link.click()
        ready = wait_page(page, target)
        clicked = page.evaluate("() => window.__benchClickAt")
        if not clicked:
            raise RuntimeError(f"the click on the {target} link was not seen")
        result[target]["switch"].append((ready["wall"] - clicked) / 1000)
        current = target
    context.close()
    return result


def page_problems(counts: dict, pages: dict) -> list[str]:
    """What the pages showed that does not match the database."""
    problems = []
    review = pages["review"]["shown"]
    if shown_number(review, "") != counts["annotations"]:
        problems.append(f"Review shows {review!r}, expected {counts['annotations']:,} annotations")
    stats = pages["statistics"]["shown"]
    if shown_number(stats, "Answers") != counts["annotations"] or shown_number(stats, "Tasks") != counts["tasks"]:
        problems.append(f"Statistics shows {stats!r}, expected {counts['tasks']:,} tasks and "
                        f"{counts['annotations']:,} answered")
    return problems


def shown_number(text: str, label: str) -> int | None:
    """The value of metric `label` in 'Tasks 80,000 | Answers ...', or of the Review caption."""
    m = re.search(rf"{label}\s*([\d,]+)", text)
    return int(m.group(1).replace(",", "")) if m else None


# -- main --------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=50, help="accepts measured (the dataset has 5 more tasks)")
    parser.add_argument("--loads", type=int, default=5, help="page loads and switches measured per page")
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--shared", type=int, default=20_000, help="tasks answered by two annotators")
    parser.add_argument("--only", choices=["annotate", "pages"], help="run one of the two parts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, logs)")
    args = parser.parse_args()
    missing = missing_prerequisite()
    if missing:
        print(f"SKIPPED: {missing}")
        return 0
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    tree = TreeCPU().start()
    busy_start, own_start = machine_cpu_seconds(), tree.seconds()
    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-app-"))
    failed = False
    tables: list[tuple[str, list[str], list[tuple]]] = []
    notes: list[str] = []
    try:
        with sync_playwright() as p:
            browser = launch(p)
            try:
                if args.only in (None, "annotate"):
                    t = time.perf_counter()
                    db = build_annotate_db(tmp, args.tasks + 5)
                    notes.append(f"annotate: {args.tasks + 5} tasks (corpus copies, peaks computed) loaded in "
                                 f"{time.perf_counter() - t:.1f} s")
                    app = RunningApp(ROOT / "app.py", db, env=APP_ENV)
                    try:
                        accept = bench_accept(browser, app.url, args.tasks)
                    finally:
                        app.stop()
                    problem = check_accepts(db, accept["shown"])
                    rows_ms = accept["rows"]
                    rows = []
                    for key, what in (("total_ms", "accept key -> next waveform ready"),
                                      ("server_ms", "  of which: key -> args in the frame"),
                                      ("draw_ms", "  of which: args -> drawn and playable"),
                                      ("wall_ms", "  (as seen by Playwright)")):
                        values = [r[key] for r in rows_ms]
                        is_target = key == "total_ms"
                        ok = statistics.median(values) < ACCEPT_TARGET_MS and problem is None
                        if is_target:
                            failed |= not ok
                        rows.append((what, f"{statistics.median(values):.0f} ms", f"{pct(values, 90):.0f} ms",
                                     f"{min(values):.0f}-{max(values):.0f} ms", len(values),
                                     f"< {ACCEPT_TARGET_MS:.0f} ms" if is_target else "",
                                     ("PASS" if ok else "FAIL") if is_target else ""))
                    tables.append(("1. Annotate: accept by key, next task's waveform",
                                   ["measure", "median", "p90", "range", "tasks", "target", "result"], rows))
                    if problem:
                        notes.append(f"FAIL annotate check: {problem}")
                    if accept["errors"]:
                        notes.append(f"page errors during the annotate run: {accept['errors'][:3]}")
                if args.only in (None, "pages"):
                    runs = {}
                    for label, n, shared in (("baseline", BASELINE_ANNOTATIONS, BASELINE_SHARED),
                                             ("full", args.annotations, args.shared)):
                        db, built = build_review_db(tmp / label, n, shared, queries=label == "full")
                        app = RunningApp(ROOT / "app.py", db, env=APP_ENV)
                        try:
                            runs[label] = (built, bench_pages(browser, app.url, args.loads))
                        finally:
                            app.stop()
                    built, pages = runs["full"]
                    base_built, base_pages = runs["baseline"]
                    c = built["counts"]
                    notes.append(f"review/statistics: {c['annotations']:,} annotations by {c['annotators']} "
                                 f"annotators on {c['tasks']:,} tasks ({c['shared']:,} answered by two), "
                                 f"{c['regions']:,} regions; built in {c['seconds']:.1f} s")
                    tables.append(("Queries behind the pages (in-process, same database, median of 3)",
                                   ["page", "query", "time"],
                                   [(pg, q, f"{sec * 1000:.0f} ms") for pg, q, sec in built["queries"]]))
                    for which, (b, pg) in runs.items():
                        for problem in page_problems(b["counts"], pg):
                            notes.append(f"FAIL {which}: {problem}")
                    rows = []
                    for name, r in pages.items():
                        base = base_pages[name]
                        rows.append((TITLES[name], "first load", f"{r['first']:.2f} s", "", "",
                                     f"{base['first']:.2f} s", "", ""))
                        for how in ("load", "switch"):
                            values = r[how]
                            ok = statistics.median(values) < PAGE_TARGET_S
                            failed |= not ok
                            rows.append((TITLES[name], f"{how} (x{len(values)})",
                                         f"{statistics.median(values):.2f} s", f"{min(values):.2f} s",
                                         f"{max(values):.2f} s", f"{statistics.median(base[how]):.2f} s",
                                         f"< {PAGE_TARGET_S:.0f} s", "PASS" if ok else "FAIL"))
                    tables.append((f"2. Review and Statistics: navigation to page ready (medians; baseline: the same "
                                   f"pages with {base_built['counts']['annotations']} annotations)",
                                   ["page", "arrival", f"{c['annotations']:,} annotations", "min", "max",
                                    "baseline", "target", "result"], rows))
            finally:
                browser.close()
    except Exception:
        print(f"(temporary files kept in {tmp})", file=sys.stderr)
        args.keep = True
        raise
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for note in notes:
        print(note)
        failed |= note.startswith("FAIL")
    for title, header, rows in tables:
        print(f"\n{title}")
        print_table(header, rows)
    wall = time.perf_counter() - started
    ours = tree.seconds() - own_start
    tree.stop()
    others = max(0.0, (machine_cpu_seconds() - busy_start - ours) / wall)
    print_average_load(__file__, wall, others,
                       f" (this benchmark with its app and browser: {ours / wall:.2f})")
    if args.keep:
        print(f"temporary files kept in {tmp}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
