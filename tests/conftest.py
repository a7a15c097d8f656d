"""Shared fixtures: the reference corpus, a fresh database, the project root."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("EARMARK_CORPUS", ROOT.parent / "shared" / "corpus"))

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apprunner import RunningApp  # noqa: E402  (tests/ is on the path: this file's folder)
from programs import unavailable  # noqa: E402


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "README.md").exists():
        unavailable(f"the reference corpus is not at {CORPUS} (set EARMARK_CORPUS)")
    return CORPUS


# Test modules whose `store` runs on both backends: DuckDB and, when the test
# command started its throwaway cluster (EARMARK_TEST_PG, scripts/pg.sh), PostgreSQL.
BOTH_BACKENDS = {
    "test_feed", "test_answers_and_queue", "test_answers_commit", "test_answers_atomic",
    "test_agreement_known", "test_queries_review_stats", "test_export_contents", "test_export_rules",
    "test_db_interface", "test_roundtrip", "test_records",
    "test_other_pages", "test_annotate_page",      # pages: their `talks` database
}


def pytest_generate_tests(metafunc):
    if metafunc.module.__name__.rpartition(".")[2] not in BOTH_BACKENDS:
        return
    for name in ("store", "talks"):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, ["duckdb", "postgresql"], indirect=True)
            return


@pytest.fixture
def postgres_url():
    """A fresh schema of the test cluster, as a URL whose connections use only it."""
    base = os.environ.get("EARMARK_TEST_PG")
    if not base:
        unavailable("no PostgreSQL cluster for the tests (scripts/test.sh starts one: EARMARK_TEST_PG)")
    import uuid

    import psycopg
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{base}?options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(request, tmp_path, monkeypatch):
    backend = getattr(request, "param", "duckdb")
    if backend == "postgresql":
        from earmark.db.postgres import PostgresStore
        monkeypatch.setenv("EARMARK_DATA", str(tmp_path))   # media folder and secret of this test
        s = PostgresStore(request.getfixturevalue("postgres_url"), pool_size=4)
    else:
        from earmark.db.store import Store
        s = Store(tmp_path / "test.duckdb")
    yield s
    from earmark.profiles import wait_for_updates
    wait_for_updates()   # answers start a voice-profile update in a thread: let it end first
    s.close()


@pytest.fixture
def run_app(tmp_path):
    """Start Earmark's app (or another script) against a database; stopped after the test."""
    started: list[RunningApp] = []

    def start(db: Path | str, script: Path = ROOT / "app.py", args: list[str] | None = None,
              env: dict[str, str] | None = None, port: int | None = None,
              folder: Path | None = None) -> RunningApp:
        app = RunningApp(script, db, args, env, port=port, folder=folder)
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


#: The mono recording the two-channel fixture puts on its left channel (16 kHz, 16-bit).
STEREO_SOURCE = ("formats", "bobby_16bit_16khz.wav")


@pytest.fixture(scope="session")
def stereo_speech_left(corpus, tmp_path_factory) -> Path:
    """A two-channel WAV whose channels differ: the corpus's speech on the left
    (channel 0), digital silence on the right (channel 1). Built at test time
    (never committed), 16 kHz 16-bit, as long as the source (19,114 frames).

    A file whose two channels hold the same speech cannot tell a clip or a
    lane of channel 1 from one of channel 0; this one can."""
    import wave

    import numpy as np
    with wave.open(str(corpus.joinpath(*STEREO_SOURCE)), "rb") as src:
        assert (src.getnchannels(), src.getsampwidth()) == (1, 2), src.getparams()
        rate = src.getframerate()
        left = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    frames = np.zeros((len(left), 2), dtype="<i2")
    frames[:, 0] = left
    target = tmp_path_factory.mktemp("stereo") / "speech_left.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return target


def pytest_configure(config):
    # scripts/mutation.sh: mutmut first runs the tests with MUTANT_UNDER_TEST=stats to learn
    # which tests reach which function. A child `python -m earmark` would inherit that, fail
    # to read mutmut's setup.cfg from its own working directory, and could not report back
    # anyway: children run the plain code; this process keeps mutmut's own copy of the mode.
    # While mutants are tested, children inherit the mutant's name and run it too.
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        del os.environ["MUTANT_UNDER_TEST"]
