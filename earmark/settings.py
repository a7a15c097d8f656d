"""Settings: defaults, then `earmark.json` in the working directory, then the dataset's own.

Names are Prodigy's (design.md), so a Prodigy user's settings carry over.
`SETTINGS` is the one table of every setting (name, default, type, meaning):
the cascade's defaults, the check of `earmark.json` and of a dataset's
settings, the waveform component's defaults and the README's table all come
from it. `earmark.json` may also hold `access_code`, `allowed_sessions`, under
`datasets` settings for one dataset by name, and under `models` the
pre-annotators the web UI offers besides the built-in ones
(`{"name": "module:function"}`).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from earmark.datasets import Dataset

CONFIG_FILE = "earmark.json"

log = logging.getLogger(__name__)

# The JSON types a setting may have; "number" also takes a number written as
# text ("1.5"), which the component and float() have always read.
BOOLEAN, NUMBER, TEXT, OBJECT, TEXT_LIST = "boolean", "number", "text", "object", "list of text"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any          # None: unset (the meaning says what happens then)
    type: str             # BOOLEAN, NUMBER, TEXT, OBJECT or TEXT_LIST
    meaning: str          # one sentence for the README's table (Markdown)
    component: bool = False  # sent to the waveform component (protocol.ts DEFAULT_SETTINGS)
    server_only: bool = False  # read from earmark.json only, never per dataset


SETTINGS: tuple[Setting, ...] = (
    Setting("show_audio_cursor", True, BOOLEAN, "show the playback cursor", component=True),
    Setting("show_audio_cursor_time", True, BOOLEAN, "show the time at the playback cursor", component=True),
    Setting("show_audio_timeline", True, BOOLEAN, "show the timeline under the waveform", component=True),
    Setting("show_audio_minimap", True, BOOLEAN, "show the overview of the whole recording", component=True),
    Setting("show_audio_spectrogram", False, BOOLEAN,
            "show the spectrogram at first (the Spectrogram button or `s` toggles it)", component=True),
    Setting("audio_spectrogram_max_freq", 8000, NUMBER,
            "Hz at the top of the spectrogram, at most half the file's sample rate", component=True),
    Setting("audio_lanes", "channels", TEXT,
            "`channels`: regions over the whole wave (a lane per channel on stereo); `labels`: a row "
            "per label", component=True),
    Setting("audio_autoplay", False, BOOLEAN, "play each task's audio when it opens", component=True),
    Setting("audio_loop", False, BOOLEAN, "loop playback", component=True),
    Setting("audio_rate", 1.0, NUMBER, "playback rate, 0.5 to 2", component=True),
    Setting("audio_max_zoom", 5000, NUMBER, "the largest zoom, in pixels per second", component=True),
    Setting("audio_bar_width", 0, NUMBER,
            "width of the waveform's bars in pixels; 0 draws a continuous waveform", component=True),
    Setting("audio_bar_height", 1, NUMBER, "vertical scale of the waveform", component=True),
    Setting("audio_vertical_zoom", 1, NUMBER,
            "the waveform's height over the loudest peak in view, 0.25 to 16; `shift+up` / `shift+down` "
            "change it", component=True),
    Setting("audio_bar_gap", 0, NUMBER, "pixels between bars (with `audio_bar_width`)", component=True),
    Setting("audio_bar_radius", 0, NUMBER, "radius of the bars' corners (with `audio_bar_width`)",
            component=True),
    Setting("audio_min_region", 0.02, NUMBER, "the shortest region a drag makes, in seconds", component=True),
    Setting("custom_theme", {"labels": {}}, OBJECT,
            "`labels`: label to colour; a label without one gets a distinct colour of its own", component=True),
    Setting("keymap", {}, OBJECT, "action to key (or list of keys), replacing the default keys"),
    Setting("feed_overlap", False, BOOLEAN,
            "true: every annotator gets every task; false: annotators share the queue"),
    Setting("blocks", None, TEXT_LIST,
            'the views the card combines, e.g. `["audio_manual", "transcript"]` (unset: the dataset\'s view)'),
    Setting("segment_context", 1.0, NUMBER, "seconds of audio played and shown around a segment task"),
    Setting("feed_order", "file", TEXT,
            "`file`: tasks in the order they were loaded; `uncertain`: tasks whose proposals have the "
            "lowest `score` first"),
    Setting("asr_model", None, TEXT,
            "a CTranslate2 Whisper model directory for `transcribe` (unset: the bundled tiny English model)"),
    Setting("language", None, TEXT, "the language `transcribe` recognises, e.g. `en` (unset: `en`; empty text: detected by a multilingual model)"),
    Setting("num_speakers", None, NUMBER, "the number of speakers `speakers` looks for (unset: estimated)"),
    Setting("access_code", None, TEXT, "every page and `/api/` route asks for this code (or `st.secrets`)",
            server_only=True),
    Setting("allowed_sessions", None, TEXT_LIST, "the only annotator names any page opens for",
            server_only=True),
    Setting("models", {}, OBJECT,
            'pre-annotators the web UI offers besides the built-ins: `{"name": "module:function"}`',
            server_only=True),
    Setting("datasets", {}, OBJECT, "settings for one dataset, by its name", server_only=True),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

#: The cascade's first layer: every per-dataset setting that has a default.
DEFAULTS: dict = {s.name: s.default for s in SETTINGS if not s.server_only and s.default is not None}

#: What the component shows when given no settings; protocol.ts's DEFAULT_SETTINGS must equal it
#: (custom_theme aside, which it reads as `theme_labels`).
COMPONENT_DEFAULTS: dict = {s.name: s.default for s in SETTINGS if s.component}


def _has_type(value: Any, kind: str) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == NUMBER:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return False
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == TEXT:
        return isinstance(value, str)
    if kind == OBJECT:
        return isinstance(value, dict)
    if kind == TEXT_LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise ValueError(f"unknown setting type {kind!r}")


def check_settings(values: Mapping[str, Any], where: str, *, server: bool = False) -> tuple[dict, list[str]]:
    """The settings of `values` that can be used, and a sentence per problem.

    `where` names the file (and entry) or dataset the values come from. A
    setting of the wrong type is named and left out (its default applies); an
    unknown setting, or a server setting outside earmark.json (`server`
    False), is named and kept as it is, since it does nothing either way.
    None counts as unset.
    """
    usable: dict = {}
    problems: list[str] = []
    for name, value in values.items():
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            problems.append(f"{where}: unknown setting `{name}`")
        elif value is not None and not _has_type(value, setting.type):
            problems.append(f"{where}: `{name}` must be {_article(setting.type)}, not "
                            f"{json.dumps(value)}; ignored")
            continue
        elif setting.server_only and not server:
            problems.append(f"{where}: `{name}` is read from {CONFIG_FILE} only; ignored here")
        usable[name] = value
    return usable, problems


def _article(kind: str) -> str:
    return {BOOLEAN: "true or false", NUMBER: "a number", TEXT: "text", OBJECT: "an object",
            TEXT_LIST: "a list of text"}[kind]


_named: set[str] = set()


def _name_once(problems: list[str]) -> None:
    """Log each problem once per process: the pages recompute settings on every rerun."""
    for problem in problems:
        if problem not in _named:
            _named.add(problem)
            log.warning("%s", problem)


def markdown_table() -> str:
    """The README's table of settings (scripts and tests compare it to README.md)."""
    rows = ["| setting | default | type | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = "unset" if s.default is None else f"`{json.dumps(s.default)}`"
        where = " (earmark.json only)" if s.server_only else ""
        rows.append(f"| `{s.name}` | {default} | {s.type} | {s.meaning}{where} |")
    return "\n".join(rows)


class SettingsError(ValueError):
    """earmark.json cannot be read; the message names the file and the problem."""


def config_path() -> Path:
    return Path(os.environ.get("EARMARK_CONFIG") or CONFIG_FILE)


def load_config(path: Path | None = None) -> dict:
    """The parsed `earmark.json`, or {} when there is none."""
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path}, line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    if not isinstance(config, dict):
        raise SettingsError(f"{path} must hold a JSON object")
    return config


