"""The waveform region editor: a bidirectional Streamlit component.

`waveform_editor` draws a recording from its server-side peaks while the audio
streams by URL, lets the annotator draw, move, resize, relabel and delete
regions (per channel on stereo), and returns the committed regions to Python.
The browser part lives in `frontend/` (TypeScript on wavesurfer.js 8); its
build, `frontend/dist/`, is committed so the app runs without Node.

Protocol (design.md, "Component protocol"): the component sends a value only
when an edit is committed (a region created, moved or resized at drag end,
removed, relabelled, its text changed, an undo or redo) or when an answer key
is pressed inside its frame. Every value carries the `task_id` and `revision`
it was made for, so a value from another task is never applied.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import streamlit.components.v1 as components

from components.waveform.colour_distance import ciede2000, contrast_ratio, parse_color, srgb_to_lab

if TYPE_CHECKING:  # the core's type; duck-typed at run time
    from earmark.audio.peaks import Peaks

__all__ = ["waveform_editor", "label_color", "label_colors", "PALETTE", "MIN_DISTANCE", "encode_peaks", "SETTING_NAMES"]

_FRONTEND_DIST = Path(__file__).parent / "frontend" / "dist"
# EARMARK_WAVEFORM_DEV_URL=http://localhost:5173 serves the frontend from vite's dev server.
_DEV_URL = os.environ.get("EARMARK_WAVEFORM_DEV_URL")
_component = (
    components.declare_component("waveform", url=_DEV_URL)
    if _DEV_URL
    else components.declare_component("waveform", path=str(_FRONTEND_DIST))
)

#: Default label colours, the same list and order as frontend/src/colors.ts: every
#: two at least 21 apart in CIEDE2000, each at least 3:1 against white (lines and
#: swatches on the page), in the order a dataset's labels take them (each the
#: farthest from those before it, so the first few differ most).
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#909c00", "#fc0000", "#720066", "#06482a", "#fc30fc", "#603600", "#00a290",
    "#a27e84", "#cc7e00", "#900c24", "#6636fc", "#303c54", "#7e7254", "#008424", "#968ad8",
    "#e40072",
)

#: Two labels of a dataset are never closer than this (CIEDE2000), see `label_colors`.
MIN_DISTANCE = 20.0

#: Settings the component understands (names as in Prodigy, see design.md).
SETTING_NAMES: frozenset[str] = frozenset({
    "show_audio_cursor", "show_audio_cursor_time", "show_audio_timeline", "show_audio_minimap",
    "audio_autoplay", "audio_loop", "audio_rate", "audio_max_zoom", "audio_bar_width",
    "audio_bar_height", "audio_bar_gap", "audio_bar_radius", "audio_min_region", "custom_theme",
    "show_audio_spectrogram", "audio_spectrogram_max_freq", "audio_lanes", "audio_vertical_zoom",
})


def test_hooks_wanted() -> bool:
    """Whether the browser side puts its state on `window` for tests (EARMARK_TEST_HOOKS=1)."""
    return os.environ.get("EARMARK_TEST_HOOKS") == "1"


def _fnv1a(text: str) -> int:
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def label_color(name: str) -> str:
    """The palette entry of a name's FNV-1a hash, as the browser computes it for a
    label it was given no colour for (a region's label outside the label list).
    Labels that Python colours take `label_colors`."""
    return PALETTE[_fnv1a(str(name)) % len(PALETTE)]


def _readable(rgb: tuple[int, int, int]) -> bool:
    return contrast_ratio(rgb, (255, 255, 255)) >= 3.0 and srgb_to_lab(rgb)[0] >= 25


@functools.lru_cache(maxsize=1)
def _spare_colors() -> tuple[tuple[str, tuple[float, float, float]], ...]:
    """Colours beyond the palette, for when it runs out: an sRGB grid of readable colours."""
    steps = range(0, 256, 17)
    grid = [(r, g, b) for r in steps for g in steps for b in steps]
    return tuple(("#%02x%02x%02x" % rgb, srgb_to_lab(rgb)) for rgb in grid if _readable(rgb))


@functools.lru_cache(maxsize=512)
def _lab_of(color: str) -> tuple[float, float, float] | None:
    rgb = parse_color(color)
    return srgb_to_lab(rgb) if rgb is not None else None


def label_colors(names: Sequence[str], theme: Mapping[str, str] | None = None) -> dict[str, str]:
    """The colour of each label of a set: the theme's, else one of its own.

    A label in `theme` (`custom_theme.labels`) keeps that colour as given.
    Every other label takes, in order, the first `PALETTE` colour at least
    `MIN_DISTANCE` (CIEDE2000) from every theme colour and from the labels
    before it; when none is left, the readable colour farthest from them. So a
    label's colour depends only on the theme and the labels before it: labels
    added after it never change it, and any two automatic colours of up to
    twelve labels (with up to two theme colours) are at least 20 apart.
    """
    theme = {str(k): str(v) for k, v in (theme or {}).items() if v}
    used = [lab for lab in map(_lab_of, theme.values()) if lab is not None]
    out: dict[str, str] = {}
    for name in names:
        if name in out:
            continue
        if name in theme:
            out[name] = theme[name]
            continue
        choice = None
        for color in PALETTE:
            lab = _lab_of(color)
            if lab is not None and all(ciede2000(lab, u) >= MIN_DISTANCE for u in used):
                choice = (color, lab)
                break
        if choice is None:
            choice = max(_spare_colors(), key=lambda c: min((ciede2000(c[1], u) for u in used), default=0.0))
        out[name] = choice[0]
        used.append(choice[1])
    return out


#: Points per channel of the overview a long file is first drawn from (frontend: OVERVIEW_POINTS).
OVERVIEW_POINTS = 4096


def _amplitude_bytes(peaks: Any) -> np.ndarray:
    minmax = np.asarray(peaks.minmax)
    if minmax.ndim != 3 or minmax.shape[2] != 2:
        raise ValueError(f"peaks.minmax must have shape (channels, buckets, 2), not {minmax.shape}")
    amp = np.abs(minmax.astype(np.int32)).max(axis=2)
    scaled = np.ceil(amp * (255.0 / 32767.0))
    return np.ascontiguousarray(np.clip(scaled, 0, 255).astype(np.uint8))


def overview_bytes(amplitude: np.ndarray, points: int = OVERVIEW_POINTS) -> bytes | None:
    """The max of each group of buckets, about `points` per channel; None when already that short."""
    ch, n = amplitude.shape
    if n <= points * 1.5:
        return None
    group = -(-n // points)
    m = -(-n // group)
    padded = np.zeros((ch, m * group), dtype=np.uint8)
    padded[:, :n] = amplitude
    return np.ascontiguousarray(padded.reshape(ch, m, group).max(axis=2)).tobytes()


def encode_peaks(peaks: Any) -> tuple[bytes, int, int]:
    """Pack peaks for the browser: one byte of |amplitude| per 10 ms bucket per channel.

    The renderer draws each bucket's largest absolute value, so min and max
    fold into one unsigned byte (1/255 of full scale, finer than a pixel of
    any lane); rounding up keeps quiet but non-silent audio visible. Channel-major.
    Returns (bytes, channels, buckets per second). A one-hour stereo file at
    100 buckets/s is 720 kB, sent as a binary argument (no base64).
    """
    out = _amplitude_bytes(peaks)
    return out.tobytes(), int(out.shape[0]), int(getattr(peaks, "rate", 100))


def _ms(x: Any) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"not a finite time: {x!r}")
    return round(v, 3)


def _clean_region(r: Mapping[str, Any]) -> dict[str, Any]:
    if "id" not in r or "start" not in r or "end" not in r:
        raise ValueError(f"a region needs id, start and end: {dict(r)!r}")
    start, end = _ms(r["start"]), _ms(r["end"])
    if end < start:
        start, end = end, start
    out: dict[str, Any] = {"id": str(r["id"]), "start": start, "end": end, "label": str(r.get("label") or "")}
    if r.get("color"):
        out["color"] = str(r["color"])
    ch = r.get("channel")
    out["channel"] = None if ch is None else int(ch)
    if r.get("text") is not None:
        out["text"] = str(r["text"])
    for key in ("score", "profile"):   # a model's confidence; the similarity of the voice profile it was named from
        value = r.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[key] = float(value)
    return out


def _clean_labels(labels: Sequence[Mapping[str, Any] | str], theme: Mapping[str, str]) -> list[dict[str, Any]]:
    specs: dict[str, dict[str, Any]] = {}
    for item in labels:
        spec = {"name": item} if isinstance(item, str) else dict(item)
        name = str(spec.get("name", ""))
        if name and name not in specs:
            specs[name] = spec
    given = {name: str(spec["color"]) for name, spec in specs.items() if spec.get("color")}
    colors = label_colors(list(specs), {**theme, **given})
    out: list[dict[str, Any]] = []
    for name, spec in specs.items():
        entry: dict[str, Any] = {"name": name, "color": colors[name]}
        if spec.get("key"):
            entry["key"] = str(spec["key"])
        out.append(entry)
    return out


def waveform_editor(
    *,
    task_id: str,
    audio_url: str,
    duration: float,
    peaks: "Peaks | None",
    regions: Sequence[Mapping[str, Any]],
    labels: Sequence[Mapping[str, Any] | str],
    editable: bool = True,
    settings: Mapping[str, Any] | None = None,
    keymap: Mapping[str, str | Sequence[str]] | None = None,
    revision: int = 0,
    key: str,
    height: int | None = None,
    file_name: str | None = None,
    spectrogram_url: str | None = None,
    spectrogram_offset: float = 0.0,
) -> dict[str, Any] | None:
    """Render the waveform region editor and return what the annotator committed.

    Args:
        task_id: identity of the task shown. A new task_id resets the editor
            (audio, regions, undo history); values always carry it back.
        audio_url: where the browser streams the audio from, e.g.
            `earmark.web.routes.media_url(media.id)` (served with HTTP Range),
            or a `data:` URI for small embedded audio.
        duration: length of the audio in seconds.
        peaks: the server's `earmark.audio.peaks.Peaks` (min/max per 10 ms per
            channel). With peaks nothing is downloaded whole before the
            waveform shows, and stereo shows one lane per channel. None makes
            the browser fetch and decode the whole file: small files only.
        regions: `{"id", "start", "end", "label", "color"?, "channel"?, "text"?}`
            in seconds (ms precision); channel None means all channels.
        labels: `{"name", "color"?, "key"?}` (or plain names). A label without
            colour gets `settings["custom_theme"]["labels"][name]`, else a
            distinct default (`label_colors`).
        editable: False shows regions read-only (the `audio` view).
        settings: the audio settings of design.md (`show_audio_cursor`,
            `show_audio_cursor_time`, `show_audio_timeline`,
            `show_audio_minimap`, `audio_autoplay`, `audio_loop`, `audio_rate`,
            `audio_max_zoom` (pixels per second), `audio_bar_width`,
            `audio_bar_height`, `audio_bar_gap`, `audio_bar_radius`,
            `custom_theme.labels`), plus `audio_min_region` (shortest region in
            seconds, default 0.02), `show_audio_spectrogram` (show the
            spectrogram lane at first, default False) and
            `audio_spectrogram_max_freq` (Hz at its top, default 8000) and
            `audio_lanes` (`"labels"`: one row per label, as ELAN and Praat
            tiers, and a drag on a row makes a region of that row's label;
            `"channels"`, the default: regions over the whole wave, or per
            channel lane on stereo). The toolbar's Lanes toggle switches it
            for the browser tab. `audio_vertical_zoom` (default 1): the
            waveform is drawn to the loudest peak in view, times this.
        keymap: action → key or keys, overriding the defaults of design.md.
            Actions: play_pause, play_region, accept, reject, ignore, undo,
            delete_region, undo_edit, redo_edit, zoom_in, zoom_out,
            vertical_zoom_in, vertical_zoom_out (shift+up / shift+down), seek_back,
            seek_forward, seek_back_long, seek_forward_long, rate_down,
            rate_up, loop, deselect (escape: no selection, no pending mark),
            nudge_start_back, nudge_start_forward, nudge_end_back,
            nudge_end_forward (10 ms steps of the selected region's edges, then
            the 0.5 s around the moved edge plays), toggle_spectrogram,
            mark_in (i), mark_out (o) (marks at the playhead: the second of a
            pair makes a region of the active label between the two),
            select_next (tab), select_previous (shift+tab) (the next /
            previous region by start time, wrapping, scrolled into view),
            label_1 … label_9 (the label of the next region; they relabel
            only a region selected by a click or tab, never one just drawn).
            Answer keys (accept, reject, ignore, undo) pressed inside the
            frame come back as `event.type == "key"`; on the page they are
            the page's to handle.
        revision: bump it when Python changes the regions of the same task
            (e.g. a reset or a pre-annotation): the editor then replaces its
            regions. Passing back what the editor sent, with the same
            revision, changes nothing on screen and sends nothing back.
        key: the Streamlit element key (required: it keeps the frame mounted
            across tasks).
        height: total height of the waveform lanes in pixels (default 150
            for mono, 100 per channel otherwise).
        file_name: the name shown when the audio cannot be loaded (default:
            the last part of the URL).
        spectrogram_url: the spectrogram route of the audio's media file
            (`earmark.web.spectrogram_route.spectrogram_url`, with `?channel=`
            for one channel); the browser adds the window and size it shows.
            None: no spectrogram, no button.
        spectrogram_offset: the media file's time at the component's time 0
            (the start of a segment's clip), since the route takes file times.

    Returns:
        The last committed value `{"task_id", "revision", "regions", "event"}`
        when it belongs to this `task_id` (and is not older than `revision`),
        else None: a stale value of another task is never returned. `event`
        is `{"type", "region_id"?, "action"?, "seq", "id", "time"}` with type
        one of created, updated, removed, relabelled, undo, redo, key (and
        action one of accept, reject, ignore, undo for forwarded keys);
        `id` is unique per event, `seq` increases per mount, `time` is Unix
        seconds. The same value is returned on later reruns until a new one
        arrives: compare `event["id"]` to act on each event once.
    """
    settings = dict(settings or {})
    theme_labels: dict[str, str] = {}
    theme = settings.get("custom_theme")
    if isinstance(theme, Mapping) and isinstance(theme.get("labels"), Mapping):
        theme_labels = {str(k): str(v) for k, v in theme["labels"].items()}
    clean_settings = {k: v for k, v in settings.items() if k in SETTING_NAMES}

    peak_bytes: bytes | None = None
    overview: bytes | None = None
    peak_channels, peak_rate = 1, 100
    if peaks is not None:
        amplitude = _amplitude_bytes(peaks)
        peak_bytes, peak_channels = amplitude.tobytes(), int(amplitude.shape[0])
        peak_rate = int(getattr(peaks, "rate", 100))
        overview = overview_bytes(amplitude)

    value = _component(
        task_id=str(task_id),
        audio=str(audio_url),
        file_name=file_name,
        duration=float(duration),
        peaks=peak_bytes,
        peaks_overview=overview,
        peaks_channels=peak_channels,
        peaks_rate=peak_rate,
        regions=[_clean_region(r) for r in regions],
        labels=_clean_labels(labels, theme_labels),
        editable=bool(editable),
        settings=clean_settings,
        keymap={str(k): (v if isinstance(v, str) else [str(x) for x in v]) for k, v in (keymap or {}).items()},
        revision=int(revision),
        wave_height=height,
        spectrogram=str(spectrogram_url) if spectrogram_url else None,
        spectrogram_offset=float(spectrogram_offset),
        test_hooks=test_hooks_wanted(),
        key=key,
        default=None,
    )
    if not isinstance(value, Mapping):
        return None
    if str(value.get("task_id")) != str(task_id):
        return None
    try:
        if int(value.get("revision", 0)) < int(revision):
            return None
    except (TypeError, ValueError):
        return None
    return dict(value)
