"""CI runs exactly the README's test command, so what passes in CI is what a developer runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's 'The two commands' has no bash block"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()
                if "run every test" in line]
    assert len(commands) == 1, block.group(1)
    return commands[0]


def test_ci_runs_the_readme_test_command():
    command = readme_test_command()
    assert command == "scripts/test.sh"
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    runs = [line for line in lines if line and not line.startswith("#")]
    assert runs[-1] == f"exec {command}", runs
    assert 'cd "$(dirname "$0")/.."' in runs  # from the repository root, as the README runs it
