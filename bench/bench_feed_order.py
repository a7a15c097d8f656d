"""Benchmark: the feed's order on a large dataset, and a voice-profile relabelling pass.

Run from the repository root:

    .venv/bin/python bench/bench_feed_order.py [--tasks 100000] [--embedded 2000]

Builds, in a temporary folder removed at the end, a dataset of `--tasks` tasks,
each with one scored region, and times filling a card's queue (20 tasks) with
`feed_order` `file` and `uncertain`, with `feed_overlap` off (claims) and on,
each the median of 5 new sessions. Beside it, what ordering by the lowest score
read from each task's JSON would cost (the query `tasks.score` saves).
Then `--embedded` of the tasks get two regions with 256-float embeddings each,
one accepted answer names a voice, and one `update_profiles` pass (profiles,
then relabelling every unserved embedded task) is timed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchlib import print_table  # noqa: E402
from earmark.annotations import save_annotation  # noqa: E402
from earmark.datasets import ensure_dataset  # noqa: E402
from earmark.db.queries.profiles import insert_embeddings  # noqa: E402
from earmark.db.queries.tasks import get_task, insert_tasks_by_hash  # noqa: E402
from earmark.db.store import open_store  # noqa: E402
from earmark.feed import queue_tasks  # noqa: E402
from earmark.profiles import update_profiles  # noqa: E402

JSON_ORDER = ("SELECT id FROM tasks t WHERE dataset = 'big' ORDER BY (SELECT min(TRY_CAST(v AS DOUBLE)) FROM "
              "(SELECT unnest(coalesce(json_extract(t.task, '$.audio_spans[*].score'), [])) AS v)) "
              "NULLS LAST, id LIMIT 20")


def median_ms(run, times: int = 5) -> float:
    seen = []
    for k in range(times):
        start = time.perf_counter()
        run(k)
        seen.append(time.perf_counter() - start)
    return round(1000 * sorted(seen)[times // 2], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--embedded", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1)
    vectors = np.random.default_rng(1)
    # two voices: each region's embedding is its voice's unit vector plus a little noise
    voices = vectors.normal(size=(2, 256))
    voices /= np.linalg.norm(voices, axis=1, keepdims=True)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "feed.duckdb")
        ensure_dataset(store, "big", view="audio_manual")
        for start in range(0, args.tasks, 10_000):
            batch = []
            for i in range(start, min(start + 10_000, args.tasks)):
                task = {"audio": f"{i}.wav", "_input_hash": i + 1, "_task_hash": i + 1, "audio_spans": [
                    {"id": f"r{i}", "start": 0, "end": 1, "label": "SPEAKER_00", "score": round(rng.random(), 3)}]}
                if i >= args.tasks - args.embedded:
                    task["audio_spans"].append({"id": f"q{i}", "start": 1, "end": 2, "label": "SPEAKER_01",
                                                "score": 0.5})
                batch.append((task, None))

            def insert(cur, batch=batch):
                ids = insert_tasks_by_hash(cur, "big", batch, 0.0)
                rows = [(ids[t["_input_hash"]], t, {s["id"]: (voices[k] + 0.04 * vectors.normal(size=256)).tolist()
                                                    for k, s in enumerate(t["audio_spans"])})
                        for t, _ in batch if t["_input_hash"] > args.tasks - args.embedded]
                insert_embeddings(cur, "big", rows)
            store.write(insert)
        rows = []
        for order in ("file", "uncertain"):
            for overlap in (False, True):
                ms = median_ms(lambda k, o=order, v=overlap: queue_tasks(store, "big", f"{o}-{v}-{k}", v, 20, o))
                rows.append((order, "on" if overlap else "off", f"{ms} ms"))
        rows.append(("lowest score read from the JSON", "(query only)",
                     f"{median_ms(lambda k: store.query(JSON_ORDER))} ms"))
        print_table(["feed_order", "feed_overlap", f"queue of 20 of {args.tasks:,} tasks (median of 5)"], rows)

        last = store.query_one("SELECT max(id) FROM tasks")[0]
        save_annotation(store, get_task(store, last), "accept", "ann", edits={"audio_spans": [
            {**s, "label": ("Diane", "Bob")[k]} for k, s in enumerate(get_task(store, last).data["audio_spans"])]})
        start = time.perf_counter()
        report = update_profiles(store, "big", embedder=lambda samples: np.ones(256, np.float32))
        wall = time.perf_counter() - start
        print()
        print_table(["what", "time"], [(f"update_profiles: {args.embedded:,} unserved embedded tasks, "
                                        f"{len(report.relabelled):,} relabelled", f"{wall:.2f} s")])


if __name__ == "__main__":
    main()