def configured_models(config: dict) -> dict[str, str]:
    """`models` of earmark.json: offered name -> `module:function`, checked.

    Raises SettingsError naming the entry that is not a name with a
    `module:function` string.
    """
    models = config.get("models") or {}
    if not isinstance(models, dict):
        raise SettingsError(f"{config_path()}: `models` must be an object of "
                            '{"name": "module:function"}, not ' + type(models).__name__)
    for name, target in models.items():
        module, sep, function = target.partition(":") if isinstance(target, str) else ("", "", "")
        if not (name.strip() and sep and module.strip() and function.strip()):
            raise SettingsError(f"{config_path()}: models.{name}: give \"module:function\", "
                                f"not {json.dumps(target)}")
    return {name: target.strip() for name, target in models.items()}


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def effective_settings(dataset: Dataset | None, config: dict | None = None) -> dict:
    """Defaults < earmark.json < earmark.json's `datasets.NAME` < the dataset's settings.

    Each layer is checked against `SETTINGS` first: a problem is logged (once)
    naming the file or dataset and the setting, and a value of the wrong type
    is left out, so its default applies.
    """
    config = load_config() if config is None else config
    path = config_path()
    usable, problems = check_settings(config, str(path), server=True)
    settings = _merge(DEFAULTS, {k: v for k, v in usable.items() if k != "datasets"})
    if dataset is not None:
        entry = (usable.get("datasets") or {}).get(dataset.name)
        if entry is not None and not isinstance(entry, dict):
            problems.append(f"{path}: `datasets.{dataset.name}` must be an object, not {json.dumps(entry)}; "
                            "ignored")
        elif entry:
            entry, found = check_settings(entry, f"{path}, datasets.{dataset.name}")
            problems += found
            settings = _merge(settings, entry)
        own, found = check_settings(dataset.settings, f"the settings of dataset {dataset.name!r}")
        problems += found
        settings = _merge(settings, own)
    _name_once(problems)
    return settings
