"""The clips export loads in Hugging Face `datasets` (`audiofolder`): one split, every row, every column.

Clips cut from files named like splits (`dev00.wav`, `test_a.wav`) once made a
"validation" split of half the rows without their metadata. `datasets` runs in
a child process with HF_DATASETS_OFFLINE=1 and HF_HOME in the test's folder:
it never reaches the network and writes nothing outside tmp_path.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from earmark.annotations import get_task, save_annotation
from earmark.formats.export import export_clips
from earmark.loading.loader import load_sources

ROOT = Path(__file__).resolve().parents[2]
RATE = 16000

# datasets 5 imports torch and torchcodec before encoding any audio value, even a
# path it stores as it is ({"path": ..., "bytes": None}); neither is installed here,
# so the child stands in for that step for paths alone (anything else still fails).
LOAD = """
import json, sys
import datasets
from datasets import Audio, load_dataset

real_encode = Audio.encode_example
Audio.encode_example = lambda self, value: ({"bytes": None, "path": value} if isinstance(value, str)
                                            else real_encode(self, value))
loaded = load_dataset("audiofolder", data_dir=sys.argv[1], cache_dir=sys.argv[2])
out = {}
for split, rows in loaded.items():
    rows = rows.cast_column("audio", Audio(decode=False))   # rows read, never decoded
    out[split] = {"columns": rows.column_names, "rows": [dict(r) for r in rows]}
print(json.dumps(out))
"""


def stereo_wav(path: Path, seconds: float = 1.0) -> Path:
    n = np.arange(int(RATE * seconds))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.stack([n % 1000, -(n % 1000)], axis=1).astype("<i2").tobytes())
    return path


def load_in_datasets(folder: Path, tmp_path: Path) -> dict:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets"), "HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", LOAD, str(folder), str(tmp_path / "hf" / "cache")],
                          check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_clips_of_files_named_like_splits_load_as_one_train_split_with_every_column(store, tmp_path):
    dev, test = stereo_wav(tmp_path / "dev00.wav"), stereo_wav(tmp_path / "test_a.wav", 1.5)
    report = load_sources(store, "c", [dev, test])
    assert report.failures == [] and len(report.task_ids) == 2
    dev_task, test_task = (get_task(store, i) for i in report.task_ids)
    save_annotation(store, dev_task, "accept", "ann", edits={"audio_spans": [
        {"id": "a", "start": 0.1, "end": 0.4, "label": "SPK1", "text": "hello, \"world\"", "channel": 0},
        {"id": "b", "start": 0.5, "end": 0.75, "label": "SPK2"}]})
    save_annotation(store, test_task, "accept", "bob", edits={"audio_spans": [
        {"id": "c", "start": 0.0, "end": 0.5, "label": "SPK1", "text": "é", "channel": 1},
        {"id": "d", "start": 1.0, "end": 1.5, "label": "SPK3"}]})
    out = tmp_path / "out"
    assert export_clips(store, "c", out) == 4
    assert sorted(p.name for p in out.iterdir()) == ["train"]
    with open(out / "train" / "metadata.csv", encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh))
    names = [r["file_name"] for r in written]
    assert names[0].startswith("dev00_") and names[2].startswith("test_a_")    # the names a split rule catches

    loaded = load_in_datasets(out, tmp_path)
    assert list(loaded) == ["train"]
    train = loaded["train"]
    assert train["columns"] == ["audio", "label", "text", "start", "end", "channel", "source", "annotator"]
    rows = sorted(train["rows"], key=lambda r: Path(r["audio"]["path"]).name)
    assert [Path(r["audio"]["path"]) for r in rows] == [out / "train" / n for n in sorted(names)]
    assert all(Path(r["audio"]["path"]).is_file() and r["audio"]["bytes"] is None for r in rows)
    got = [{k: v for k, v in r.items() if k != "audio"} for r in rows]
    assert got == [
        {"label": "SPK1", "text": 'hello, "world"', "start": 0.1, "end": 0.4, "channel": 1.0,   # channels from 1
         "source": str(dev), "annotator": "ann"},
        {"label": "SPK2", "text": None, "start": 0.5, "end": 0.75, "channel": None,
         "source": str(dev), "annotator": "ann"},
        {"label": "SPK1", "text": "é", "start": 0.0, "end": 0.5, "channel": 2.0,
         "source": str(test), "annotator": "bob"},
        {"label": "SPK3", "text": None, "start": 1.0, "end": 1.5, "channel": None,
         "source": str(test), "annotator": "bob"}]
    # each row's clip is its window and channel
    with wave.open(rows[0]["audio"]["path"], "rb") as clip:
        assert (clip.getnchannels(), clip.getnframes()) == (1, round(0.3 * RATE))
    with wave.open(rows[3]["audio"]["path"], "rb") as clip:
        assert (clip.getnchannels(), clip.getnframes()) == (2, round(0.5 * RATE))
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*"))
