"""Voice profiles: a name given once goes to the proposals of the tasks no card has received.

Three synthetic "voices" are tones of different pitch; the embedder is the
normalised magnitude spectrum (0-4 kHz), so two regions of one voice are
near-parallel and two voices near-orthogonal. A stand-in for the speakers model
labels each file's two regions SPEAKER_00/SPEAKER_01 (in a different order per
file, as per-file clustering does) and gives each its embedding, which the
loader stores.
"""

from __future__ import annotations

import json
import time
import wave

import numpy as np
import pytest

from earmark import profiles
from earmark.answers import PendingAnswer, commit_answers
from earmark.db.queries.profiles import task_embeddings
from earmark.db.queries.tasks import _mark_served, get_task, serving_write
from earmark.db.store import open_store
from earmark.feed import queue_tasks
from earmark.loading.loader import load_sources
from earmark.loading.longform import LongformOptions
from earmark.profiles import THRESHOLD, profile_score, update_profiles, wait_for_updates

RATE = 16000
PITCH = {"A": 200.0, "B": 520.0, "C": 1400.0}
# file -> its two voices, (first 0-2 s, then 2-4 s), and the model's labels for them
FILES = {
    "t1": (("A", "SPEAKER_01"), ("B", "SPEAKER_00")),
    "t2": (("B", "SPEAKER_01"), ("A", "SPEAKER_00")),
    "t3": (("A", "SPEAKER_00"), ("B", "SPEAKER_01")),
    "t4": (("B", "SPEAKER_00"), ("A", "SPEAKER_01")),
    "t5": (("B", "SPEAKER_01"), ("A", "SPEAKER_00")),
    "t6": (("A", "SPEAKER_00"), ("C", "SPEAKER_01")),
}
calls = {"n": 0}


def spectrum(samples: np.ndarray) -> np.ndarray:
    """A deterministic "speaker encoder": the unit magnitude spectrum up to 4 kHz."""
    calls["n"] += 1
    x = np.asarray(samples, dtype=np.float64)
    mag = np.abs(np.fft.rfft(x[:RATE], n=1024))[:256]
    return (mag / np.linalg.norm(mag)).astype(np.float32)


def tone(voice: str, seconds: float, seed: int) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(seed)
    pitch = PITCH[voice] * (1 + rng.uniform(-0.01, 0.01))
    y = 0.5 * np.sin(2 * np.pi * pitch * t) + 0.2 * np.sin(2 * np.pi * 2 * pitch * t)
    y += rng.normal(0, 0.02, len(t))
    return (y * 20000).astype(np.int16)


