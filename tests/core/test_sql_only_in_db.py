"""SQL lives in `earmark/db/` only: no other module of the package holds a SQL
statement in a string, nor imports DuckDB (the database is reached through
`earmark.db.queries` and the store's interface)."""

from __future__ import annotations

import ast
import re
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "earmark"

# A statement, not a word: the keyword followed by what makes it SQL. Keywords
# are matched in capitals, as Earmark writes SQL, so that prose ("Select the
# rows from the list") is not taken for it; functions in any case.
SQL = re.compile(
    r"\bSELECT\b[\s\S]*?\bFROM\b"
    r"|\bINSERT\s+INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?(TABLE|INDEX|SEQUENCE|VIEW)\b"
    r"|\bWITH\s+\w+\s+AS\s*\("
    r"|\b(BEGIN|COMMIT|ROLLBACK)(\s+TRANSACTION)?\s*;?\s*$"
    r"|\bSET\s+memory_limit\b"
    r"|\bSEMI\s+JOIN\b"
    r"|(?i:\b(json_extract(_string)?|list_contains|unnest)\s*\()",
)


# A cursor's own methods: SQL run (or a DataFrame registered) outside the queries,
# however its text was built.
CURSOR_CALLS = frozenset({"execute", "executemany", "register", "unregister", "fetchall", "fetchone",
                          "fetchmany", "fetchdf"})


def _strings(tree: ast.AST):
    """Every string constant and f-string of a module, with its line (f-string parts joined,
    so a statement split around a placeholder is still one string)."""
    in_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                           for v in node.values)
            in_fstring.update(id(v) for v in node.values)
            yield node.lineno, text
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstring:
            yield node.lineno, node.value


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def sql_findings(path: Path, source: str | None = None) -> list[str]:
    """`file:line: what` for each SQL string and DuckDB import of one module."""
    source = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(source, str(path))
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "duckdb" for a in node.names):
            found.append(f"{name}:{node.lineno}: imports duckdb")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "duckdb":
            found.append(f"{name}:{node.lineno}: imports from duckdb")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in CURSOR_CALLS:
            found.append(f"{name}:{node.lineno}: runs SQL on a cursor (.{node.func.attr})")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) in docs:
            node.value = ""   # prose may name SQL; only code strings count
    for line, text in _strings(tree):
        match = SQL.search(text)
        if match:
            found.append(f"{name}:{line}: SQL {match.group(0)[:40]!r}")
    return sorted(set(found), key=lambda f: (f.split(":")[0], int(f.split(":")[1])))


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("earmark/db/"):
            continue
        yield path


def test_no_module_outside_earmark_db_holds_sql_or_imports_duckdb():
    findings = [f for path in _modules() for f in sql_findings(path)]
    assert findings == [], "SQL outside earmark/db/ (move it into earmark/db/queries/):\n" + "\n".join(findings)


def test_the_check_finds_sql_in_every_form_it_is_written(tmp_path):
    module = tmp_path / "m.py"
    cases = {
        'rows = store.query("SELECT id FROM tasks WHERE dataset = ?", [d])': "SELECT id FROM",
        'cur.execute(\n    "INSERT INTO spans (a) "\n    "VALUES (?)", [1])': "INSERT INTO",
        'cur.execute(f"UPDATE media SET path = ? WHERE id = {x}")': "UPDATE media SET",
        'sql = f"DELETE FROM {table} WHERE id = ?"': "DELETE FROM",
        'MIGRATION = """\n    CREATE TABLE t (a int);\n"""': "CREATE TABLE",
        'q = "WITH sides AS (SELECT 1) SELECT * FROM sides"': "WITH sides AS (",
        'c = "json_extract_string(a.annotation, \'$.file\')"': "json_extract_string(",
        'import duckdb': "imports duckdb",
        'from duckdb import TransactionException': "imports from duckdb",
        'x = f"SELECT {cols} FROM ({CURRENT}) AS a"': "SELECT {} FROM",
        'cur.execute(statement, [1])': "runs SQL on a cursor (.execute)",
        'cur.register(name, frame)': "runs SQL on a cursor (.register)",
    }
    for code, expected in cases.items():
        module.write_text(code + "\n", encoding="utf-8")
        found = sql_findings(module)
        line = 2 if code.startswith("cur.execute(\n") else 1   # the line the string starts on
        assert any(expected in f and f.startswith(f"{module}:{line}:") for f in found), (code, found)
    module.write_text('x = 1\ny = "SELECT"\n', encoding="utf-8")
    assert sql_findings(module) == []   # a word alone is no statement (a <select> element, an option)
    module.write_text('"""The SELECT ... FROM of the feed lives in earmark/db/."""\n'
                      'label = "Select the rows from the list"\n', encoding="utf-8")
    assert sql_findings(module) == []   # a docstring may name SQL; prose is not SQL


def test_the_check_names_file_and_line():
    findings = sql_findings(PACKAGE / "db" / "queries" / "tasks.py")
    assert findings and all(f.startswith("earmark/db/queries/tasks.py:") for f in findings)
    first = findings[0]
    line = int(first.split(":")[1])
    text = (PACKAGE / "db" / "queries" / "tasks.py").read_text(encoding="utf-8").splitlines()
    assert any(k in " ".join(text[line - 1:line + 3]).upper() for k in ("SELECT", "INSERT", "DELETE"))
