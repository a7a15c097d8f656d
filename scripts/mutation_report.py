"""Scores of the last mutmut run, read from mutants/ (scripts/mutation.sh calls this).

Prints one Markdown table row per mutated module (the rows README's "Mutation
testing" table holds), the core total, then every surviving mutant with the lines
it changed, grouped by module. A timeout counts as killed: the mutant broke the
code badly enough that the tests never finished. Mutants no test reaches count as
survivors; mutants not checked yet (an interrupted run) are left out and counted.

    .venv/bin/python scripts/mutation_report.py [--no-survivors]
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
SURVIVED = {"survived", "no tests"}


def module_name(meta: Path) -> str:
    """mutants/earmark/web/routes.py.meta -> earmark/web/routes.py"""
    return meta.relative_to(ROOT / "mutants").as_posix().removesuffix(".meta")


def read_results() -> dict[str, dict[str, str]]:
    """{module: {mutant name: status}} for every mutated module."""
    results = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        try:
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        except json.JSONDecodeError as exc:   # a run stopped while mutmut rewrote the file
            sys.exit(f"{meta}: unreadable ({exc}); rerun that module's mutants, "
                     f"e.g. scripts/mutation.sh '{module_name(meta)[:-3].replace('/', '.')}.*'")
        results[module_name(meta)] = {name: status_by_exit_code[code] for name, code in codes.items()}
    return results


def row(name: str, statuses: list[str]) -> str:
    count = Counter("killed" if s in KILLED else "survived" if s in SURVIVED else "unchecked" for s in statuses)
    checked = count["killed"] + count["survived"]
    score = f"{100 * count['killed'] / checked:.1f} %" if checked else "–"
    unchecked = f" ({count['unchecked']} not checked)" if count["unchecked"] else ""
    return f"| {name} | {checked} | {count['killed']} | {count['survived']} | {score}{unchecked} |"


def changed_lines(mutant: str, module: str) -> list[str]:
    """The lines a mutant removed (-) and added (+), without the diff's headers."""
    try:
        diff = get_diff_for_mutant(mutant, path=module)
    except (OSError, ValueError) as exc:   # the source changed since the run
        return [f"(no diff: {exc}; see `mutmut show {mutant}`)"]
    return [line for line in diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def main(argv: list[str]) -> int:
    if not (ROOT / "mutants").is_dir():
        print("No mutants/ folder: run scripts/mutation.sh first.", file=sys.stderr)
        return 1
    results = read_results()
    print("| module | mutants | killed | survived | score |")
    print("|---|---:|---:|---:|---:|")
    for module, statuses in results.items():
        print(row(f"`{module}`", list(statuses.values())))
    print(row("**core**", [s for statuses in results.values() for s in statuses.values()]))
    if "--no-survivors" in argv:
        return 0
    os.chdir(ROOT)   # mutmut's helpers read mutants/ relative to the working directory
    for module, statuses in results.items():
        survivors = [name for name, status in statuses.items() if status in SURVIVED]
        if not survivors:
            continue
        print(f"\n## {module}: {len(survivors)} surviving")
        for name in survivors:
            print(f"{name} ({statuses[name]})")
            for line in changed_lines(name, module):
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
