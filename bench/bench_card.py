"""Benchmark of the annotation card's answer loop, in headless Chromium on this machine.

Run from the repository root:

    .venv/bin/python bench/bench_card.py [--tasks 50] [--baseline-ref cfe5d91] [--fast 20]

1. Accept key to the next task's waveform drawn and playable, over `--tasks`
   tasks (copies of the corpus's `diarization/*.wav`, 30 s each, peaks computed
   before the app starts; `bench_app.make_clips`). For each task: wait until
   the frame shows it drawn and playable and the app is idle, press `a` with
   the focus in the card, and take, in the frame, the time from the `keydown`
   to `data-ready-at` of the next task (`Date.now()` when it became drawn and
   playable). Target: median under 50 ms, p95 under 100 ms.
2. Key to the answer committed in the database (the durable figure): from the
   same `keydown` to the moment the card's pending log is empty again, i.e.
   Python has committed the answer and its acknowledgement reached the frame.
3. Answers 50 ms apart (`--fast` keys, alternating accept and reject): every
   answer on its own task, in press order, and the time until all are committed.
4. The same accept-to-next figure for the page before the card
   (`--baseline-ref`, a git revision: the answer went through a Streamlit
   rerun), in the same run on the same clips: `git worktree` of that revision
   in the temporary folder, its own database built by its own loader, its
   app measured as `bench_app.py` measures it. `--baseline-ref ''` skips it.

Afterwards each database must hold exactly one answer per task answered.
Prints how busy the machine was meanwhile (other programs' CPU).
Exit status 1 when a target is missed (or a check fails).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


from bench_app import (  # noqa: E402
    APP_ENV, DATASET, FRAME, RunningApp, TreeCPU, bench_accept, launch, make_clips, missing_prerequisite, pct,
    wait_idle,
)
from benchlib import machine_cpu_seconds, print_average_load, print_table  # noqa: E402

NEXT_TARGET_MS, NEXT_P95_MS = 50.0, 100.0
PROBE = """() => {
    if (window.__cardProbe) return;
    window.__cardProbe = true;
    window.addEventListener('keydown', e => { if (e.key === 'a' || e.key === 'x') window.__keyAt = Date.now(); }, true);
    new MutationObserver(() => {
        if (document.body.dataset.pending === '0' && window.__ackAt === null) window.__ackAt = Date.now();
    }).observe(document.body, {attributes: true, attributeFilter: ['data-pending']});
}"""


def build_db(folder: Path, clips: Path, code: Path) -> Path:
    """A database of the clips, loaded by the loader of the code at `code` (its own schema)."""
    db = folder / "annotate.duckdb"
    folder.mkdir(parents=True, exist_ok=True)
    script = ("import sys; from pathlib import Path; "
              "from earmark.loading.loader import load_sources; from earmark.db.store import Store; "
              f"s = Store(Path({str(db)!r})); "
              f"r = load_sources(s, {DATASET!r}, [Path({str(clips)!r})], view='audio_manual', labels=['SPK1', 'SPK2']); "
              "s.close(); print(r.added, len(r.failures))")
    out = subprocess.run([sys.executable, "-c", script], cwd=code, capture_output=True, text=True, check=True)
    added, failed = map(int, out.stdout.split()[-2:])
    if failed:
        raise RuntimeError(f"loading the clips with {code}: {failed} failed")
    return db


def open_card(browser, url: str, session: str, errors: list[str] | None = None):
    """A new browser context on the card of `session`, its first task drawn: (context, page, frame, body).
    Page errors from the first load on go to `errors`, when given."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
    frame = page.frame_locator(FRAME)
    page.goto(f"{url}/?dataset={DATASET}&session={session}")
    frame.locator("body[data-card='1'][data-ready]").wait_for(state="attached", timeout=60_000)
    return context, page, frame, frame.locator("body")


def bench_card(browser, url: str, measured: int) -> dict:
    errors: list[str] = []
    context, page, frame, body = open_card(browser, url, "bench", errors)
    body.evaluate(f"b => ({PROBE})()")
    rows, shown = [], [body.get_attribute("data-task-id")]
    for i in range(measured):
        current = shown[-1]
        frame.locator(f"body[data-task-id='{current}'][data-ready][data-pending='0']").wait_for(
            state="attached", timeout=60_000)
        wait_idle(page)
        body.evaluate("() => { window.__keyAt = null; window.__ackAt = null; document.querySelector('.card').focus(); }")
        page.keyboard.press("a")
        frame.locator(f"body[data-ready]:not([data-task-id='{current}'])").wait_for(state="attached", timeout=30_000)
        deadline = time.monotonic() + 30
        while body.evaluate("() => window.__ackAt") is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"task {i + 1}: the answer was not acknowledged within 30 s")
            time.sleep(0.01)
        info = body.evaluate("b => ({task: b.dataset.taskId, ready: Number(b.dataset.readyAt), "
                             "key: window.__keyAt, ack: window.__ackAt})")
        if not info["key"]:
            raise RuntimeError(f"task {i + 1}: the frame saw no keydown of `a`")
        rows.append({"next_ms": info["ready"] - info["key"], "durable_ms": info["ack"] - info["key"]})
        shown.append(info["task"])
    context.close()
    if len(set(shown)) != len(shown):
        raise RuntimeError(f"a task was shown twice: {shown}")
    return {"rows": rows, "shown": shown, "errors": errors}


