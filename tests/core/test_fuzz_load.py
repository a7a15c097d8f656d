"""A seeded fuzz of `python -m earmark load`: hostile audio, JSONL and spans files.

Inputs: corpus WAVs with flipped bytes, overwritten header fields and
truncations; WAV headers built with impossible fields (sample rates 0, 1,
2^31, 2^32 - 1, 0 bits, 0 channels, huge data sizes); JSONL lines with random
types in every field, NaN and Infinity, huge integers, bad UTF-8 and deep
nesting; RTTM and Audacity label lines with hostile times, channels and bytes.

The audio folder is loaded three times: whole files, and cut by `--segment
silence` and `--segment window:...` with `--split-channels` (the decoding and
splitting paths). The command line's own entry (`earmark.cli.main`, in this
process; the spans run as a subprocess) must exit 0 (something good loads every time), print no
traceback, and account for every input: it is either loaded (a task holds it)
or named on stderr (its file, or file:line). Every stored task must pass the
validator and give the Annotate page its audio (`task_audio`) without raising.
The counts are printed (`pytest -s`) and quoted in README.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from earmark.annotations import get_task
from earmark.cli import main
from earmark.db.media import get_media
from earmark.db.store import open_store
from earmark.loading.validate import task_problem
from earmark.web.task_audio import task_audio

from .crafted import wav_bytes

SEED = 20261201


@dataclass
class Tally:
    cases: int = 0
    named: int = 0
    loaded: int = 0
    tracebacks: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"Fuzz test: {self.cases} cases, {self.named} named, {self.loaded} loaded, "
                f"{self.tracebacks} tracebacks")


def run_cli(args: list[str], tally: Tally) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except BaseException:  # noqa: BLE001 - any escape is the defect this test looks for
        tally.tracebacks += 1
        tally.problems.append(traceback.format_exc())
        return -1, out.getvalue(), err.getvalue()
    if "Traceback" in err.getvalue():
        tally.tracebacks += 1
        tally.problems.append(err.getvalue())
    return code, out.getvalue(), err.getvalue()


def named_origins(stderr: str) -> list[str]:
    """The origin of every `failed: ORIGIN: reason` line."""
    return [line[len("failed: "):] for line in stderr.splitlines() if line.startswith("failed: ")]


def is_named(origin: str, failures: list[str]) -> bool:
    return any(f.startswith(origin + ": ") for f in failures)


def counts(stdout: str) -> tuple[int, int, int]:
    # "<dataset>: added N, skipped M duplicates, failed K"
    words = stdout.strip().splitlines()[-1].replace(",", "").split()
    return int(words[-6]), int(words[-4]), int(words[-1])


# -- inputs ----------------------------------------------------------------------
def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    kind = rng.choice(["header_flip", "flip", "truncate", "field", "junk", "field_and_truncate"])
    if kind in ("header_flip", "flip"):
        span = 64 if kind == "header_flip" else len(buf)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(min(span, len(buf)))] ^= 1 << rng.randrange(8)
    if kind in ("field", "field_and_truncate"):
        # a 2- or 4-byte header field (chunk sizes, format tag, channels, rate, ...) set to an extreme
        offset = rng.choice([4, 16, 20, 22, 24, 28, 32, 34, 40])
        value = rng.choice([0, 1, 0xFFFF, 2 ** 31, 2 ** 32 - 1, rng.getrandbits(32)])
        width = 2 if offset in (20, 22, 32, 34) else 4
        buf[offset:offset + width] = (value & (2 ** (8 * width) - 1)).to_bytes(width, "little")
    if kind in ("truncate", "field_and_truncate"):
        del buf[rng.randrange(1, len(buf)):]
    if kind == "junk":
        buf += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
    return bytes(buf)


CRAFTED = [
    dict(rate=0), dict(rate=1), dict(rate=999), dict(rate=768001), dict(rate=2 ** 31),
    dict(rate=2 ** 32 - 1), dict(bits=0, block_align=2), dict(channels=0, block_align=2),
    dict(block_align=0), dict(data_size=2 ** 32 - 1), dict(data_size=2 ** 31),
    dict(channels=2, block_align=2), dict(tag=3, bits=16), dict(tag=0x55, bits=0, block_align=1),
    dict(tag=0x1234), dict(frames=0), dict(channels=65535, block_align=65535 * 2 & 0xFFFF, frames=1),
    dict(bits=24), dict(bits=8), dict(rate=768000), dict(rate=1000),
]


def audio_folder(root: Path, corpus: Path, rng: random.Random) -> Path:
    folder = root / "audio"
    folder.mkdir()
    sources = sorted([*(corpus / "formats").glob("*.wav"), corpus / "praat" / "bobby.wav",
                      corpus / "diarization" / "empty.wav"])
    for i in range(40):
        data = mutate(rng.choice(sources).read_bytes(), rng)
        suffix = rng.choice([".wav"] * 8 + [".mp3", ".flac"])
        (folder / f"mutated_{i:02d}{suffix}").write_bytes(data)
    for i, fields in enumerate(CRAFTED):
        (folder / f"crafted_{i:02d}.wav").write_bytes(wav_bytes(seed=100 + i, **fields))
    for i in range(4):
        (folder / f"good_{i}.wav").write_bytes(wav_bytes(seed=200 + i))
    with open(os.fsencode(folder) + b"/not_utf8_\xff\xfe.wav", "wb") as fh:
        fh.write(wav_bytes(seed=300))
    (folder / "empty.wav").write_bytes(b"")
    return folder


class Raw(str):
    """JSON text written as it is (NaN, Infinity, deep nesting, huge numbers, escapes)."""


def dump(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def random_value(rng: random.Random, depth: int = 0) -> object:
    """A random JSON value: mostly plain ones, sometimes the worst a parser meets."""
    if rng.random() < 0.25:
        return rng.choice([
            Raw(rng.choice(["NaN", "Infinity", "-Infinity"])),
            rng.choice([2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 30]),
            Raw("[" * 3000 + "]" * 3000),
            Raw("9" * 5000),
            Raw('"\\udcff"'),
        ])
    choices = [
        lambda: rng.choice(["", "x", "名前", "<b>bold</b>", "a\nb", "0", "1.5", "NaN"]),
        lambda: rng.randint(-5, 5),
        lambda: rng.uniform(-10, 100),
        lambda: rng.choice([True, False, None]),
    ]
    if depth < 2:
        choices += [lambda: [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))],
                    lambda: {rng.choice(["start", "end", "label", "channel", "id", "text"]):
                             random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}]
    return rng.choice(choices)()


def random_span(rng: random.Random, duration: float) -> object:
    if rng.random() < 0.5:   # a good one
        start = round(rng.uniform(0, duration), 3)
        return {"start": start, "end": round(rng.uniform(start, duration), 3), "label": rng.choice("AB")}
    span = {"start": rng.uniform(0, duration), "end": rng.uniform(0, 2 * duration), "label": "A"}
    span[rng.choice(["start", "end", "label", "channel", "id", "text", "score", "color"])] = random_value(rng)
    return span


TASK_KEYS = ["audio", "path", "file", "meta", "audio_spans", "segment", "transcript", "text",
             "tokens", "spans", "words", "_input_hash", "_task_hash", "label"]


def jsonl_file(root: Path, goods: list[tuple[Path, float]], rng: random.Random, lines: int = 220) -> Path:
    out: list[bytes] = []
    for n in range(lines):
        path, duration = rng.choice(goods)
        task: dict = {"audio": str(path) if rng.random() < 0.8 else f"https://example.org/{n}.mp3",
                      "meta": {"n": n}}
        for _ in range(rng.randint(0, 3)):
            key = rng.choice(TASK_KEYS)
            if key == "audio_spans" and rng.random() < 0.6:
                task[key] = [random_span(rng, duration) for _ in range(rng.randint(1, 3))]
            elif key == "segment" and rng.random() < 0.5:
                start = round(rng.uniform(0, duration), 3)
                task[key] = {"start": start, "end": rng.choice([round(rng.uniform(start, duration), 3),
                                                                  Raw("NaN"), "1", duration * 3])}
            else:
                task[key] = random_value(rng)
        line = dump(task).encode("utf-8")
        roll = rng.random()
        if roll < 0.05:
            at = rng.randrange(len(line))
            line = line[:at] + b"\xff\xc3" + line[at:]            # bytes that are not UTF-8
        elif roll < 0.08:
            line = line[: rng.randrange(1, len(line))]            # cut short
        out.append(line)
    source = root / "tasks.jsonl"
    source.write_bytes(b"\n".join(out) + b"\n")
    return source


NUMBERS = ["0.5", "1", "nan", "inf", "-inf", "-1", "1e20", "1e308", "x", "", "0x10", "1_0", "NaN"]
CHANNELS = ["1", "2", "<NA>", "0", "-1", "1e20", "99999999999999999999", "x"]


def spans_files(root: Path, stems: list[str], rng: random.Random) -> list[Path]:
    rttm = root / "hostile.rttm"
    lines = []
    for n in range(1, 71):
        onset = rng.choice(["0.1", "0.2", "0.05"] if rng.random() < 0.4 else NUMBERS)
        length = rng.choice(["0.1", "0.3"] if rng.random() < 0.4 else NUMBERS)
        channel = rng.choice(["1"] if rng.random() < 0.5 else CHANNELS)
        label = f"R{n}".encode() if rng.random() < 0.9 else b"\xff\xfe"
        fields = [b"SPEAKER", rng.choice(stems).encode(), channel.encode(), onset.encode(), length.encode(),
                  b"<NA>", b"<NA>", label, b"<NA>", b"<NA>"]
        if rng.random() < 0.05:
            fields = fields[: rng.randint(1, 7)]
        lines.append(b" ".join(f or b"?" for f in fields))
    rttm.write_bytes(b"\n".join(lines) + b"\n")
    labels = root / f"{stems[0]}.txt"
    lines = []
    for n in range(1, 41):
        start = rng.choice(["0.1", "0.2"] if rng.random() < 0.4 else NUMBERS)
        end = rng.choice(["0.3", "0.05"] if rng.random() < 0.4 else NUMBERS)
        label = f"T{n}".encode() if rng.random() < 0.9 else b"caf\xe9"
        lines.append(b"\t".join([start.encode() or b"?", end.encode() or b"?", label]))
    labels.write_bytes(b"\n".join(lines) + b"\n")
    return [rttm, labels]


# -- checks ----------------------------------------------------------------------
def check_stored(db: Path, tally: Tally) -> None:
    """Every stored task passes the validator and gives the Annotate page its audio."""
    store = open_store(db)
    for (task_id,) in store.query("SELECT id FROM tasks ORDER BY id"):
        task = get_task(store, task_id)
        media = get_media(store, task.media_id) if task.media_id else None
        problem = task_problem(task.data, duration=media.duration if media else None,
                               channels=media.channels if media else None)
        if problem:
            tally.problems.append(f"stored task {task_id} fails the validator: {problem}")
        try:
            task_audio(store, task)
        except Exception:  # noqa: BLE001
            tally.tracebacks += 1
            tally.problems.append(f"task_audio({task_id}):\n{traceback.format_exc()}")


def account_for_files(files: list[Path], failures: list[str], db: Path, tally: Tally,
                      context: str) -> tuple[int, int]:
    """(named, loaded) of a folder's files; a file that is neither is a problem.
    A file not named counts as loaded when a task holds it, or holds a file of the
    same bytes (it was then skipped as that one's duplicate)."""
    stored = stored_files(db)
    shown = {path: os.fsencode(path).decode("utf-8", "replace") for path in files}
    stored_bytes = {path.read_bytes() for path in files if Path(shown[path]).name in stored}
    named = loaded = 0
    for path in files:
        if is_named(shown[path], failures):
            named += 1
        elif Path(shown[path]).name in stored or path.read_bytes() in stored_bytes:
            loaded += 1
        else:
            tally.problems.append(f"{context}{shown[path]}: neither loaded nor named")
    return named, loaded


def stored_files(db: Path) -> set[str]:
    return {json.loads(t).get("file") for (t,) in open_store(db).query("SELECT task FROM tasks")}


def test_fuzzed_loads_name_every_bad_input_and_load_the_rest(corpus, tmp_path, root):
    rng = random.Random(SEED)
    tally = Tally()

    # 1. a folder of mutated, crafted and good audio files (the in-process entry)
    folder = audio_folder(tmp_path, corpus, rng)
    db = tmp_path / "audio.duckdb"
    code, out, err = run_cli(["load", "audio", str(folder), "--db", str(db)], tally)
    assert code == 0, err
    files = sorted(folder.iterdir())
    named, loaded = account_for_files(files, named_origins(err), db, tally, "")
    tally.cases += len(files)
    tally.named += named
    tally.loaded += loaded
    added, skipped, failed = counts(out)
    assert failed == named
    assert added + skipped == loaded, (added, skipped, loaded)
    check_stored(db, tally)

    # 1b. the same folder cut into segments, one task per channel (the long-recordings path)
    for segment in ("silence", "window:0.05:0.01"):
        db = tmp_path / f"segments-{segment[:6]}.duckdb"
        code, out, err = run_cli(["load", "segments", str(folder), "--segment", segment, "--split-channels",
                                  "--db", str(db)], tally)
        assert code == 0, err
        account_for_files(files, named_origins(err), db, tally, f"--segment {segment}: ")
        check_stored(db, tally)

    # 2. hostile JSONL, pointing at the good files
    goods = [(folder / f"good_{i}.wav", 0.1) for i in range(4)]
    source = jsonl_file(tmp_path, goods, rng)
    db = tmp_path / "jsonl.duckdb"
    code, out, err = run_cli(["load", "tasks", str(source), "--db", str(db)], tally)
    assert code == 0, err
    failures = named_origins(err)
    added, skipped, failed = counts(out)
    lines = source.read_bytes().split(b"\n")[:-1]
    jsonl_named = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        tally.cases += 1
        if is_named(f"{source}:{n}", failures):
            jsonl_named += 1
    tally.named += jsonl_named
    tally.loaded += added + skipped
    assert jsonl_named == failed, "a failure named something that is not a line"
    assert jsonl_named + added + skipped == sum(1 for line in lines if line.strip())
    check_stored(db, tally)

    # 3. hostile RTTM and Audacity labels for the good files (through a subprocess: the real entry)
    good_folder = tmp_path / "good"
    good_folder.mkdir()
    stems = []
    for i in range(3):
        (good_folder / f"talk{i}.wav").write_bytes(wav_bytes(seed=400 + i, frames=16000))
        stems.append(f"talk{i}")
    spans = spans_files(tmp_path, stems, rng)
    db = tmp_path / "spans.duckdb"
    args = ["load", "spans", str(good_folder), "--db", str(db)]
    for path in spans:
        args += ["--spans", str(path)]
    done = subprocess.run([sys.executable, "-m", "earmark", *args], capture_output=True, text=True,
                          cwd=root, timeout=120)
    if "Traceback" in done.stderr:
        tally.tracebacks += 1
        tally.problems.append(done.stderr)
    assert done.returncode == 0, done.stderr
    failures = named_origins(done.stderr)
    labels_stored = {s.get("label") for (t,) in open_store(db).query("SELECT task FROM tasks")
                     for s in json.loads(t).get("audio_spans") or []}
    for path in spans:
        for n, line in enumerate(path.read_bytes().split(b"\n")[:-1], 1):
            tally.cases += 1
            label = line.split(b"\t" if path.suffix == ".txt" else b" ")
            label = label[2] if path.suffix == ".txt" and len(label) > 2 else label[7] if len(label) > 7 else b""
            if is_named(f"{path}:{n}", failures):
                tally.named += 1
            elif label.decode("utf-8", "replace") in labels_stored:
                tally.loaded += 1
            else:
                tally.problems.append(f"{path}:{n} {line!r}: neither loaded nor named")
    check_stored(db, tally)

    print("\n" + tally.line())
    assert tally.tracebacks == 0, "\n\n".join(tally.problems)
    assert tally.problems == [], "\n".join(tally.problems[:20])
    assert tally.named > 0 and tally.loaded > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_hostile_jsonl_line_is_refused_or_valid(tmp_path, seed):
    """The validator alone, on more random tasks: a task it accepts is one the loader may store."""
    from earmark.loading.sources import task_candidate
    from earmark.loading.validate import JSONLineError, parse_json
    rng = random.Random(SEED + seed)
    audio = tmp_path / "a.wav"
    audio.write_bytes(wav_bytes())
    source = jsonl_file(tmp_path, [(audio, 0.1)], rng, lines=300)
    for line in source.read_bytes().split(b"\n")[:-1]:
        try:
            value = parse_json(line.decode("utf-8"))
        except (UnicodeDecodeError, JSONLineError):
            continue
        candidate = task_candidate(value, "x", tmp_path, lambda data, suffix: tmp_path / "unused")
        if hasattr(candidate, "task"):
            json.dumps(candidate.task, ensure_ascii=False, allow_nan=False).encode("utf-8")
