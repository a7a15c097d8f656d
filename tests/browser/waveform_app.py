"""A small Streamlit app around the waveform component, for browser tests and benchmarks.

It behaves like an annotation page: it keeps each task's regions in the
session, applies the values the component sends (only those `waveform_editor`
returns, i.e. of the current task), moves to the next task on a forwarded
accept/reject/ignore key and back on undo, and prints its whole state as JSON
in a keyed container (`.st-key-wf_state`) for the tests to read.

Run by hand: `EARMARK_DB=/tmp/wf.duckdb streamlit run tests/browser/waveform_app.py`
then open `/?scenario=basic` (scenarios below, or more from the JSON file
named by `WF_SCENARIOS`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from earmark.web.routes import media_url, routes  # noqa: E402
from earmark.web.spectrogram_route import spectrogram_url  # noqa: E402

app = st.App(__file__, routes=routes())

CORPUS = Path(os.environ.get("EARMARK_CORPUS", ROOT.parent / "shared" / "corpus"))
XSS_LABEL = "<img src=x onerror=alert(1)>"


def builtin_scenarios() -> dict[str, dict]:
    mono = str(CORPUS / "diarization" / "trn01.wav")
    stereo = str(CORPUS / "formats" / "bobby_16bit_16khz_2ch.wav")
    labels = [{"name": "SPEECH"}, {"name": "NOISE"}, {"name": "MUSIC"}]
    many = [
        str(CORPUS / "diarization" / n)
        for n in ("trn01.wav", "trn02.wav", "trn03.wav", "trñ00.wav")
    ] + [str(CORPUS / "praat" / "bobby.wav"), stereo, str(CORPUS / "formats" / "bobby_16bit_48khz.wav")]
    return {
        "basic": {"labels": labels, "tasks": [{"id": "t-basic", "path": mono, "regions": []}]},
        "prefilled": {
            "labels": labels,
            "tasks": [{
                "id": "t-prefilled", "path": mono,
                "regions": [
                    {"id": "r1", "start": 5.0, "end": 10.0, "label": "SPEECH"},
                    {"id": "r2", "start": 15.0, "end": 20.0, "label": "NOISE"},
                ],
            }],
        },
        "stereo": {"labels": labels, "tasks": [{"id": "t-stereo", "path": stereo, "regions": []}]},
        # three regions listed out of time order (tab / shift+tab go by start time)
        "three": {
            "labels": labels,
            "tasks": [{
                "id": "t-three", "path": mono,
                "regions": [
                    {"id": "rb", "start": 10.0, "end": 12.0, "label": "NOISE"},
                    {"id": "ra", "start": 3.0, "end": 5.0, "label": "SPEECH"},
                    {"id": "rc", "start": 24.0, "end": 26.0, "label": "MUSIC"},
                ],
            }],
        },
        "readonly": {
            "labels": labels, "editable": False,
            "tasks": [{
                "id": "t-ro", "path": mono,
                "regions": [{"id": "r1", "start": 5.0, "end": 10.0, "label": "SPEECH"}],
            }],
        },
        "xss": {
            "labels": [{"name": XSS_LABEL}, {"name": "SPEECH"}],
            "tasks": [{
                "id": "t-xss", "path": mono,
                "regions": [{"id": "r1", "start": 2.0, "end": 6.0, "label": XSS_LABEL, "text": "<b>bold?</b>"}],
            }],
        },
        "switch": {
            "labels": labels,
            "tasks": [
                {
                    "id": f"t-switch-{i}", "path": many[i % len(many)],
                    "regions": [{
                        "id": f"s{i}", "start": 0.1 + 0.05 * i,
                        "end": 0.6 + 0.05 * i, "label": labels[i % 3]["name"],
                    }],
                }
                for i in range(7)
            ],
        },
        "remapped": {
            "labels": [{"name": "SPEECH", "key": "s"}, {"name": "NOISE", "key": "n"}],
            "keymap": {"accept": "k"},
            "tasks": [{"id": "t-remap", "path": mono, "regions": []}],
        },
        "settings": {
            "labels": [{"name": "SPEECH"}, {"name": "NOISE", "color": "#00aa00"}, {"name": "SPEAKER_A"}],
            "settings": {
                "show_audio_timeline": False, "show_audio_minimap": False, "show_audio_cursor": False,
                "show_audio_cursor_time": False, "audio_rate": 1.5, "audio_loop": True,
                "audio_bar_width": 0, "audio_max_zoom": 200,
                "custom_theme": {"labels": {"SPEECH": "rgb(200, 0, 200)"}},
            },
            "tasks": [{"id": "t-settings", "path": mono, "regions": [
                {"id": "r1", "start": 5.0, "end": 10.0, "label": "SPEECH"},
                {"id": "r2", "start": 12.0, "end": 14.0, "label": "OTHER"},
                # not listed, and its hashed colour is listed SPEAKER_A's: it gets another
                {"id": "r3", "start": 16.0, "end": 18.0, "label": "SPEAKER_9"}]}],
        },
        "missing": {
            "labels": labels,
            "tasks": [{"id": "t-missing", "path": mono, "regions": [], "break_audio": True}],
        },
        # spectrogram: "spectrogram" passes the media file's spectrogram URL
        "spectro": {
            "labels": labels, "spectrogram": True,
            "tasks": [
                {"id": "t-spectro-1", "path": mono, "regions": [
                    {"id": "r1", "start": 5.0, "end": 10.0, "label": "SPEECH"},
                    {"id": "r2", "start": 15.0, "end": 20.0, "label": "NOISE"}]},
                {"id": "t-spectro-2", "path": str(CORPUS / "praat" / "bobby.wav"), "regions": []},
            ],
        },
        "spectro_on": {
            "labels": labels, "spectrogram": True,
            "settings": {"show_audio_spectrogram": True, "audio_spectrogram_max_freq": 4000},
            "tasks": [{"id": "t-spectro-on", "path": mono, "regions": []}],
        },
        "spectro_stereo": {
            "labels": labels, "spectrogram": True, "settings": {"show_audio_spectrogram": True},
            "tasks": [{"id": "t-spectro-stereo", "path": stereo, "regions": [
                {"id": "r1", "start": 0.2, "end": 0.6, "label": "SPEECH", "channel": 1}]}],
        },
        "spectro_readonly": {
            "labels": labels, "spectrogram": True, "editable": False,
            "settings": {"show_audio_spectrogram": True},
            "tasks": [{"id": "t-spectro-ro", "path": mono, "regions": [
                {"id": "r1", "start": 5.0, "end": 10.0, "label": "SPEECH"}]}],
        },
        # lanes per label: overlapping regions of three labels, one label not in the list, a short region
        "lanes": {
            "labels": labels, "settings": {"audio_lanes": "labels"},
            "tasks": [{"id": "t-lanes", "path": mono, "regions": [
                {"id": "r1", "start": 2.0, "end": 9.0, "label": "SPEECH"},
                {"id": "r2", "start": 4.0, "end": 12.0, "label": "NOISE"},
                {"id": "r3", "start": 6.0, "end": 14.0, "label": "MUSIC"},
                {"id": "r4", "start": 8.0, "end": 10.0, "label": "SPEECH"},
                {"id": "r5", "start": 16.0, "end": 18.0, "label": "LAUGH"},
                {"id": "r6", "start": 20.0, "end": 20.06, "label": "NOISE"}]}],
        },
        # eight labels: rows of 150 / 8 px would be too thin, the wave grows
        "lanes_many": {
            "labels": [{"name": f"SPK{i}"} for i in range(1, 9)], "settings": {"audio_lanes": "labels"},
            "tasks": [{"id": "t-lanes-many", "path": mono, "regions": [
                {"id": f"m{i}", "start": 1.0 + i, "end": 6.0 + i, "label": f"SPK{i}"} for i in range(1, 9)]}],
        },
        "lanes_xss": {
            "labels": [{"name": XSS_LABEL}, {"name": "SPEECH"}], "settings": {"audio_lanes": "labels"},
            "tasks": [{"id": "t-lanes-xss", "path": mono, "regions": [
                {"id": "r1", "start": 2.0, "end": 6.0, "label": XSS_LABEL}]}],
        },
        "lanes_stereo": {
            "labels": labels, "settings": {"audio_lanes": "labels"},
            "tasks": [{"id": "t-lanes-stereo", "path": stereo, "regions": [
                {"id": "r1", "start": 0.2, "end": 0.6, "label": "NOISE", "channel": 1},
                {"id": "r2", "start": 0.3, "end": 0.9, "label": "SPEECH"}]}],
        },
        "spectro_broken": {
            "labels": labels, "spectrogram": True, "break_spectrogram": True,
            "settings": {"show_audio_spectrogram": True},
            "tasks": [{"id": "t-spectro-broken", "path": mono, "regions": []}],
        },
    }


def load_scenarios() -> dict[str, dict]:
    scenarios = builtin_scenarios()
    extra = os.environ.get("WF_SCENARIOS")
    if extra:
        scenarios.update(json.loads(Path(extra).read_text(encoding="utf-8")))
    return scenarios


@st.cache_resource(show_spinner=False)
def prepare(path: str):
    """Register a file and compute its peaks once per server."""
    from earmark.db.media import register_media
    from earmark.audio.peaks import get_peaks
    from earmark.db.store import get_store

    store = get_store()
    media = register_media(store, path)
    peaks = get_peaks(store, media.id)
    return media, peaks


def main() -> None:
    from components.waveform import waveform_editor

    st.set_page_config(page_title="waveform test", layout="wide")
    name = st.query_params.get("scenario", "basic")
    scenarios = load_scenarios()
    if name not in scenarios:
        st.error(f"unknown scenario {name!r}")
        st.stop()
    scen = scenarios[name]
    tasks = scen["tasks"]
    ss = st.session_state
    if ss.get("scenario") != name:
        ss.clear()
        ss.scenario = name
        ss.idx = 0
        ss.regions = {t["id"]: list(t.get("regions", [])) for t in tasks}
        ss.revisions = {t["id"]: 0 for t in tasks}
        ss.last_event = None
        ss.log = []
        ss.answers = []
        ss.runs = 0
    ss.runs += 1

    # navigation first, so that a click shows the new task in this same run
    cols = st.columns(4)
    if cols[0].button("Previous task", key="prev"):
        ss.idx = max(0, ss.idx - 1)
    if cols[1].button("Next task", key="next"):
        ss.idx = min(len(tasks) - 1, ss.idx + 1)
    task = tasks[ss.idx]
    tid = task["id"]
    if cols[2].button("Reset regions", key="reset"):
        ss.regions[tid] = list(task.get("regions", []))
        ss.revisions[tid] += 1
    cols[3].text_input("Notes", key="notes")

    media, peaks = prepare(task["path"])
    # a registered-looking id that is not in the database: the route answers 404
    url = "/api/media/" + "0" * 32 if task.get("break_audio") else media_url(media.id)
    raw = ss.get("wf")
    duration = float(peaks.duration if media.duration is None else media.duration)
    value = waveform_editor(
        task_id=tid,
        audio_url=url,
        duration=duration,
        peaks=None if scen.get("no_peaks") else peaks,
        regions=ss.regions[tid],
        labels=scen.get("labels", []),
        editable=scen.get("editable", True),
        settings=scen.get("settings"),
        keymap=scen.get("keymap"),
        revision=ss.revisions[tid],
        key="wf",
        file_name=Path(task["path"]).name,
        spectrogram_url=(None if not scen.get("spectrogram") else
                         # an id that is not in the database: the route answers 404
                         spectrogram_url("0" * 32) if scen.get("break_spectrogram") else spectrogram_url(media.id)),
    )
    received_at = time.time()
    if isinstance(raw, dict) and raw.get("event", {}).get("id") != (ss.get("last_raw_id")):
        ss.last_raw_id = raw.get("event", {}).get("id")
        ss.log.append({
            "event": raw.get("event"), "value_task": raw.get("task_id"), "current_task": tid,
            "applied": value is not None, "received_at": received_at,
        })
    rerun = False
    if value is not None and value["event"]["id"] != ss.last_event:
        ss.last_event = value["event"]["id"]
        ss.regions[tid] = value["regions"]
        ev = value["event"]
        if ev["type"] == "key":
            ss.answers.append({"task": tid, "action": ev.get("action")})
            if ev.get("action") in ("accept", "reject", "ignore") and ss.idx < len(tasks) - 1:
                ss.idx += 1
                rerun = True
            elif ev.get("action") == "undo" and ss.idx > 0:
                ss.idx -= 1
                rerun = True

    state = {
        "scenario": name, "index": ss.idx, "task": tid, "runs": ss.runs,
        "audio_url": url, "duration": duration,
        "regions": ss.regions[tid], "revision": ss.revisions[tid],
        "value": value, "log": ss.log[-50:], "log_size": len(ss.log),
        "answers": ss.answers, "all_regions": ss.regions,
    }
    if scen.get("compact_state"):
        # large tasks (benchmarks): print little, so the page's own rendering stays cheap
        state["regions"] = [r for r in ss.regions[tid]][:0]
        state["region_count"] = len(ss.regions[tid])
        state["all_regions"] = {}
        if value is not None:
            state["value"] = {**value, "regions": len(value["regions"])}
    with st.container(key="wf_state"):
        # plain text: a code block's syntax highlighter would load the page's main thread,
        # which the component's frame shares
        st.text(json.dumps(state, ensure_ascii=False))
    if rerun:
        st.rerun()


if __name__ == "__main__":
    main()
