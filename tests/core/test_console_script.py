"""The installed project: `earmark` (the console script scripts/setup.sh installs
with `pip install -e .`) and `python -m earmark` work from any directory, and
pyproject.toml ships what the app needs."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import tomllib
import wave
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The script beside the interpreter running the tests: .venv/bin/earmark under scripts/test.sh.
SCRIPT = Path(sys.executable).parent / "earmark"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working directory outside the repository."""
    folder = tmp_path / "work"
    folder.mkdir()
    assert ROOT not in folder.parents
    return folder


def outside_env(tmp_path: Path) -> dict[str, str]:
    """No PYTHONPATH and no project settings: only the installed package can be found."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EARMARK_DB")}
    env["EARMARK_CONFIG"] = str(tmp_path / "none.json")
    return env


def run(args: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=outside_env(tmp_path), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def tone(path: Path, seconds: float = 0.5, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x10" * int(seconds * rate))
    return path


def test_the_console_script_is_installed_from_this_checkout(elsewhere, tmp_path):
    assert SCRIPT.is_file() and os.access(SCRIPT, os.X_OK), \
        f"no {SCRIPT}: scripts/setup.sh installs the project with `pip install -e .`"
    done = run([sys.executable, "-c", "import earmark, components.waveform as w; print(earmark.__file__);"
                "print(w.__file__)"], elsewhere, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(ROOT / "earmark" / "__init__.py"),
                                   str(ROOT / "components" / "waveform" / "__init__.py")]


def test_earmark_help_runs_from_another_directory(elsewhere, tmp_path):
    done = run([str(SCRIPT), "--help"], elsewhere, tmp_path)
    assert done.returncode == 0, done.stderr
    for command in ("load", "export", "stats", "datasets", "drop"):
        assert command in done.stdout
    assert list(elsewhere.iterdir()) == []  # --help writes nothing


def test_earmark_loads_and_lists_from_another_directory(elsewhere, tmp_path):
    db = tmp_path / "db" / "x.duckdb"
    tone(elsewhere / "hello.wav")
    done = run([str(SCRIPT), "load", "calls", "hello.wav", "--db", str(db)], elsewhere, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "calls: added 1, skipped 0 duplicates, failed 0\n", done.stdout + done.stderr
    done = run([str(SCRIPT), "datasets", "--db", str(db)], elsewhere, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "calls" in done.stdout
    assert sorted(p.name for p in elsewhere.iterdir()) == ["hello.wav"]  # the database went where --db said


def test_python_m_earmark_runs_from_another_directory(elsewhere, tmp_path):
    db = tmp_path / "y.duckdb"
    done = run([sys.executable, "-m", "earmark", "datasets", "--db", str(db)], elsewhere, tmp_path)
    assert done.returncode == 0, done.stderr
    assert db.exists()


def test_the_package_ships_every_module_and_the_component_build():
    config = PYPROJECT["tool"]["setuptools"]
    find = config["packages"]["find"]
    assert find["namespaces"] is False  # else frontend/node_modules would be packages
    for folder in ("earmark", "components"):
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" in path.parts:
                continue
            package = ".".join(path.parent.relative_to(ROOT).parts)
            assert (path.parent / "__init__.py").exists(), f"{path.parent} has no __init__.py: not shipped"
            assert any(fnmatch.fnmatchcase(package, pattern) for pattern in find["include"]), package
    waveform = ROOT / "components" / "waveform"
    # setuptools expands package-data globs as Path.glob does
    shipped = {p for pattern in config["package-data"]["components.waveform"] for p in waveform.glob(pattern)}
    built = {p for p in (waveform / "frontend" / "dist").rglob("*") if p.is_file()}
    assert waveform / "frontend" / "dist" / "index.html" in built
    assert built <= shipped, f"files of the component build the package leaves out: {sorted(built - shipped)}"
    assert PYPROJECT["project"]["scripts"] == {"earmark": "earmark.cli:main"}


def pins(name: str) -> dict[str, str]:
    lines = [line.strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    found = {}
    for line in lines:
        if line and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([\w.]+)", line)
            assert match, f"{name}: {line!r} is not a `name==version` pin"
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_the_dependencies_are_requirements_txt_pins_and_the_lock_agrees():
    assert PYPROJECT["project"]["dynamic"] == ["dependencies"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    runtime, tests, lock = pins("requirements.txt"), pins("requirements-test.txt"), pins("requirements.lock")
    assert {"streamlit", "duckdb", "numpy"} <= set(runtime) and {"pytest", "ruff", "mypy"} <= set(tests)
    assert not set(runtime) & set(tests)
    differ = {n: (v, lock.get(n)) for n, v in {**runtime, **tests}.items() if lock.get(n) != v}
    assert not differ, f"pins that requirements.lock does not hold: {differ}"
