"""`streamlit run` of a script on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str, headers: dict | None = None, timeout: float = 20) -> tuple[int, dict, bytes]:
    """GET `url`: status, headers and body, for error statuses too."""
    import urllib.error
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    """A `streamlit run` of a script, on a free loopback port."""

    def __init__(self, script: Path, db: Path | str, args: list[str] | None = None,
                 env: dict[str, str | None] | None = None, flags: list[str] | None = None,
                 port: int | None = None, folder: Path | None = None):
        """`db` a DuckDB file or a postgresql:// URL; `env` adds variables (None removes
        one); `flags` are more `streamlit run` options; `port` a given one (a restart on
        the same origin keeps the browser's storage); `folder` holds the log and
        earmark.json (default: the database file's folder)."""
        folder = folder or Path(db).parent
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # No earmark.json from the developer's working directory leaks into a test.
        # EARMARK_TEST_HOOKS: the component puts its state on `window` for the tests to read
        merged = {**os.environ, "EARMARK_DB": str(db), "PYTHONPATH": str(ROOT), "EARMARK_TEST_HOOKS": "1",
                  "EARMARK_CONFIG": str(folder / "earmark.json"), **(env or {})}
        env = {k: v for k, v in merged.items() if v is not None}
        cmd = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *(flags or [])]
        if args:
            cmd += ["--", *args]
        self.log = open(folder / f"streamlit-{self.port}.log", "a+")
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

    def kill(self) -> None:
        """SIGKILL: the server dies as in a crash, with no chance to clean up."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.log.closed:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