def write_wav(path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def fake_speakers(task: dict) -> list[dict]:
    """Two regions per file, each with its embedding, as the speakers model gives them."""
    import soundfile
    samples, _ = soundfile.read(task["path"], dtype="int16")
    name = task["path"].rsplit("/", 1)[-1][:2]
    out = []
    for k, (_voice, label) in enumerate(FILES[name]):
        region = samples[k * 2 * RATE:(k + 1) * 2 * RATE]
        out.append({"start": 2.0 * k, "end": 2.0 * k + 2.0, "label": label, "score": 0.6 + 0.1 * k,
                    "_embedding": spectrum(region).tolist()})
    return out


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    folder = tmp_path / "audio"
    folder.mkdir()
    for n, (name, voices) in enumerate(FILES.items()):
        write_wav(folder / f"{name}.wav", np.concatenate([tone(v, 2.0, 10 * n + k) for k, (v, _) in
                                                          enumerate(voices)]))
    store = open_store(tmp_path / "p.duckdb")
    report = load_sources(store, "d", [folder], view="audio_manual",
                          longform=LongformOptions(model=fake_speakers, model_name="speakers"))
    assert report.added == 6, report.failures
    ids = dict(zip(FILES, report.task_ids))
    # the answers' background updates use the same embedder as the tests
    monkeypatch.setattr(profiles, "default_embedder", lambda: spectrum)
    return store, ids


def spans(store, task_id: int) -> list[dict]:
    return get_task(store, task_id).data["audio_spans"]


def answer(store, task_id: int, session: str, verdict: str, regions: list[dict], seq: int) -> None:
    entry = PendingAnswer(client=f"c-{session}", seq=seq, dataset="d", session=session, task_id=task_id,
                          answer=verdict, regions=regions, ts=1_700_000_000.0 + seq)
    report = commit_answers(store, [entry], lambda name: ["audio_manual"] if name == "d" else None)
    assert report.committed, report.refused
    assert wait_for_updates(30)


def voice_of(name: str, span: dict) -> str:
    return FILES[name][int(span["start"] // 2)][0]


def test_the_loader_stores_each_regions_embedding_with_the_task(loaded):
    store, ids = loaded
    for task_id in ids.values():
        stored = task_embeddings(store, task_id)
        assert set(stored) == {s["id"] for s in spans(store, task_id)}
        for span in spans(store, task_id):
            assert stored[span["id"]].shape == (256,)
            assert "_embedding" not in span and "_region_embeddings" not in get_task(store, task_id).data
    # a task's score column is its lowest region score, for feed_order: uncertain
    assert store.query_one("SELECT score FROM tasks WHERE id = ?", [ids["t1"]])[0] == pytest.approx(0.6)


def test_a_name_given_once_relabels_the_unserved_tasks_only_and_undo_takes_it_back(loaded, monkeypatch):
    store, ids = loaded
    monkeypatch.setattr("earmark.answers.schedule_update", lambda store, dataset: None)   # synchronous here
    before = {name: spans(store, i) for name, i in ids.items()}
    hashes = dict(store.query("SELECT id, task_hash FROM tasks"))
    # t1 goes to ann's card (claimed), t2 to bob's; cy (every annotator sees every task) gets t1-t3,
    # of which her card shows t1 and may move to t2 before the page runs again: t3 waits behind them
    assert [t.id for t in queue_tasks(store, "d", "ann", False, 1)] == [ids["t1"]]
    assert [t.id for t in queue_tasks(store, "d", "bob", False, 1)] == [ids["t2"]]
    assert [t.id for t in queue_tasks(store, "d", "cy", True, 3)] == [ids["t1"], ids["t2"], ids["t3"]]
    # dee answers t4 without its being served (an answer is an answer)
    answer(store, ids["t4"], "dee", "reject", before["t4"], seq=1)
    # ann names SPEAKER_01 (voice A) "Diane" on t1 and keeps SPEAKER_00 (voice B)
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in before["t1"]]
    answer(store, ids["t1"], "ann", "accept", named, seq=1)

    report = update_profiles(store, "d", spectrum)
    assert set(report.profiles) == {"Diane", "SPEAKER_00"}
    assert report.relabelled == sorted([ids["t3"], ids["t5"], ids["t6"]]) and report.left == []
    learnt = profiles.compute_profiles(store, "d", spectrum)
    for name in ("t3", "t5", "t6"):
        stored = task_embeddings(store, ids[name])
        for span in spans(store, ids[name]):
            voice = voice_of(name, span)
            if voice == "C":   # no profile near: the model's label and score stay, no `profile`
                assert span == next(s for s in before[name] if s["id"] == span["id"])
                continue
            assert span["label"] == {"A": "Diane", "B": "SPEAKER_00"}[voice]
            vector = stored[span["id"]] / np.linalg.norm(stored[span["id"]])
            similarity = {label: float(p @ vector) for label, p in learnt.items()}
            assert span["profile"] == round(similarity[span["label"]], 3) > 0.9   # near-parallel spectra
            runner_up = max(v for label, v in similarity.items() if label != span["label"])
            assert runner_up < THRESHOLD
            assert span["score"] == profile_score(similarity[span["label"]], runner_up) > 0.99
    # shown or answered tasks keep their proposals exactly
    for name in ("t1", "t2", "t4"):
        assert spans(store, ids[name]) == before[name], name
    # the task hash stays; the feed's score follows the new proposals
    assert dict(store.query("SELECT id, task_hash FROM tasks")) == hashes
    t5 = get_task(store, ids["t5"]).data
    assert t5["_task_hash"] == hashes[ids["t5"]]
    assert store.query_one("SELECT score FROM tasks WHERE id = ?", [ids["t5"]])[0] == \
        pytest.approx(min(s["score"] for s in t5["audio_spans"]))
    assert store.query_one("SELECT score FROM tasks WHERE id = ?", [ids["t6"]])[0] == pytest.approx(0.7)

    # ann undoes and rejects t1: her accepted answer no longer counts, the names go
    answer(store, ids["t1"], "ann", "reject", before["t1"], seq=2)
    assert update_profiles(store, "d", spectrum).profiles == {}
    for name in ("t3", "t5", "t6"):
        assert spans(store, ids[name]) == before[name], name
    assert store.query_one("SELECT score FROM tasks WHERE id = ?", [ids["t5"]])[0] == pytest.approx(0.6)


def test_answers_update_the_profiles_in_the_background(loaded):
    store, ids = loaded
    before = spans(store, ids["t3"])
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in spans(store, ids["t1"])]
    answer(store, ids["t1"], "ann", "accept", named, seq=1)     # waits for the worker
    after = {voice_of("t3", s): s for s in spans(store, ids["t3"])}
    assert after["A"]["label"] == "Diane" and "profile" in after["A"]
    assert after["B"]["label"] == "SPEAKER_00"
    assert before != spans(store, ids["t3"])


def test_a_region_drawn_or_moved_is_embedded_from_its_audio(loaded):
    store, ids = loaded
    # ann removes the model's regions of t1 and draws her own over voice A, a new id
    drawn = [{"id": "mine", "start": 0.3, "end": 1.7, "label": "Diane"}]
    calls["n"] = 0
    answer(store, ids["t1"], "ann", "accept", drawn, seq=1)
    report = update_profiles(store, "d", spectrum)
    assert calls["n"] >= 1 and set(report.profiles) == {"Diane"}
    for name in ("t3", "t4", "t6"):
        for span in spans(store, ids[name]):
            if voice_of(name, span) == "A":
                assert span["label"] == "Diane" and span["profile"] > 0.9
            else:
                assert "profile" not in span and span["label"].startswith("SPEAKER_")
    # bob keeps only t2's voice B region, moved by 0.5 s and named: no longer the proposal,
    # so its audio is embedded (once: remembered after)
    moved = [{**s, "start": s["start"] + 0.5, "label": "Bo"} for s in spans(store, ids["t2"])
             if voice_of("t2", s) == "B"]
    calls["n"] = 0
    answer(store, ids["t2"], "bob", "accept", moved, seq=1)
    update_profiles(store, "d", spectrum)
    update_profiles(store, "d", spectrum)
    assert calls["n"] == 1
    assert {voice_of("t3", s): s["label"] for s in spans(store, ids["t3"])} == {"A": "Diane", "B": "Bo"}
    assert {voice_of("t6", s): s["label"] for s in spans(store, ids["t6"])} == {"A": "Diane", "C": "SPEAKER_01"}


def test_a_task_served_between_the_read_and_the_write_is_left_alone(loaded, monkeypatch):
    store, ids = loaded
    before = spans(store, ids["t5"])
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in spans(store, ids["t1"])]
    monkeypatch.setattr(profiles, "schedule_update", lambda store, dataset: None)
    monkeypatch.setattr("earmark.answers.schedule_update", lambda store, dataset: None)
    answer(store, ids["t1"], "ann", "accept", named, seq=1)
    real = profiles.proposals_of

    def read_then_serve(store_, task_ids):
        rows = real(store_, task_ids)
        # an annotator's card shows t5 after the relabelling read it
        now = time.time()
        serving_write(store, lambda cur: _mark_served(cur, [ids["t5"]], now))
        return rows

    monkeypatch.setattr(profiles, "proposals_of", read_then_serve)
    report = update_profiles(store, "d", spectrum)
    assert ids["t5"] in report.left and ids["t5"] not in report.relabelled
    assert spans(store, ids["t5"]) == before


