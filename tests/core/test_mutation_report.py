"""The mutation report counts a survivor apart only when it is known to be equivalent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "mutation_report", Path(__file__).resolve().parents[2] / "scripts" / "mutation_report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


@pytest.mark.parametrize("before, after, equivalent", [
    ('    rows = store.query("SELECT id FROM tasks WHERE dataset = ?")',
     '    rows = store.query("select id from tasks where dataset = ?")', True),
    ('        "  AND a.session = ?"', '        "  and A.SESSION = ?"', True),
    # a value in quotes is data: 'ACCEPT' is not 'accept'
    ('    "WHERE answer = \'accept\'"', '    "where answer = \'ACCEPT\'"', False),
    ('    "SELECT json_extract_string(task, \'$.path\')"', '    "select json_extract_string(task, \'$.PATH\')"', False),
    # a message a user reads is not SQL
    ('    raise LoadError("Not found")', '    raise LoadError("NOT FOUND")', False),
    ('    "SELECT a"', '    "XXSELECT aXX"', False),
    ('    "SELECT a"', '    "SELECT a"', False),
])
def test_only_the_letter_case_of_sql_is_equivalent(before, after, equivalent):
    assert report.only_sql_case([f"-{before}", f"+{after}"]) is equivalent


def test_a_row_leaves_sql_case_survivors_out_of_the_score_but_not_of_the_raw_one():
    statuses = ["killed"] * 8 + ["timeout"] + ["survived"] * 3 + [None]
    # 9 killed of 12 checked; 2 of the 3 survivors only change SQL case
    assert report.row("`m.py`", statuses, sql_case=2) == (
        "| `m.py` | 12 | 9 | 1 | 2 | 90.0 % (1 not checked) | 75.0 % |")


def test_forgetting_survivors_leaves_the_killed_and_marks_the_rest_not_checked(tmp_path, monkeypatch):
    import json

    from mutmut.stats import status_by_exit_code
    code = {status: c for c, status in status_by_exit_code.items()}
    meta = tmp_path / "mutants" / "earmark" / "m.py.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"exit_code_by_key": {
        "m.x_f__mutmut_1": code["killed"], "m.x_f__mutmut_2": code["survived"],
        "m.x_f__mutmut_3": code["no tests"], "m.x_f__mutmut_4": None}, "other": 1}))
    monkeypatch.setattr(report, "ROOT", tmp_path)
    assert report.forget_survivors() == 2
    assert json.loads(meta.read_text()) == {"exit_code_by_key": {
        "m.x_f__mutmut_1": code["killed"], "m.x_f__mutmut_2": None,
        "m.x_f__mutmut_3": None, "m.x_f__mutmut_4": None}, "other": 1}
