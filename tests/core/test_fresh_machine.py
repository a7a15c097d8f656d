"""What a fresh machine needs: the README's commands install every program the
tests and benchmarks call, and plain `streamlit run app.py` serves loopback only."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from apprunner import free_port
from programs import BASE_SYSTEM, PACKAGES

ROOT = Path(__file__).resolve().parents[2]
_SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}


def programs_called(folder: Path) -> dict[str, str]:
    """Program names the Python files under `folder` start, with where each is started.

    Counts `subprocess.X(["prog", ...])`, `require("prog")` / `need("prog")`, and
    `run("prog", ...)` in a file whose own `run` starts a process.
    """
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        wrappers = {"require", "need"} | {"run" for f in tree.body if isinstance(f, ast.FunctionDef)
                                          and f.name == "run" and _starts_its_arguments(f)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            program = None
            if name in _SUBPROCESS_CALLS and isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                head = first.elts[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    program = head.value
            elif name in wrappers and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                program = first.value
            if program and "/" not in program and program not in BASE_SYSTEM:
                found.setdefault(program, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _starts_its_arguments(function: ast.FunctionDef) -> bool:
    """A `run(*args)` helper that starts the program its arguments name (not Python)."""
    body = ast.unparse(function)
    return "subprocess" in body and "sys.executable" not in body


def installed_packages() -> set[str]:
    """The Debian packages scripts/setup.sh --dev installs (its `missing+=(...)` lines)."""
    script = (ROOT / "scripts" / "setup.sh").read_text()
    return set(re.findall(r"missing\+=\(([\w.+-]+)\)", script))


def test_setup_installs_every_program_the_tests_and_benchmarks_call():
    called = {**programs_called(ROOT / "bench"), **programs_called(ROOT / "tests")}
    assert {"ffmpeg", "sox"} <= set(called), called  # the scan sees the calls it must
    packages = installed_packages()
    missing = {prog: where for prog, where in called.items() if PACKAGES.get(prog) not in packages}
    assert not missing, f"called but not installed by scripts/setup.sh --dev: {missing}"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on `port` (from /proc/net/tcp*)."""
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            host, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(host)
                if width == 8:
                    addresses.add(".".join(str(b) for b in reversed(raw)))
                else:
                    addresses.add(raw.hex())
    return addresses


def test_plain_streamlit_run_listens_on_loopback_only(tmp_path):
    port = free_port()
    env = {**os.environ, "EARMARK_DB": str(tmp_path / "a.duckdb"),
           "EARMARK_CONFIG": str(tmp_path / "none.json")}
    # exactly the README's command, with only a port so as not to clash with a running app
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, "streamlit run app.py exited"
                time.sleep(0.2)
        else:
            raise AssertionError("streamlit run app.py did not become healthy")
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_under_ci_a_missing_corpus_fails_instead_of_skipping(tmp_path, root):
    """The corpus fixture skips on a developer's machine without ../shared; CI must not."""
    one = "tests/core/test_probe_and_load.py::test_corpus_has_the_tricky_files"
    runs = {}
    for ci in ("true", ""):
        env = {**os.environ, "CI": ci, "EARMARK_CORPUS": str(tmp_path / "nowhere")}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", one],
                              cwd=root, env=env, capture_output=True, text=True, timeout=120)
        runs[ci] = done.stdout + done.stderr
    assert "1 error" in runs["true"] and "CI=true" in runs["true"], runs["true"]  # fails in its fixture
    assert "1 skipped" in runs[""], runs[""]