def bench_fast(browser, url: str, n: int) -> dict:
    """`n` answers 50 ms apart; which task each landed on, and when all were committed."""
    context, page, frame, body = open_card(browser, url, "fast")
    wait_idle(page)
    body.evaluate("() => document.querySelector('.card').focus()")
    keys = ["a" if i % 2 == 0 else "x" for i in range(n)]
    t0 = time.perf_counter()
    for key in keys:
        page.keyboard.press(key)
        page.wait_for_timeout(50)
    typed = time.perf_counter() - t0
    deadline = time.monotonic() + 60
    while body.get_attribute("data-pending") != "0":
        if time.monotonic() > deadline:
            raise RuntimeError("the fast answers were not all committed within 60 s")
        time.sleep(0.02)
    saved = time.perf_counter() - t0
    log = body.evaluate("() => window.__cardDebug().log")
    context.close()
    return {"keys": keys, "log": log, "typed_s": typed, "saved_s": saved}


def answers_in(db: Path, session: str) -> list[tuple[int, str]]:
    from earmark.db.store import Store
    store = Store(db)
    try:
        return store.query("SELECT task_id, answer FROM annotations WHERE session = ? ORDER BY id", [session])
    finally:
        store.close()


def baseline_code(tmp: Path, ref: str) -> Path:
    code = tmp / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(code), ref], check=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=50, help="answers measured one at a time")
    parser.add_argument("--fast", type=int, default=20, help="answers given 50 ms apart")
    parser.add_argument("--baseline-ref", default="cfe5d91",
                        help="git revision of the page before the card ('' to skip)")
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
    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-card-"))
    failed = False
    notes: list[str] = []
    rows: list[tuple] = []
    code = None
    try:
        n = args.tasks + args.fast + 5
        clips = make_clips(tmp / "clips", n)[0].parent
        with sync_playwright() as p:
            browser = launch(p)
            try:
                db = build_db(tmp / "card", clips, ROOT)
                app = RunningApp(ROOT / "app.py", db, env=APP_ENV)
                try:
                    card = bench_card(browser, app.url, args.tasks)
                    fast = bench_fast(browser, app.url, args.fast)
                finally:
                    app.stop()
                for key, what, target, p95 in (("next_ms", "accept key -> next waveform drawn and playable",
                                                NEXT_TARGET_MS, NEXT_P95_MS),
                                               ("durable_ms", "accept key -> answer committed (acked)", None, None)):
                    values = [r[key] for r in card["rows"]]
                    ok = target is None or (statistics.median(values) < target and pct(values, 95) < p95)
                    failed |= not ok
                    rows.append(("card", what, f"{statistics.median(values):.0f} ms", f"{pct(values, 95):.0f} ms",
                                 f"{min(values):.0f}-{max(values):.0f} ms", len(values),
                                 f"< {target:.0f} / {p95:.0f} ms" if target else "",
                                 ("PASS" if ok else "FAIL") if target else ""))
                mine = answers_in(db, "bench")
                if sorted(t for t, _ in mine) != sorted(int(t) for t in card["shown"][:-1]) or \
                        any(a != "accept" for _, a in mine):
                    failed = True
                    notes.append(f"FAIL card: expected one accept per task shown, found {mine[:5]}... ({len(mine)})")
                fast_saved = answers_in(db, "fast")
                names = {"a": "accept", "x": "reject"}
                expected = [(int(e["task_id"]), names[k]) for e, k in zip(fast["log"], fast["keys"])]
                fast_ok = len(fast["log"]) == len(fast["keys"]) and fast_saved == expected
                failed |= not fast_ok
                rows.append(("card", f"{args.fast} answers 50 ms apart: all committed", f"{fast['saved_s']:.2f} s",
                             "", f"typed in {fast['typed_s']:.2f} s", len(fast_saved),
                             "one per task, in order", "PASS" if fast_ok else "FAIL"))
                if card["errors"]:
                    notes.append(f"page errors during the card run: {card['errors'][:3]}")
                if args.baseline_ref:
                    code = baseline_code(tmp, args.baseline_ref)
                    base_db = build_db(tmp / "base", clips, code)
                    base = RunningApp(code / "app.py", base_db, env={**APP_ENV, "PYTHONPATH": str(code)})
                    try:
                        before = bench_accept(browser, base.url, args.tasks)
                    finally:
                        base.stop()
                    values = [r["total_ms"] for r in before["rows"]]
                    rows.append((f"before the card ({args.baseline_ref})", "accept key -> next waveform ready",
                                 f"{statistics.median(values):.0f} ms", f"{pct(values, 95):.0f} ms",
                                 f"{min(values):.0f}-{max(values):.0f} ms", len(values), "", ""))
            finally:
                browser.close()
    except Exception:
        print(f"(temporary files kept in {tmp})", file=sys.stderr)
        args.keep = True
        raise
    finally:
        if code is not None and not args.keep:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(code)], check=False)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for note in notes:
        print(note)
    print("\nAnswer loop: accept by key, next task (30 s clips with peaks)")
    print_table(["app", "measure", "median", "p95", "range", "n", "target", "result"], rows)
    wall = time.perf_counter() - started
    ours = tree.seconds() - own_start
    tree.stop()
    others = max(0.0, (machine_cpu_seconds() - busy_start - ours) / wall)
    print_average_load(__file__, wall, others, f" (this benchmark with its app and browser: {ours / wall:.2f})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())


