"""The one table of settings (earmark/settings.py): every setting the code reads
is in it and in the README, the component's defaults are its defaults, and
earmark.json and a dataset's settings are checked against it."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from earmark import settings as settings_module
from earmark.datasets import Dataset
from earmark.settings import (COMPONENT_DEFAULTS, DEFAULTS, SETTINGS, SETTINGS_BY_NAME, check_settings,
                              effective_settings, markdown_table)
from programs import unavailable

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_TS = ROOT / "components" / "waveform" / "frontend" / "src" / "protocol.ts"
DESIGN = ROOT.parent / "shared" / "design.md"
TABLE_START = "<!-- settings table:"
TABLE_END = "<!-- end of settings table -->"

# `settings.get("x")`, `config["x"]`, `cfg.get('x', ...)`: a setting read by name.
_READ = re.compile(r"""\b(?:settings|config|cfg)(?:\.get\(|\[)\s*["']([A-Za-z_][\w]*)["']""")

# design.md names these for the issues that build them; nothing reads them yet.
# Once code reads one, the test below wants it in the table.
NOT_BUILT_YET = {"asr_model", "language", "num_speakers"}


def python_sources() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    for folder in ("earmark", "components"):
        files += [p for p in sorted((ROOT / folder).rglob("*.py")) if "node_modules" not in p.parts]
    return files


def settings_read_in_code() -> dict[str, str]:
    """Setting names the Python code reads, with the first place each is read."""
    found: dict[str, str] = {}
    for path in python_sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in _READ.findall(line):
                found.setdefault(name, f"{path.relative_to(ROOT)}:{number}")
    return found


def ts_object_literal(source: str, const: str) -> dict:
    """The `key: value,` lines of `export const NAME ... = { ... };` as Python values."""
    match = re.search(rf"export const {const}\b.*?=\s*\{{(.*?)\n\}};", source, re.S)
    assert match, f"no `export const {const} ... = {{ ... }};` in {PROTOCOL_TS}"
    values = {}
    for key, raw in re.findall(r"^\s*(\w+):\s*(.+?),?\s*$", match.group(1), re.M):
        values[key] = json.loads(raw)
    return values


def ts_settings_interface(source: str) -> set[str]:
    match = re.search(r"export interface Settings \{(.*?)\n\}", source, re.S)
    assert match, f"no `export interface Settings` in {PROTOCOL_TS}"
    return set(re.findall(r"^\s*(\w+)\?:", match.group(1), re.M))


def readme_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text, "README.md has no settings table between its markers"
    block = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    return block.split("\n", 1)[1].strip()  # past the rest of the opening marker's line


def design_settings() -> set[str]:
    """The setting names design.md's Settings section lists in backticks."""
    if not DESIGN.exists():
        unavailable(f"design.md is not at {DESIGN}")
    text = DESIGN.read_text(encoding="utf-8")
    section = text.split("### Settings", 1)[1].split("\n### ", 1)[0]
    named = {token.split(".")[0] for token in re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", section)
             if not token.endswith(".json")}
    # values and fields the prose mentions, not settings
    return named - {"file", "uncertain", "score"}


def test_every_setting_the_code_reads_is_in_the_table():
    read = settings_read_in_code()
    # the scan sees the reads it must (a broken pattern would find nothing and pass)
    assert {"segment_context", "blocks", "feed_overlap", "keymap", "custom_theme", "allowed_sessions",
            "access_code", "models"} <= set(read), read
    missing = {name: where for name, where in read.items() if name not in SETTINGS_BY_NAME}
    assert not missing, f"read in code but not in earmark/settings.py's SETTINGS: {missing}"


def test_every_setting_the_component_reads_is_in_the_table_and_marked_for_it():
    from components.waveform import SETTING_NAMES

    component = {s.name for s in SETTINGS if s.component}
    assert set(SETTING_NAMES) == component, "components/waveform SETTING_NAMES differ from the table's"
    declared = ts_settings_interface(PROTOCOL_TS.read_text(encoding="utf-8"))
    assert declared == component, f"protocol.ts's Settings: {sorted(declared ^ component)} differ"


def test_design_md_settings_are_in_the_table_unless_nothing_reads_them_yet():
    named = design_settings()
    assert {"keymap", "audio_bar_radius", "custom_theme", "models"} <= named, named
    read = set(settings_read_in_code())
    assert not NOT_BUILT_YET & read, f"now read in code, add to SETTINGS: {sorted(NOT_BUILT_YET & read)}"
    missing = named - set(SETTINGS_BY_NAME) - NOT_BUILT_YET
    assert not missing, f"design.md lists settings the table lacks: {sorted(missing)}"


def test_the_readme_table_is_the_settings_table():
    rows = readme_table().splitlines()
    documented = [re.match(r"\| `(\w+)` \|", row).group(1) for row in rows[2:] if re.match(r"\| `(\w+)` \|", row)]
    table = [s.name for s in SETTINGS]
    assert not set(table) - set(documented), f"README lacks settings: {sorted(set(table) - set(documented))}"
    assert not set(documented) - set(table), \
        f"README documents settings that do not exist: {sorted(set(documented) - set(table))}"
    assert readme_table() == markdown_table(), (
        "README.md's settings table differs from earmark/settings.py: replace it by the output of "
        "`.venv/bin/python -c 'from earmark.settings import markdown_table; print(markdown_table())'`")


def test_the_component_defaults_are_the_tables():
    ts = ts_object_literal(PROTOCOL_TS.read_text(encoding="utf-8"), "DEFAULT_SETTINGS")
    want = {k: v for k, v in COMPONENT_DEFAULTS.items() if k != "custom_theme"}  # read as theme_labels
    assert ts == want, {k: (ts.get(k), want.get(k)) for k in ts.keys() | want.keys() if ts.get(k) != want.get(k)}


def test_the_app_sends_every_component_default():
    """The component's own fallbacks then matter only to the bare editor."""
    sent = effective_settings(Dataset("d", "audio_manual"), {})
    assert {k: sent[k] for k in COMPONENT_DEFAULTS} == COMPONENT_DEFAULTS
    assert sent["audio_bar_width"] == 0 and sent["audio_bar_gap"] == 0 and sent["audio_bar_radius"] == 0


def test_the_table_gives_the_defaults_the_code_falls_back_on():
    from earmark.web.task_audio import DEFAULT_CONTEXT

    assert SETTINGS_BY_NAME["segment_context"].default == DEFAULT_CONTEXT
    assert DEFAULTS == {s.name: s.default for s in SETTINGS if not s.server_only and s.default is not None}
    assert "access_code" not in DEFAULTS and "blocks" not in DEFAULTS


@pytest.mark.parametrize("name, bad", [
    ("audio_rate", "fast"), ("audio_rate", True), ("audio_rate", [1]), ("show_audio_minimap", "no"),
    ("show_audio_minimap", 0), ("keymap", "vim"), ("custom_theme", ["red"]), ("blocks", "audio"),
    ("blocks", ["audio", 2]), ("audio_lanes", 1), ("feed_overlap", "false"), ("allowed_sessions", "maria"),
])
def test_a_wrong_type_is_named_with_where_it_is_and_left_out(name, bad):
    usable, problems = check_settings({name: bad, "audio_loop": True}, "/srv/earmark.json", server=True)
    assert usable == {"audio_loop": True}
    assert len(problems) == 1
    assert problems[0].startswith(f"/srv/earmark.json: `{name}` must be ")
    assert problems[0].endswith(f", not {json.dumps(bad)}; ignored")


def test_right_types_pass_unchanged():
    given = {"audio_rate": 1.5, "audio_max_zoom": 200, "segment_context": "2", "show_audio_cursor": False,
             "keymap": {"accept": "k"}, "blocks": ["audio_manual"], "audio_lanes": "labels",
             "access_code": "x", "allowed_sessions": ["li"], "blocks_unset": None}
    usable, problems = check_settings({k: v for k, v in given.items() if k != "blocks_unset"}, "f", server=True)
    assert usable == {k: v for k, v in given.items() if k != "blocks_unset"} and problems == []
    assert check_settings({"blocks": None}, "f") == ({"blocks": None}, [])


def test_unknown_and_misplaced_settings_are_named_and_kept():
    usable, problems = check_settings({"audio_rat": 1.5, "access_code": "x"}, "the settings of dataset 'd'")
    assert usable == {"audio_rat": 1.5, "access_code": "x"}
    assert problems == ["the settings of dataset 'd': unknown setting `audio_rat`",
                        "the settings of dataset 'd': `access_code` is read from earmark.json only; ignored here"]


def test_the_cascade_leaves_out_wrong_types_at_every_layer_and_logs_each_once(tmp_path, monkeypatch, caplog):
    where = tmp_path / "earmark.json"
    monkeypatch.setenv("EARMARK_CONFIG", str(where))
    monkeypatch.setattr(settings_module, "_named", set())
    config = {"audio_rate": "fast", "audio_loop": True,
              "datasets": {"talks": {"show_audio_minimap": "no", "audio_max_zoom": 300}, "other": 3}}
    talks = Dataset("talks", "audio_manual", settings={"keymap": "vim", "audio_autoplay": True, "colour": 1})
    with caplog.at_level(logging.WARNING, logger="earmark.settings"):
        got = effective_settings(talks, config)
        effective_settings(talks, config)  # a rerun names nothing again
    assert got == {**DEFAULTS, "audio_loop": True, "audio_max_zoom": 300, "audio_autoplay": True, "colour": 1}
    assert [r.getMessage() for r in caplog.records] == [
        f'{where}: `audio_rate` must be a number, not "fast"; ignored',
        f'{where}, datasets.talks: `show_audio_minimap` must be true or false, not "no"; ignored',
        "the settings of dataset 'talks': `keymap` must be an object, not \"vim\"; ignored",
        "the settings of dataset 'talks': unknown setting `colour`",
    ]
    # shapes that used to raise: `datasets` or its entry not an object
    assert effective_settings(Dataset("other", "audio"), config) == {**DEFAULTS, "audio_loop": True}
    assert effective_settings(Dataset("x", "audio"), {"datasets": ["x"]}) == DEFAULTS
    assert f"{where}: `datasets.other` must be an object, not 3; ignored" in caplog.text