def test_a_card_served_while_the_relabelling_writes_gets_the_task_as_written(loaded, monkeypatch):
    """A card showing t5 while the relabelling's transaction runs waits for it: the card
    gets t5 as relabelled, never a version the database no longer holds."""
    import threading
    store, ids = loaded
    monkeypatch.setattr("earmark.answers.schedule_update", lambda store, dataset: None)
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in spans(store, ids["t1"])]
    answer(store, ids["t1"], "ann", "accept", named, seq=1)
    assert [t.id for t in queue_tasks(store, "d", "cy", True, 4)] == [ids[n] for n in ("t1", "t2", "t3", "t4")]
    real = profiles.relabel_tasks
    served: list = []
    workers: list = []

    def serve_meanwhile(cur, changes):
        cur.execute("SELECT count(*) FROM tasks").fetchall()   # the transaction's snapshot is taken
        if not workers:
            def show_t5() -> None:
                serving_write(store, lambda c: _mark_served(c, [ids["t5"]], time.time()))
                served.append(get_task(store, ids["t5"]))
            workers.append(threading.Thread(target=show_t5))
            workers[0].start()
            time.sleep(0.3)                                    # the feed is waiting now
            assert not served
        return real(cur, changes)

    monkeypatch.setattr(profiles, "relabel_tasks", serve_meanwhile)
    report = update_profiles(store, "d", spectrum)
    workers[0].join(10)
    # cy's card shows t1 and may be on t2: t3 and t4, queued behind, are relabelled too
    assert report.relabelled == [ids[n] for n in ("t3", "t4", "t5", "t6")]
    assert served[0].data["audio_spans"] == spans(store, ids["t5"])
    assert any(s.get("profile") for s in spans(store, ids["t5"]))
    assert store.query_one("SELECT served FROM tasks WHERE id = ?", [ids["t5"]])[0] is not None


