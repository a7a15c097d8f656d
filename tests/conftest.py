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


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "README.md").exists():
        pytest.skip(f"the reference corpus is not at {CORPUS} (set EARMARK_CORPUS)")
    return CORPUS


@pytest.fixture
def store(tmp_path):
    from earmark.store import Store
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    """A `streamlit run` of a script, on a free loopback port."""

    def __init__(self, script: Path, db: Path, args: list[str] | None = None,
                 env: dict[str, str] | None = None):
        import subprocess
        import time
        import urllib.request
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # No earmark.json from the developer's working directory leaks into a test.
        env = {**os.environ, "EARMARK_DB": str(db), "PYTHONPATH": str(ROOT),
               "EARMARK_CONFIG": str(db.parent / "earmark.json"), **(env or {})}
        cmd = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
        if args:
            cmd += ["--", *args]
        self.log = open(db.parent / f"streamlit-{self.port}.log", "w+")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def run_app(tmp_path):
    """Start Earmark's app (or another script) against a database; stopped after the test."""
    started: list[RunningApp] = []

    def start(db: Path, script: Path = ROOT / "app.py", args: list[str] | None = None,
              env: dict[str, str] | None = None) -> RunningApp:
        app = RunningApp(script, db, args, env)
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()
