"""Settings: defaults, then `earmark.json` in the working directory, then the dataset's own.

Names are Prodigy's (design.md), so a Prodigy user's settings carry over.
`earmark.json` may also hold `access_code`, `allowed_sessions`, under
`datasets` settings for one dataset by name, and under `models` the
pre-annotators the web UI offers besides the built-in ones
(`{"name": "module:function"}`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from earmark.datasets import Dataset

CONFIG_FILE = "earmark.json"

DEFAULTS: dict = {
    "show_audio_cursor": True,
    "show_audio_cursor_time": True,
    "show_audio_timeline": True,
    "show_audio_minimap": True,
    "show_audio_spectrogram": False,
    "audio_spectrogram_max_freq": 8000,
    "audio_lanes": "channels",
    "audio_autoplay": False,
    "audio_loop": False,
    "audio_rate": 1.0,
    "audio_max_zoom": 5000,
    "audio_bar_width": 0,
    "audio_bar_height": 1,
    "audio_bar_gap": 0,
    "audio_bar_radius": 0,
    "feed_overlap": False,
    "keymap": {},
    "custom_theme": {"labels": {}},
}


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
    """Defaults < earmark.json < earmark.json's `datasets.NAME` < the dataset's settings."""
    config = load_config() if config is None else config
    settings = _merge(DEFAULTS, {k: v for k, v in config.items() if k != "datasets"})
    if dataset is not None:
        settings = _merge(settings, (config.get("datasets") or {}).get(dataset.name, {}))
        settings = _merge(settings, dataset.settings)
    return settings