def test_tasks_loaded_later_get_the_names_at_load_and_a_drop_takes_the_embeddings(loaded, tmp_path):
    store, ids = loaded
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in spans(store, ids["t1"])]
    answer(store, ids["t1"], "ann", "accept", named, seq=1)
    folder = tmp_path / "later"
    folder.mkdir()
    FILES["t7"] = (("C", "SPEAKER_00"), ("A", "SPEAKER_01"))
    try:
        write_wav(folder / "t7.wav", np.concatenate([tone("C", 2.0, 70), tone("A", 2.0, 71)]))
        report = load_sources(store, "d", [folder], longform=LongformOptions(model=fake_speakers,
                                                                             model_name="speakers"))
        assert report.added == 1
        got = {voice_of("t7", s): s for s in spans(store, report.task_ids[0])}
    finally:
        del FILES["t7"]
    assert got["A"]["label"] == "Diane" and got["A"]["profile"] > 0.95
    assert got["C"]["label"] == "SPEAKER_00" and "profile" not in got["C"]
    from earmark.datasets import drop_dataset
    assert drop_dataset(store, "d")
    assert store.query_one("SELECT count(*) FROM region_embeddings")[0] == 0



def _unit(*weights: float) -> np.ndarray:
    v = np.asarray(weights, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_two_speakers_of_a_task_never_take_one_name_and_a_speakers_regions_take_theirs_together():
    from earmark.db.queries.profiles import ProposedRegion
    from earmark.profiles import relabelled
    diane, bo = _unit(1, 0, 0), _unit(0.6, 0, 1)
    a, c = _unit(1, 0.2, 0), _unit(1, 1.05, 0.2)     # the model's SPEAKER_00: Diane's voice
    b = _unit(1, 0, 0.9)                             # its SPEAKER_01: another voice, yet near Diane too
    assert float(a @ diane) > float(b @ diane) > THRESHOLD > float(c @ diane)
    task = {"audio_spans": [
        {"id": "a", "start": 0.0, "end": 1.0, "label": "SPEAKER_00", "score": 0.5, "color": "#111111"},
        {"id": "b", "start": 1.0, "end": 2.0, "label": "SPEAKER_01", "score": 0.6},
        {"id": "c", "start": 2.0, "end": 3.0, "label": "SPEAKER_00", "score": 0.7},
        {"id": "d", "start": 3.0, "end": 4.0, "label": "NOISE"},            # no embedding: untouched
    ]}
    proposed = [ProposedRegion("a", "SPEAKER_00", 0.5, a), ProposedRegion("b", "SPEAKER_01", 0.6, b),
                ProposedRegion("c", "SPEAKER_00", 0.7, c)]

    got = {s["id"]: s for s in relabelled(task, proposed, {"Diane": diane})["audio_spans"]}
    # region by region, b would be Diane as well: two voices under one name
    assert got["b"] == {k: v for k, v in task["audio_spans"][1].items()}
    # SPEAKER_00 is nearer: both its regions are Diane, c (alone below the threshold) with a
    # score under 0.5, served first when uncertain; the model's colour goes with its label
    assert got["a"]["label"] == got["c"]["label"] == "Diane" and "color" not in got["a"]
    assert got["a"]["profile"] == round(float(a @ diane), 3) and got["c"]["profile"] == round(float(c @ diane), 3)
    assert got["c"]["score"] == profile_score(float(c @ diane)) < 0.5 < got["a"]["score"]
    assert got["d"] == task["audio_spans"][3]

    # with a profile nearer SPEAKER_01's voice, each speaker takes its own name
    got = {s["id"]: s for s in relabelled(task, proposed, {"Diane": diane, "Bo": bo})["audio_spans"]}
    assert {k: got[k]["label"] for k in "abc"} == {"a": "Diane", "b": "Bo", "c": "Diane"}
    assert got["b"]["score"] == profile_score(float(b @ bo), float(b @ diane))
    # no profile near: every region as the model gave it
    assert relabelled(task, proposed, {"X": _unit(0, 1, 0)}) == task


def test_embeddings_another_process_loaded_are_found_within_the_recheck_time(loaded, monkeypatch):
    # this process last saw the dataset without embeddings; the command line (on PostgreSQL,
    # beside the app) has loaded the model's proposals since, which this process never heard of
    store, ids = loaded
    key = (profiles.Path(store.path), "d")
    profiles._embedded[key] = (False, time.monotonic())
    before = spans(store, ids["t3"])
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in spans(store, ids["t1"])]
    answer(store, ids["t1"], "ann", "accept", named, seq=1)
    assert spans(store, ids["t3"]) == before          # not looked at again yet: no query per answer
    monkeypatch.setattr(profiles, "RECHECK_SECONDS", 0.0)
    answer(store, ids["t2"], "bob", "accept", spans(store, ids["t2"]), seq=1)
    assert {voice_of("t3", s): s["label"] for s in spans(store, ids["t3"])}["A"] == "Diane"
    assert profiles._embedded[key][0] is True


