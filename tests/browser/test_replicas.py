"""Two app replicas on one PostgreSQL database behind a sticky proxy, eight
annotators in Chromium sharing one queue (feed_overlap off): every answer saved
once, no task handed to two annotators, also when one replica is killed with
SIGKILL in the middle and its annotators go on on the other."""

from __future__ import annotations

import json

import pytest

from tests.apprunner import free_port
from tests.browser.test_card_answers import CardPage
from tests.sticky_proxy import StickyProxy

ANNOTATORS = 8
ROUND = 15


@pytest.fixture
def team_db(postgres_url, tmp_path, corpus, monkeypatch):
    """A dataset of 360 short segment tasks (0.2 s every 0.25 s) in a fresh PostgreSQL schema."""
    monkeypatch.setenv("EARMARK_DATA", str(tmp_path / "shared"))
    from earmark.db.postgres import PostgresStore
    from earmark.loading.loader import load_sources
    jsonl = tmp_path / "team.jsonl"
    lines = [json.dumps({"path": str(corpus / "diarization" / name),
                         "segment": {"start": i * 0.25, "end": i * 0.25 + 0.2}})
             for name in ("trn01.wav", "trn02.wav", "trn03.wav") for i in range(120)]
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = PostgresStore(postgres_url, pool_size=2)
    try:
        report = load_sources(store, "team", [jsonl], view="audio")
        assert report.failures == [] and report.added == 360
    finally:
        store.close()
    return postgres_url


def answer_in_turn(cards: list[CardPage], key: str, rounds: int, before_round=None) -> None:
    """`rounds` answers from each card, as fast as the keys go, the cards interleaved;
    `before_round(n)` runs before round n (e.g. to kill a replica mid-run)."""
    for n in range(rounds):
        if before_round is not None:
            before_round(n)
        for card in cards:
            card.page.keyboard.press(key)


def answers(url: str) -> list[tuple]:
    import psycopg
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT session, task_id, answer FROM annotations ORDER BY id").fetchall()


def assert_each_answer_saved_once(url: str, annotators: int, rounds: int) -> None:
    """A round of `accept` then one of `reject` from each annotator ann0, ann1, ...: every
    answer saved once, in order, with its receipt, and no task given to two annotators."""
    saved = answers(url)
    total = 2 * annotators * rounds
    assert len(saved) == total, f"{len(saved)} answers saved of {total}"
    assert len({task for _, task, _ in saved}) == total                 # none shared
    per_session = {f"ann{i}": [a for s, _, a in saved if s == f"ann{i}"] for i in range(annotators)}
    assert all(v == ["accept"] * rounds + ["reject"] * rounds for v in per_session.values()), per_session
    assert receipts(url) == total


def receipts(url: str) -> int:
    import psycopg
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM answer_receipts").fetchone()[0]


def test_eight_annotators_on_two_replicas_and_one_killed_lose_nothing_and_share_nothing(
        team_db, tmp_path, run_app, wf_browser):
    shared = tmp_path / "shared"
    env = {"EARMARK_DATA": str(shared)}
    replicas = [run_app(team_db, env=env, folder=tmp_path), run_app(team_db, env=env, folder=tmp_path)]
    proxy = StickyProxy([r.port for r in replicas], free_port())
    contexts, cards = [], []
    try:
        for i in range(ANNOTATORS):
            context = wf_browser.new_context(viewport={"width": 1100, "height": 760})
            context.add_cookies([{"name": "replica", "value": str(i % 2), "url": proxy.url}])
            contexts.append(context)
            cards.append(CardPage(context.new_page(), proxy.url).open("team", session=f"ann{i}"))

        # 15 answers each, as fast as the keys go, the eight annotators interleaved
        answer_in_turn(cards, "a", ROUND)
        for card in cards:
            card.wait_saved(timeout=90)
        first = answers(team_db)
        assert len(first) == ANNOTATORS * ROUND
        assert len({task for _, task, _ in first}) == len(first)            # no task to two annotators
        assert sorted({s for s, _, _ in first}) == [f"ann{i}" for i in range(ANNOTATORS)]
        assert all(proxy.routed[r.port] > 0 for r in replicas)              # both replicas served

        # Again, and replica 0 is killed after the first five answers of the round:
        # its annotators' later answers wait in their browsers, then go to replica 1.
        answer_in_turn(cards, "x", ROUND, before_round=lambda n: replicas[0].kill() if n == 5 else None)
        for i, card in enumerate(cards):
            if i % 2 == 0:        # on the killed replica: the browser reconnects through the proxy
                card.page.reload()
                card.wait_task(timeout=60_000)
            card.wait_saved(timeout=120)
        assert_each_answer_saved_once(team_db, ANNOTATORS, ROUND)
    finally:
        for context in contexts:
            context.close()
        proxy.stop()
