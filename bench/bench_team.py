"""Benchmark: many annotators at once, on DuckDB, one PostgreSQL replica and two.

Run from the repository root:

    .venv/bin/python bench/bench_team.py [--levels 1,5,10,20] [--seconds 30] [--pace 2,3]
        [--configs duckdb,pg1,pg2] [--pg postgresql://user@host:port/db] [--annotations 100000]

Without `--pg` (or EARMARK_BENCH_PG) a throwaway PostgreSQL cluster is started
with `scripts/pg.sh start` and stopped at the end (fsync off unless `--durable`); with one, a new database is
made in that cluster for each configuration and dropped at the end.

1. Annotators (`bench/light_client.py`): each one a tab on the Annotate page
   driven over Streamlit's websocket as the card drives it, answering `accept`
   every `--pace` seconds (uniform between the two), fetching the audio of the
   task on screen and of the next two as the card's preloading does. For each
   number of annotators in `--levels`, on a fresh dataset of two-second
   segments of the corpus's recordings (`audio` view, `feed_overlap` off, so the
   annotators share one queue), for `--seconds`:
   - duckdb: one app process on a DuckDB file;
   - pg1: one app replica on a PostgreSQL database;
   - pg2: two replicas on one PostgreSQL database, the annotators split between
     them (each connected straight to its replica: a sticky proxy would add
     its own work to this machine's two cores).
   Reported per run: p50 and p95 from an answer to the card args whose queue
   no longer holds the answered task (`next`) and to the args whose `acked`
   covers it (`commit`); answers committed per second; errors (exceptions,
   card errors, answers never acknowledged); and, read from the database
   after the run: answers saved twice (two annotations or two receipts of one
   session on one task), tasks answered by two annotators, and answers lost
   (acknowledged to the annotator but not in the database). Also the 1-minute
   load average at the end of each run.
2. Export and pages: a DuckDB store of `--annotations` (100,000) annotations
   (bench_app's Review data: 80,000 tasks, 20,000 of them answered twice),
   copied into PostgreSQL with `earmark migrate`; then on both, in the same
   run: `earmark export` to JSONL (the command line, a fresh process; the two
   files compared), and the queries behind the Annotate (a page run), Review and Statistics pages
   (bench_app.time_queries, median of 3).

Targets (the team issue): 20 annotators on one 2-core server with p95 under
300 ms; two replicas hold twice the annotators of one at the same p95. On this
machine the annotators, the app replicas and PostgreSQL share the same two
cores: the figures here are of the whole team on one 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import machine_cpu_seconds, print_table  # noqa: E402
from light_client import LightAnnotator  # noqa: E402

CORPUS = Path(os.environ.get("EARMARK_CORPUS", ROOT.parent / "shared" / "corpus"))
FILES = ("trn01.wav", "trn02.wav", "trn03.wav", "trñ00.wav")   # 30 s each
FILE_SECONDS = 30.0
SEGMENT, STEP = 2.0, 0.05
APP_ENV = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", "STREAMLIT_SERVER_RUN_ON_SAVE": "false",
           "EARMARK_TEST_HOOKS": None}
P95_TARGET_MS = 300.0


def _runner():
    import importlib.util
    spec = importlib.util.spec_from_file_location("earmark_tests_apprunner", ROOT / "tests" / "apprunner.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RunningApp


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds the processes `pids` have used (utime + stime from /proc)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def qms(seconds: float | None) -> str:
    return f"over {QUERY_LIMIT_S} s" if seconds is None else f"{seconds * 1000:.0f} ms"


def total(queries: list, page: str) -> str:
    times = [q[2] for q in queries if q[0] == page]
    return qms(None) if None in times else qms(sum(times))


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


# -- PostgreSQL -------------------------------------------------------------------------
@contextmanager
def postgres(given: str | None, durable: bool = False):
    """A PostgreSQL server URL (a database in it to connect to for CREATE DATABASE):
    the one given, or a throwaway cluster started and stopped here."""
    if given:
        yield given, None
        return
    out = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start"], capture_output=True, text=True,
                         env={**os.environ, "EARMARK_PG_DURABLE": "1" if durable else ""})
    if out.returncode != 0:
        raise SystemExit(f"scripts/pg.sh start failed: {out.stderr}")
    values = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.split("\n") if "=" in line)
    try:
        yield values["EARMARK_TEST_PG"], ("throwaway cluster (scripts/pg.sh: fsync and synchronous_commit on, "
                                          "commits wait for the disk)" if durable else
                                          "throwaway cluster (scripts/pg.sh: fsync and synchronous_commit off)")
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", values["EARMARK_PG_DIR"]])


def database_url(server: str, name: str) -> str:
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}"


def create_database(server: str, name: str) -> str:
    import psycopg
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    import psycopg
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_settings(url: str) -> str:
    import psycopg
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT name, setting FROM pg_settings WHERE name IN "
                            "('fsync', 'synchronous_commit', 'server_version', 'max_connections')").fetchall()
    return ", ".join(f"{k}={v}" for k, v in rows)


# -- datasets ----------------------------------------------------------------------
def team_tasks(folder: Path, count: int) -> Path:
    """A JSONL of `count` two-second segment tasks over the corpus's 30 s recordings
    (2,240 distinct windows; each further round of them starts 10 ms later, up to 5 rounds)."""
    per_file = int((FILE_SECONDS - SEGMENT) / STEP)
    if count > 5 * per_file * len(FILES):
        raise SystemExit(f"bench_team: at most {5 * per_file * len(FILES)} distinct tasks, {count} asked for")
    lines = []
    for k in range(count):
        name, i = FILES[k % len(FILES)], (k // len(FILES)) % per_file
        shift = (k // (len(FILES) * per_file)) * 0.01        # beyond one round: a little later
        start = round(i * STEP + shift, 3)
        lines.append(json.dumps({"path": str(CORPUS / "diarization" / name),
                                 "segment": {"start": start, "end": round(start + SEGMENT, 3)}}))
    path = folder / f"team-{count}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def open_db(location: str | Path):
    if str(location).startswith("postgresql://"):
        from earmark.db.postgres import PostgresStore
        return PostgresStore(str(location), pool_size=2)
    from earmark.db.store import Store
    return Store(Path(location))


def load_datasets(db: str | Path, folder: Path, wanted: dict[str, int], data_dir: Path) -> None:
    from earmark.loading.loader import load_sources
    os.environ["EARMARK_DATA"] = str(data_dir)
    store = open_db(db)
    try:
        for name, count in wanted.items():
            report = load_sources(store, name, [team_tasks(folder, count)], view="audio")
            if report.failures or report.added != count:
                raise SystemExit(f"loading {name}: {report.added} of {count} added, {report.failures[:3]}")
    finally:
        store.close()


def check_dataset(db: str | Path, dataset: str, given: dict[str, set[str]], acked: dict[str, set[str]]) -> dict:
    """Duplicates and losses in the database after a run. `given`/`acked`: session ->
    task ids answered / acknowledged to the annotator."""
    store = open_db(db)
    try:
        rows = store.query("SELECT session, task_id FROM annotations WHERE dataset = ?", [dataset])
        receipts = store.query("SELECT r.session, r.task_id, count(*) FROM answer_receipts r "
                               "JOIN tasks t ON t.id = r.task_id WHERE t.dataset = ? "
                               "GROUP BY r.session, r.task_id", [dataset])
    finally:
        store.close()
    pairs: dict[tuple[str, str], int] = {}
    sessions_of: dict[str, set[str]] = {}
    for session, task in rows:
        key = (session, str(task))
        pairs[key] = pairs.get(key, 0) + 1
        sessions_of.setdefault(str(task), set()).add(session)
    twice = sum(n - 1 for n in pairs.values() if n > 1) + sum(n - 1 for _, _, n in receipts if n > 1)
    shared = sum(1 for s in sessions_of.values() if len(s) > 1)
    lost = sum(1 for session, tasks in acked.items() for t in tasks if (session, t) not in pairs)
    unsent = sum(len(tasks) for tasks in given.values()) - len(pairs)
    return {"annotations": len(rows), "twice": twice, "shared": shared, "lost": lost, "missing": unsent}


# -- one run ---------------------------------------------------------------------------
async def run_team(urls: list[str], dataset: str, n: int, seconds: float, pace: tuple[float, float],
                   fetch_audio: bool, app_pids: list[int] = ()) -> dict:
    tabs = [LightAnnotator(urls[i % len(urls)], dataset, f"ann{i:02d}", fetch_audio=fetch_audio, seed=i)
            for i in range(n)]
    gate = asyncio.Semaphore(4)     # tabs open a few at a time, as people arrive, not all in one instant

    async def arrive(tab: LightAnnotator) -> None:
        async with gate:
            await tab.open(timeout=120)
    await asyncio.gather(*(arrive(tab) for tab in tabs))
    load_before = os.getloadavg()[0]
    busy0, app0, own0, t0 = machine_cpu_seconds(), proc_cpu(list(app_pids)), own_cpu(), time.monotonic()
    stop_at = t0 + seconds
    await asyncio.gather(*(tab.annotate(10_000, pace, stop_at=stop_at) for tab in tabs))
    answering = time.monotonic() - t0
    saved = await asyncio.gather(*(tab.wait_saved(timeout=30) for tab in tabs))
    wall = time.monotonic() - t0
    busy = (machine_cpu_seconds() - busy0) / wall
    app_cores = (proc_cpu(list(app_pids)) - app0) / wall
    own_cores = (own_cpu() - own0) / wall
    load_after = os.getloadavg()[0]
    await asyncio.sleep(0.3)
    await asyncio.gather(*(tab.close() for tab in tabs))
    timings = [t for tab in tabs for t in tab.timings]
    nexts = [t.next_ms for t in timings if t.next_ms is not None]
    commits = [t.commit_ms for t in timings if t.commit_ms is not None]
    errors = [e for tab in tabs for e in tab.stats.errors]
    unacked = sum(len(tab.pending) for tab in tabs)
    return {
        "n": n, "answers": len(timings), "committed": len(commits), "answering_s": answering,
        "next_p50": pct(nexts, 50), "next_p95": pct(nexts, 95), "commit_p50": pct(commits, 50),
        "commit_p95": pct(commits, 95), "commit_max": max(commits, default=None),
        "per_s": len(commits) / answering if answering else 0.0,
        "errors": len(errors) + unacked, "error_lines": errors[:5], "all_saved": all(saved),
        "given": {tab.session: {t.task_id for t in tab.timings} for tab in tabs},
        "acked": {tab.session: {t.task_id for t in tab.timings if t.acked_at is not None} for tab in tabs},
        "load": (load_before, load_after), "machine_cores": busy, "app_cores": app_cores,
        "client_cores": own_cores,
    }


def run_config(name: str, db: str | Path, replicas: int, levels: list[int], folder: Path, args) -> list[dict]:
    """Start the app(s) on `db`, run each level on its own dataset, stop, check the database."""
    RunningApp = _runner()
    answers_each = math.ceil(args.seconds / args.pace[0]) + 2
    datasets = {f"{name}_warm": 40, **{f"{name}_{n}": n * (answers_each + 30) for n in levels}}
    data_dir = folder / f"{name}-data"
    t = time.perf_counter()
    load_datasets(db, folder, datasets, data_dir)
    print(f"{name}: {sum(datasets.values())} tasks loaded in {time.perf_counter() - t:.1f} s", flush=True)
    config = folder / f"{name}-config"
    config.mkdir()
    (config / "earmark.json").write_text(json.dumps({"feed_overlap": False}), encoding="utf-8")
    env = {**APP_ENV, "EARMARK_DATA": str(data_dir)}
    apps = [RunningApp(ROOT / "app.py", db, env=env, folder=config) for _ in range(replicas)]
    results = []
    try:
        urls = [app.url for app in apps]
        # a first tab on each replica: the pages' modules imported, the store opened
        for url in urls:
            asyncio.run(run_team([url], f"{name}_warm", 1, 0.1, (0.0, 0.0), False))
        for n in levels:
            try:
                r = asyncio.run(run_team(urls, f"{name}_{n}", n, args.seconds, args.pace, not args.no_audio,
                                         [app.proc.pid for app in apps]))
            except Exception as exc:  # noqa: BLE001  (tabs that could not open: said, and the next level runs)
                print(f"{name} {n:>2} annotators: FAILED: {exc!r}", flush=True)
                continue
            r["config"], r["dataset"] = name, f"{name}_{n}"
            results.append(r)
            print(f"{name} {n:>2} annotators: {r['answers']} answers, commit p50 {ms(r['commit_p50'])} "
                  f"p95 {ms(r['commit_p95'])} ms, load {r['load'][1]:.1f}; cores busy: app {r['app_cores']:.2f}, "
                  f"annotators {r['client_cores']:.2f}, whole machine {r['machine_cores']:.2f}", flush=True)
            for line in r["error_lines"]:
                print(f"   error: {line}", flush=True)
    finally:
        logs = []
        for app in apps:
            app.stop()
            with open(config / f"streamlit-{app.port}.log", encoding="utf-8", errors="replace") as fh:
                logs.append(fh.read())
    tracebacks = sum(log.count("Traceback") for log in logs)
    for r in results:
        r.update(check_dataset(db, r["dataset"], r["given"], r["acked"]))
        r["tracebacks"] = tracebacks
        print(f"{name} {r['n']:>2}: {r['annotations']} annotations stored, saved twice {r['twice']}, "
              f"shared {r['shared']}, lost {r['lost']}, not stored {r['missing']}", flush=True)
    if tracebacks:
        print(f"{name}: {tracebacks} tracebacks in the app logs ({config})", flush=True)
    return results


# -- export and pages ---------------------------------------------------------------------
def cli_export(db: str | Path, out: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "earmark", "export", "bench", "--out", str(out), "--db", str(db)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"export from {db} failed: {done.stderr[-2000:]}")
    return seconds


QUERY_LIMIT_S = 60


def page_queries(store, runs: int = 3) -> list[tuple[str, str, float | None]]:
    """(page, query, median seconds or None: over QUERY_LIMIT_S) of what Annotate (per page run), Review and
    Statistics run (bench_app.time_queries' list); on PostgreSQL each statement is
    cancelled after QUERY_LIMIT_S (statement_timeout) so that one slow query is a
    figure, not a hang."""
    import statistics as stats
    from earmark.agreement import agreement
    from earmark.db.queries.review import ReviewFilter, annotators, labels_in_use, review_table
    from earmark.db.queries.statistics import (annotations_per_hour, dataset_stats, label_totals,
                                               progress_by_annotator, region_durations)
    from earmark.db.queries.tasks import claim_tasks, latest_answer, progress_counts
    d = "bench"
    someone = store.query_one("SELECT session FROM annotations WHERE dataset = ? LIMIT 1", [d])[0]
    calls = [
        ("annotate", "claim_tasks (a queue of 20, every task answered)",
         lambda: claim_tasks(store, d, "bench-newcomer", 20, now=time.time(), claim_seconds=600, fair_floor=2)),
        ("annotate", "latest_answer (undo)", lambda: latest_answer(store, d, someone)),
        ("annotate", "progress_counts", lambda: progress_counts(store, d, someone)),
        ("review", "filter bar: annotators, labels", lambda: (annotators(store, d), labels_in_use(store, d))),
        ("review", "review_table (count + newest 1,000)", lambda: review_table(store, ReviewFilter(dataset=d))),
        ("statistics", "dataset_stats", lambda: dataset_stats(store, d)),
        ("statistics", "progress_by_annotator", lambda: progress_by_annotator(store, d)),
        ("statistics", "label_totals", lambda: label_totals(store, d)),
        ("statistics", "region_durations", lambda: region_durations(store, d)),
        ("statistics", "annotations_per_hour", lambda: annotations_per_hour(store, d)),
        ("statistics", "agreement", lambda: agreement(store, d)),
    ]
    out: list[tuple[str, str, float | None]] = []
    for page, name, fn in calls:
        times: list[float] = []
        for _ in range(runs):
            t = time.perf_counter()
            try:
                fn()
            except Exception as exc:  # noqa: BLE001  (PostgreSQL's statement_timeout)
                print(f"{page}: {name}: {exc!r}", flush=True)
                times = []
                break
            times.append(time.perf_counter() - t)
        out.append((page, name, stats.median(times) if times else None))
    return out


def bench_export_pages(server: str, folder: Path, annotations: int) -> dict:
    from bench_app import build_review_db
    shared = annotations // 5
    duck, info = build_review_db(folder / "review", annotations, shared, queries=False)
    print(f"review store: {info['counts']}", flush=True)
    name = f"bench_export_{os.getpid()}"
    pg = create_database(server, name)
    os.environ["PGOPTIONS"] = f"-c statement_timeout={QUERY_LIMIT_S * 1000}"   # this process's connections
    try:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "earmark", "migrate", "--from", str(duck), "--to", pg],
                              capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        migrate_s = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"migrate failed: {done.stderr[-2000:]}")
        out = {"migrate_s": migrate_s, "counts": info["counts"]}
        files = {}
        for label, db in (("DuckDB", duck), ("PostgreSQL", pg)):
            path = folder / f"export-{label}.jsonl"
            times = [cli_export(db, path) for _ in range(2)]
            files[label] = path
            store = open_db(db)
            try:
                queries = page_queries(store)
            finally:
                store.close()
            out[label] = {"export_s": min(times), "export_times": times, "queries": queries,
                          "lines": sum(1 for _ in open(path, "rb"))}
        out["identical"] = files["DuckDB"].read_bytes() == files["PostgreSQL"].read_bytes()
        return out
    finally:
        drop_database(server, name)


# -- main --------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,5,10,20", help="numbers of annotators at once")
    parser.add_argument("--two-replica-levels", default=None,
                        help="levels for pg2 (default: --levels and twice the largest)")
    parser.add_argument("--seconds", type=float, default=30.0, help="answering time of each run")
    parser.add_argument("--pace", default="2,3", help="seconds between an annotator's answers: low,high")
    parser.add_argument("--configs", default="duckdb,pg1,pg2")
    parser.add_argument("--pg", default=os.environ.get("EARMARK_BENCH_PG"),
                        help="a PostgreSQL URL whose server may take new databases (default: a throwaway cluster)")
    parser.add_argument("--annotations", type=int, default=100_000, help="for the export and pages part (0: skip)")
    parser.add_argument("--no-audio", action="store_true", help="annotators do not fetch the audio")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--durable", action="store_true",
                        help="the throwaway cluster with fsync and synchronous commit on (commits wait for the disk)")
    args = parser.parse_args()
    args.pace = tuple(float(x) for x in args.pace.split(","))
    levels = [int(x) for x in args.levels.split(",") if x]
    two_levels = ([int(x) for x in args.two_replica_levels.split(",") if x] if args.two_replica_levels
                  else sorted(set(levels + [2 * max(levels)])))
    configs = [c for c in args.configs.split(",") if c]
    folder = Path(tempfile.mkdtemp(prefix="earmark-bench-team-"))
    started = time.time()
    print(f"bench_team: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; "
          f"{args.seconds:.0f} s per run, an answer every {args.pace[0]:g}-{args.pace[1]:g} s each", flush=True)
    results: list[dict] = []
    export = None
    made: list[str] = []
    try:
        with postgres(args.pg, args.durable) as (server, note):
            if any(c.startswith("pg") for c in configs) or args.annotations:
                print(f"PostgreSQL: {note or 'the server given'}; {pg_settings(server)}", flush=True)
            for config in configs:
                if config == "duckdb":
                    results += run_config("duckdb", folder / "team.duckdb", 1, levels, folder, args)
                    continue
                replicas = {"pg1": 1, "pg2": 2}[config]
                name = f"bench_team_{config}_{os.getpid()}"
                made.append(name)
                url = create_database(server, name)
                results += run_config(config, url, replicas, two_levels if replicas == 2 else levels, folder, args)
            if args.annotations:
                try:
                    export = bench_export_pages(server, folder, args.annotations)
                except Exception as exc:  # noqa: BLE001  (the team's figures are still printed)
                    print(f"export and pages: FAILED: {exc!r}", flush=True)
            for name in made:
                drop_database(server, name)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")

    titles = {"duckdb": "DuckDB, 1 process", "pg1": "PostgreSQL, 1 replica", "pg2": "PostgreSQL, 2 replicas"}
    if results:
        print("\n**Annotators at once** (answer to the next queue / to the commit, ms)\n")
        print_table(["setup", "annotators", "answers", "next p50", "next p95", "commit p50", "commit p95",
                 "answers/s", "errors", "saved twice", "shared", "lost", "load (1 min)"],
                [(titles[r["config"]], r["n"], r["answers"], ms(r["next_p50"]), ms(r["next_p95"]),
                  ms(r["commit_p50"]), ms(r["commit_p95"]), f"{r['per_s']:.2f}", r["errors"] + r["missing"],
                  r["twice"], r["shared"], r["lost"], f"{r['load'][0]:.1f}-{r['load'][1]:.1f}")
                 for r in results])
        print("\nCores busy during each run (of 2): " + "; ".join(
            f"{r['config']} {r['n']}: app {r['app_cores']:.2f}, annotators {r['client_cores']:.2f}, "
            f"machine {r['machine_cores']:.2f}" for r in results))
    failed = [r for r in results if r["twice"] or r["shared"] or r["lost"] or r["errors"] or r["missing"]]
    if export:
        print(f"\n**{export['counts']['annotations']:,} annotations, DuckDB beside PostgreSQL** "
              f"(`earmark migrate` took {export['migrate_s']:.1f} s; exports identical: {export['identical']})\n")
        rows = [("`earmark export` to JSONL (best of 2)", f"{export['DuckDB']['export_s']:.2f} s",
                 f"{export['PostgreSQL']['export_s']:.2f} s")]
        for (page, query, d), (_, _, p) in zip(export["DuckDB"]["queries"], export["PostgreSQL"]["queries"]):
            rows.append((f"{page}: {query}", qms(d), qms(p)))
        for page in ("annotate", "review", "statistics"):
            rows.append((f"{page} page's queries, total", *(total(export[b]["queries"], page)
                                                           for b in ("DuckDB", "PostgreSQL"))))
        print_table(["what", "DuckDB", "PostgreSQL"], rows)
        if not export["identical"]:
            failed.append({"export": "differs"})
    print(f"\nbench_team.py ran in {time.time() - started:.0f} s on {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    if failed:
        print(f"FAILED: {len(failed)} runs with errors, duplicates or losses")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
