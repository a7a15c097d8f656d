"""The Python side of the waveform component: colours, peak packing, and the
protocol rules of `waveform_editor` (no browser needed)."""

from __future__ import annotations

import numpy as np
import pytest

import components.waveform as wfc
from components.waveform import PALETTE, encode_peaks, label_color, waveform_editor


class FakePeaks:
    def __init__(self, minmax, rate=100):
        self.minmax = np.asarray(minmax, dtype=np.int16)
        self.rate = rate
        self.channels = self.minmax.shape[0]
        self.duration = self.minmax.shape[1] / rate


def test_label_colours_match_the_browser_vectors():
    # the same vectors as frontend/test/colors.test.ts
    assert label_color("SPEECH") == "#303c54"
    assert label_color("NOISE") == "#968ad8"
    assert label_color("MUSIC") == "#909c00"
    assert label_color("trñ") == "#1f77b4"
    assert label_color("LAUGHTER") == "#06482a"
    assert all(label_color(n) in PALETTE for n in ["", "x", "<img src=x onerror=alert(1)>"])


def test_palette_is_the_one_of_the_frontend():
    import re
    from pathlib import Path
    ts = (Path(wfc.__file__).parent / "frontend" / "src" / "colors.ts").read_text()
    block = ts[ts.index("PALETTE"):ts.index("];")]
    assert tuple(re.findall(r'"(#[0-9a-f]{6})"', block)) == PALETTE


def test_peaks_pack_to_one_byte_of_amplitude_per_bucket_channel_major():
    minmax = [
        [[-32768, 32767], [0, 0], [-100, 50], [-16384, 100]],
        [[0, 1], [-1, 0], [-32767, 0], [0, 32767]],
    ]
    data, channels, rate = encode_peaks(FakePeaks(minmax))
    assert channels == 2 and rate == 100
    arr = np.frombuffer(data, dtype=np.uint8).reshape(2, 4)
    assert arr[0].tolist() == [255, 0, 1, 128]  # quiet but not silent stays visible
    assert arr[1].tolist() == [1, 1, 255, 255]
    with pytest.raises(ValueError):
        encode_peaks(FakePeaks(np.zeros((2, 4), dtype=np.int16)[..., None]))


def test_an_hour_of_stereo_peaks_is_720_kb():
    peaks = FakePeaks(np.zeros((2, 360_000, 2), dtype=np.int16))
    data, _, _ = encode_peaks(peaks)
    assert len(data) == 720_000


@pytest.fixture
def fake_component(monkeypatch):
    calls: list[dict] = []
    state = {"value": None}

    def component(**kwargs):
        calls.append(kwargs)
        return state["value"] if state["value"] is not None else kwargs.get("default")

    monkeypatch.setattr(wfc, "_component", component)
    return calls, state


def call(**over):
    args = dict(task_id="t1", audio_url="/api/media/x", duration=30.0, peaks=None,
                regions=[], labels=["A"], key="wf")
    args.update(over)
    return waveform_editor(**args)


def test_args_are_cleaned_and_labels_coloured(fake_component):
    calls, _ = fake_component
    call(
        regions=[{"id": 7, "start": 2.00049, "end": 1.0, "label": "A", "extra": 1}],
        labels=[{"name": "A"}, {"name": "B", "color": "#000000", "key": "b"}, "C", "A"],
        settings={"audio_rate": 1.5, "custom_theme": {"labels": {"C": "red"}}, "unknown": 1},
        keymap={"accept": ["k"], "reject": "j"},
        peaks=FakePeaks(np.zeros((1, 10, 2))),
    )
    a = calls[-1]
    assert a["regions"] == [{"id": "7", "start": 1.0, "end": 2.0, "label": "A", "channel": None}]
    assert a["labels"] == [
        {"name": "A", "color": PALETTE[0]},   # the first free one: far from black and red
        {"name": "B", "color": "#000000", "key": "b"},
        {"name": "C", "color": "red"},
    ]
    assert "unknown" not in a["settings"] and a["settings"]["audio_rate"] == 1.5
    assert a["keymap"] == {"accept": ["k"], "reject": "j"}
    assert isinstance(a["peaks"], bytes) and len(a["peaks"]) == 10
    assert a["key"] == "wf" and a["default"] is None


def test_returns_only_values_of_the_current_task_and_revision(fake_component):
    _, state = fake_component
    assert call() is None
    value = {"task_id": "t1", "revision": 0, "regions": [],
             "event": {"type": "created", "seq": 1, "id": "m-1", "time": 0}}
    state["value"] = value
    assert call() == value
    assert call(task_id="t2") is None  # a stale value of another task
    assert call(revision=1) is None  # made before Python replaced the regions
    state["value"] = {**value, "revision": 1}
    assert call(revision=1) == {**value, "revision": 1}
    state["value"] = "garbage"
    assert call() is None


def test_long_files_also_get_an_overview_of_group_maxima(fake_component):
    from components.waveform import OVERVIEW_POINTS, overview_bytes
    calls, _ = fake_component
    rng = np.random.default_rng(0)
    minmax = rng.integers(-20000, 20000, size=(2, 20_000, 2)).astype(np.int16)
    minmax[1, 12_345] = (-32768, 100)  # one loud bucket must survive
    call(peaks=FakePeaks(minmax))
    a = calls[-1]
    full = np.frombuffer(a["peaks"], dtype=np.uint8).reshape(2, -1)
    ov = np.frombuffer(a["peaks_overview"], dtype=np.uint8).reshape(2, -1)
    assert ov.shape[1] <= OVERVIEW_POINTS + 1 and ov.shape[1] >= OVERVIEW_POINTS // 2
    assert ov.max() == full.max() == 255 and ov[1].max() == 255 and ov[0].max() == full[0].max()
    assert overview_bytes(full[:, :100]) is None  # short files: the full peaks are the overview


def test_label_colours_of_a_label_set_are_distinct_and_stable():
    from components.waveform import label_colors
    # the labels take the palette in its order, whatever their names hash to
    names = ["SPEAKER_A", "SPEAKER_1", "NOISE"] + [f"L{i}" for i in range(14)]
    colors = label_colors(names)
    assert list(colors.values()) == list(PALETTE)
    assert colors == label_colors(names)                          # stable
    assert label_colors(names[:2]) == {"SPEAKER_A": PALETTE[0], "SPEAKER_1": PALETTE[1]}
    # A theme colour wins and is not handed to another label.
    themed = label_colors(["SPEAKER_A", "SPEAKER_C"], {"SPEAKER_C": PALETTE[0]})
    assert themed == {"SPEAKER_A": PALETTE[1], "SPEAKER_C": PALETTE[0]}
    # Past the palette every label still gets a colour, one of its own.
    many = label_colors([f"X{i}" for i in range(40)])
    assert set(PALETTE) <= set(many.values()) and len(set(many.values())) == 40


def test_editor_labels_get_distinct_colours():
    specs = wfc._clean_labels(["SPEAKER_A", {"name": "SPEAKER_1", "key": "2"}, "SPEAKER_A"], {})
    assert [s["name"] for s in specs] == ["SPEAKER_A", "SPEAKER_1"]
    assert specs[0]["color"] != specs[1]["color"] and specs[1]["key"] == "2"