def test_a_read_only_answer_keeps_the_names_the_card_showed_when_a_profile_renamed_the_task_since(
        loaded, monkeypatch):
    # the `audio` view: the annotator cannot change the regions. A card queued t3 and t6 behind
    # the first two tasks; a name given meanwhile relabelled them; answered in a burst before
    # the page ran again, the card still showed the model's labels, and those were accepted
    store, ids = loaded
    monkeypatch.setattr("earmark.answers.schedule_update", lambda store, dataset: None)
    shown = {name: spans(store, ids[name]) for name in ("t3", "t6")}
    named = [{**s, "label": "Diane"} if s["label"] == "SPEAKER_01" else s for s in spans(store, ids["t1"])]
    answer(store, ids["t1"], "ann", "accept", named, seq=1)
    update_profiles(store, "d", spectrum)
    renamed = {voice_of("t3", s): s for s in spans(store, ids["t3"])}
    assert renamed["A"]["label"] == "Diane" and "profile" in renamed["A"]

    def read_only(task_id: int, regions: list[dict], seq: int) -> dict:
        entry = PendingAnswer(client="c-eve", seq=seq, dataset="d", session="eve", task_id=task_id,
                              answer="accept", regions=regions, ts=1_700_000_100.0 + seq)
        assert commit_answers(store, [entry], lambda name: ["audio"]).committed
        row = store.query_one("SELECT annotation FROM annotations WHERE task_id = ? AND session = 'eve'", [task_id])
        return {voice_of(next(n for n, i in ids.items() if i == task_id), s): s
                for s in json.loads(row[0])["audio_spans"]}

    saved = read_only(ids["t3"], shown["t3"], 1)
    before = {voice_of("t3", s): s for s in shown["t3"]}
    assert saved["A"] == before["A"] and "profile" not in saved["A"]     # as shown: the model's label
    # anything else sent is not the annotator's to change in this view: a label on a region no
    # profile named, or a region shown elsewhere than stored, keeps the task's own
    t6 = spans(store, ids["t6"])
    forged = [{**s, "label": "Forged", "profile": 0.99} if voice_of("t6", s) == "C" else
              {**s, "start": s["start"] + 0.5, "label": "Forged"} for s in t6]
    saved = read_only(ids["t6"], forged, 2)
    assert saved == {voice_of("t6", s): s for s in t6}
    assert {s["label"] for s in saved.values()} == {"Diane", "SPEAKER_01"}
