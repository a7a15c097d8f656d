"""Scores of the last mutmut run, read from mutants/ (scripts/mutation.sh calls this).

Prints one Markdown table row per mutated module (the rows README's "Mutation
testing" table holds), the core total, then every surviving mutant with the lines
it changed, grouped by module. A timeout counts as killed: the mutant broke the
code badly enough that the tests never finished. Mutants no test reaches count as
survivors; mutants not checked yet (an interrupted run) are left out and counted.

One kind of survivor is known to be equivalent and is counted apart: a mutant
that only changes the letter case of SQL text (`SELECT` to `select`, a column
name to upper case). DuckDB reads keywords and names in any case, so no test
can tell; the "score" column leaves these out, "raw" counts them as survivors.

    .venv/bin/python scripts/mutation_report.py [--no-survivors]
    .venv/bin/python scripts/mutation_report.py --forget-survivors

mutmut keeps a verdict until the function's code changes, so a test added
later never reaches an old survivor; `--forget-survivors` marks every survivor
not checked, and the next run tests them again (with the tests as they are).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
SURVIVED = {"survived", "no tests"}
_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|VALUES|ORDER BY|GROUP BY|CREATE|"
                  r"DROP|ALTER|INDEX|TABLE|VIEW|ON CONFLICT|RETURNING|COALESCE|COUNT|DISTINCT|AND|OR|"
                  r"NOT|NULL|AS|IN|IS|SET|CASE|WHEN|THEN|END|LIMIT|EXISTS|UNION|PRIMARY KEY)\b")


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


def row(name: str, statuses: list[str], sql_case: int = 0) -> str:
    """A table row; `sql_case` of the survivors only change the letter case of SQL."""
    count = Counter("killed" if s in KILLED else "survived" if s in SURVIVED else "unchecked" for s in statuses)
    checked = count["killed"] + count["survived"]
    raw = f"{100 * count['killed'] / checked:.1f} %" if checked else "–"
    counted = checked - sql_case
    score = f"{100 * count['killed'] / counted:.1f} %" if counted else "–"
    unchecked = f" ({count['unchecked']} not checked)" if count["unchecked"] else ""
    return (f"| {name} | {checked} | {count['killed']} | {count['survived'] - sql_case} | {sql_case} "
            f"| {score}{unchecked} | {raw} |")


_QUOTED = re.compile(r"'[^']*'")


def only_sql_case(lines: list[str]) -> bool:
    """The mutant changes nothing but the letter case of SQL keywords and names.

    Text in single quotes (SQL string values such as 'accept', JSON paths) must
    be unchanged: its case matters.
    """
    removed = [line[1:] for line in lines if line.startswith("-")]
    added = [line[1:] for line in lines if line.startswith("+")]
    if not removed or len(removed) != len(added) or removed == added:
        return False
    for before, after in zip(removed, added):
        if before == after:
            continue
        if not _SQL.search(before) or _QUOTED.findall(before) != _QUOTED.findall(after):
            return False
        if _QUOTED.sub("''", before).lower() != _QUOTED.sub("''", after).lower():
            return False
    return True


def changed_lines(mutant: str, module: str) -> list[str]:
    """The lines a mutant removed (-) and added (+), without the diff's headers."""
    try:
        diff = get_diff_for_mutant(mutant, path=module)
    except (OSError, ValueError) as exc:   # the source changed since the run
        return [f"(no diff: {exc}; see `mutmut show {mutant}`)"]
    return [line for line in diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def forget_survivors() -> int:
    """Mark every surviving mutant not checked; how many there were."""
    forgotten = 0
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data["exit_code_by_key"]
        for name, code in codes.items():
            if code is not None and status_by_exit_code[code] in SURVIVED:
                codes[name] = None
                forgotten += 1
        meta.write_text(json.dumps(data), encoding="utf-8")
    return forgotten


def main(argv: list[str]) -> int:
    if not (ROOT / "mutants").is_dir():
        print("No mutants/ folder: run scripts/mutation.sh first.", file=sys.stderr)
        return 1
    if "--forget-survivors" in argv:
        print(f"{forget_survivors()} surviving mutants will be tested again by the next run")
        return 0
    results = read_results()
    os.chdir(ROOT)   # mutmut's helpers read mutants/ relative to the working directory
    survivors = {module: {name: changed_lines(name, module) for name, status in statuses.items()
                          if status in SURVIVED}
                 for module, statuses in results.items()}
    sql_case = {module: {name for name, lines in found.items() if only_sql_case(lines)}
                for module, found in survivors.items()}
    print("| module | mutants | killed | survived | SQL case | score | raw |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for module, statuses in results.items():
        print(row(f"`{module}`", list(statuses.values()), len(sql_case[module])))
    print(row("**core**", [s for statuses in results.values() for s in statuses.values()],
              sum(len(names) for names in sql_case.values())))
    if "--no-survivors" in argv:
        return 0
    for module, found in survivors.items():
        shown = {name: lines for name, lines in found.items() if name not in sql_case[module]}
        if not shown:
            continue
        print(f"\n## {module}: {len(shown)} surviving (and {len(sql_case[module])} of SQL letter case)")
        for name, lines in shown.items():
            print(f"{name} ({results[module][name]})")
            for line in lines:
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
