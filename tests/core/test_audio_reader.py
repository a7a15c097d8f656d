"""The one audio reader: backends tried in order, every reason named, windows,
channels and 16 kHz mono the same whichever backend reads; and no module but
earmark/audio/ reads samples or runs ffmpeg."""

from __future__ import annotations

import ast
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from earmark.audio import peaks as peaks_module
from earmark.audio.backends import FfmpegBackend, SndfileBackend, WavBackend
from earmark.audio.peaks import PeaksError, compute_peaks
from earmark.audio.probe import AudioInfo, probe
from earmark.audio.reader import (BACKENDS, FFMPEG, SNDFILE, WAV, AudioReadError, CompositeAudioBackend, read,
                                  read_mono_16k)
from programs import require

ROOT = Path(__file__).resolve().parents[2]


def write_wav(path: Path, frames: np.ndarray, rate: int, width: int = 2) -> Path:
    frames = np.asarray(frames)
    channels = 1 if frames.ndim == 1 else frames.shape[1]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return path


def ffmpeg(*args) -> None:
    subprocess.run([require("ffmpeg"), "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def distinct_stereo(rate: int = 8000, seconds: float = 1.0) -> np.ndarray:
    """Two channels of random int16 frames: every frame and channel told apart."""
    return np.random.default_rng(7).integers(-30000, 30000, (int(rate * seconds), 2)).astype("<i2")


class Recording:
    """A backend that says what was asked of it, then does what the real one does."""

    def __init__(self, backend, log: list):
        self.backend, self.log, self.name = backend, log, backend.name

    def refusal(self, path, info, request):
        why = self.backend.refusal(path, info, request)
        self.log.append((self.name, "refused" if why else "accepted"))
        return why

    def read(self, path, info, request):
        self.log.append((self.name, "read"))
        return self.backend.read(path, info, request)


def recorded() -> tuple[CompositeAudioBackend, list]:
    log: list = []
    return CompositeAudioBackend([Recording(b, log) for b in (WAV, SNDFILE, FFMPEG)]), log


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same stereo frames as a 16-bit WAV, a FLAC and an AAC .m4a (only ffmpeg reads that)."""
    folder = tmp_path_factory.mktemp("reader")
    wav = write_wav(folder / "s.wav", distinct_stereo(), 8000)
    flac, m4a = folder / "s.flac", folder / "s.m4a"
    ffmpeg("-i", wav, flac)
    t = np.arange(16000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    source = write_wav(folder / "tone.wav", tone, 16000)
    ffmpeg("-i", source, "-c:a", "aac", "-b:a", "96k", m4a)
    return {"wav": wav, "flac": flac, "m4a": m4a, "tone": source}


# -- the order, and every reason ------------------------------------------------------
def test_backends_are_asked_in_order_and_the_first_that_can_reads(files):
    composite, log = recorded()
    read(files["wav"], backends=composite)
    assert log == [("wav", "accepted"), ("wav", "read")]
    log.clear()
    read(files["flac"], backends=composite)
    assert log == [("wav", "refused"), ("soundfile", "accepted"), ("soundfile", "read")]
    log.clear()
    read(files["m4a"], backends=composite)
    assert log == [("wav", "refused"), ("soundfile", "refused"), ("ffmpeg", "accepted"), ("ffmpeg", "read")]
    assert [b.name for b in BACKENDS.backends] == ["wav", "soundfile", "ffmpeg"]


def test_a_request_the_wav_reader_cannot_serve_goes_on_to_ffmpeg(files):
    composite, log = recorded()
    got = read(files["wav"], sample_rate=16000, backends=composite)   # resampling: ffmpeg's alone
    assert log == [("wav", "refused"), ("soundfile", "refused"), ("ffmpeg", "accepted"), ("ffmpeg", "read")]
    assert got.sample_rate == 16000 and got.samples.shape == (16000, 2)


def test_a_file_no_backend_reads_names_the_file_and_every_reason(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 no audio in here " * 50)
    info = AudioInfo(format="bin", duration=1.0, sample_rate=8000, channels=1)   # as a header might claim
    with pytest.raises(AudioReadError) as caught:
        read(junk, info=info)
    error = caught.value
    assert error.path == junk
    assert [name for name, _ in error.reasons] == ["wav", "soundfile", "ffmpeg"]
    message = str(error)
    assert message.startswith("cannot read junk.bin: wav: not a PCM or float WAV; "
                              "soundfile: libsndfile cannot open it (")
    assert "; ffmpeg: ffmpeg could not decode junk.bin: " in message
    assert "\n" not in message


def test_a_file_only_ffmpeg_reads_names_the_others_reasons_without_it(files):
    info = probe(files["m4a"])
    without = CompositeAudioBackend([WAV, SNDFILE])
    with pytest.raises(AudioReadError) as caught:
        read(files["m4a"], backends=without)
    assert str(caught.value).startswith("cannot read s.m4a: wav: not a PCM or float WAV; "
                                        "soundfile: libsndfile cannot open it")
    got = read(files["m4a"])           # all three: ffmpeg reads it
    assert got.sample_rate == info.sample_rate == 16000 and got.samples.shape[1] == info.channels
    tone = read(files["tone"]).samples[:, 0].astype(float)
    decoded = got.samples[:, 0].astype(float)
    assert abs(len(decoded) - len(tone)) < 2048                     # AAC pads a frame or so
    lag = int(np.argmax(np.correlate(decoded[2048:6048], tone[2048:4048], "valid")))
    assert np.corrcoef(decoded[2048 + lag:2048 + lag + 8000], tone[2048:10048])[0, 1] > 0.99


def test_the_consumers_read_through_the_one_composite(files, monkeypatch):
    monkeypatch.setattr(peaks_module, "BACKENDS", CompositeAudioBackend([WAV, SNDFILE]))
    with pytest.raises(PeaksError) as caught:
        compute_peaks(files["m4a"])
    assert str(caught.value).startswith("cannot read s.m4a: wav: not a PCM or float WAV; soundfile: ")


def test_a_wav_shorter_than_its_header_is_named_and_no_other_backend_hides_it(tmp_path):
    path = write_wav(tmp_path / "cut.wav", distinct_stereo(), 8000)
    info = probe(path)
    path.write_bytes(path.read_bytes()[:-4000])            # lost its end after it was probed
    composite, log = recorded()
    with pytest.raises(AudioReadError) as caught:
        read(path, 0.5, 1.0, info=info, backends=composite)
    assert str(caught.value) == "cut.wav ends before its header says it should"
    assert log == [("wav", "accepted"), ("wav", "read")]   # ffmpeg would have read what is left
    assert read(path, 0.0, 0.5, info=info).samples.shape == (4000, 2)   # a window before the damage
    mono = write_wav(tmp_path / "m.wav", np.arange(1000, dtype="<i2"), 16000)
    mono_info = probe(mono)
    mono.write_bytes(mono.read_bytes()[:-10])
    with pytest.raises(AudioReadError) as caught:
        read_mono_16k(mono, mono_info)
    assert str(caught.value) == "m.wav ends before its header says it should"


# -- the same samples whichever backend reads ---------------------------------------------
def only(backend) -> CompositeAudioBackend:
    return CompositeAudioBackend([backend])


@pytest.mark.parametrize("width", [2, 3])
def test_windows_and_channels_are_the_same_samples_from_every_backend(tmp_path, width):
    frames = distinct_stereo()
    if width == 2:
        path = write_wav(tmp_path / "s.wav", frames, 8000)
    else:   # 24-bit: each sample's top two bytes are the int16 value, the low byte noise
        b24 = np.zeros((len(frames), 2, 3), np.uint8)
        b24[:, :, 0] = np.random.default_rng(1).integers(0, 256, (len(frames), 2))
        b24[:, :, 1:] = frames.view(np.uint8).reshape(len(frames), 2, 2)
        path = write_wav(tmp_path / "s24.wav", b24.reshape(-1), 8000, width=3)
        with wave.open(str(path), "rb") as w:
            assert w.getnchannels() == 1          # written as one channel of bytes: fix the header
        header = bytearray(path.read_bytes())
        header[22:24] = (2).to_bytes(2, "little")
        header[32:34] = (6).to_bytes(2, "little")
        header[28:32] = (8000 * 6).to_bytes(4, "little")
        path.write_bytes(bytes(header))
    info = probe(path)
    assert info.channels == 2 and info.wav_encoding == ("<i2" if width == 2 else "int24")
    libsndfile = SndfileBackend(formats=frozenset({"WAV"}))     # it reads WAV too, when asked
    for start, end, channel in [(0.0, None, None), (0.071, 0.571, None), (0.25, 0.5, 0), (0.125, 0.875, 1)]:
        first = round(start * 8000)
        last = len(frames) if end is None else round(end * 8000)
        expected = frames[first:last] if channel is None else frames[first:last, channel:channel + 1]
        for backend in (WavBackend(), libsndfile, FfmpegBackend()):
            got = read(path, start, end, channel=channel, info=info, backends=only(backend))
            assert got.sample_rate == 8000 and got.samples.dtype == np.int16, backend.name
            assert got.samples.shape == expected.shape, (backend.name, start, end, channel)
            # int16 rounding: exact for 16-bit; from 24 bits a backend may round where another truncates
            assert np.abs(got.samples.astype(int) - expected).max() <= width - 2, (backend.name, start, channel)


def test_float_wavs_agree_across_backends_within_int16_rounding(tmp_path):
    samples = np.random.default_rng(2).uniform(-1, 1, (4000, 2)).astype("<f4")
    path = tmp_path / "f.wav"
    import struct
    fmt = struct.pack("<HHIIHH", 3, 2, 8000, 8000 * 8, 8, 32)
    data = samples.tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    info = probe(path)
    reads = {b.name: read(path, 0.1, 0.4, channel=1, info=info, backends=only(b)).samples[:, 0].astype(int)
             for b in (WavBackend(), SndfileBackend(formats=frozenset({"WAV"})), FfmpegBackend())}
    # the WAV reader's rule (x 32767, truncated) against libsndfile's and ffmpeg's (x 32768, rounded)
    assert np.array_equal(reads["wav"], np.trunc(samples[800:3200, 1].astype(float) * 32767).astype(int))
    for name in ("soundfile", "ffmpeg"):
        assert np.abs(reads[name] - reads["wav"]).max() <= 2, name


def test_16_khz_mono_is_resampled_and_mixed_down_in_one_place(tmp_path):
    rate = 48000
    frames = np.column_stack([np.full(rate, 1000), np.full(rate, 3000)]).astype("<i2")
    path = write_wav(tmp_path / "s48.wav", frames, rate)
    with pytest.raises(AudioReadError) as caught:      # neither in-process backend resamples or mixes
        read(path, sample_rate=16000, mono=True, backends=CompositeAudioBackend([WAV, SNDFILE]))
    assert str(caught.value) == ("cannot read s48.wav: wav: reads at the file's 48000 Hz only (asked for "
                                 "16000 Hz); soundfile: its WAV files are read by the other backends")
    mixed = read(path, sample_rate=16000, mono=True)
    assert mixed.sample_rate == 16000 and mixed.samples.shape == (16000, 1)
    assert np.abs(mixed.samples[100:-100, 0].astype(int) - 2000).max() <= 2
    whole = read_mono_16k(path)
    assert np.array_equal(whole, mixed.samples[:, 0])
    right = read_mono_16k(path, channel=1)
    assert len(right) == 16000 and np.abs(right[100:-100].astype(int) - 3000).max() <= 2
    # at 16 kHz already: one channel is read from the data chunk, no decoder
    at16 = write_wav(tmp_path / "s16.wav", distinct_stereo(16000), 16000)
    composite, log = recorded()
    assert np.array_equal(read(at16, channel=1, sample_rate=16000, mono=True, backends=composite).samples[:, 0],
                          read_mono_16k(at16, channel=1))
    assert log == [("wav", "accepted"), ("wav", "read")]
    assert np.array_equal(read_mono_16k(at16, channel=1), distinct_stereo(16000)[:, 1])
    log.clear()                         # both channels at 16 kHz: the mix-down is ffmpeg's
    down = read(at16, sample_rate=16000, mono=True, backends=composite).samples[:, 0].astype(int)
    assert log == [("wav", "refused"), ("soundfile", "refused"), ("ffmpeg", "accepted"), ("ffmpeg", "read")]
    assert np.abs(down - distinct_stereo(16000).astype(int).mean(axis=1)).max() <= 1
    assert np.array_equal(read_mono_16k(at16), down)


# -- nobody else reads audio ---------------------------------------------------------------
AUDIO_LIBRARIES = {"soundfile", "pydub", "wave", "audioop", "librosa", "torchaudio", "scipy.io.wavfile",
                   "sunau", "aifc", "audioread", "av"}
PROCESS_CALLS = {"subprocess", "os.system", "os.popen", "os.spawnl", "os.execv", "asyncio.create_subprocess_exec",
                 "asyncio.create_subprocess_shell"}


def _code_strings(tree: ast.AST) -> list[str]:
    """String constants of a module that are not docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def audio_readers_outside_the_audio_package(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        if relative.startswith("earmark/audio/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        for name in sorted(imported):
            if name in AUDIO_LIBRARIES or name.split(".")[0] in AUDIO_LIBRARIES - {"scipy"}:
                found.append(f"{relative} imports {name}")
        runs_programs = any(name == "subprocess" or name.startswith("subprocess.") for name in imported) or any(
            isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and f"{n.value.id}.{n.attr}" in PROCESS_CALLS for n in ast.walk(tree))
        if runs_programs and any("ffmpeg" in s or "ffprobe" in s for s in _code_strings(tree)):
            found.append(f"{relative} runs ffmpeg or ffprobe")
    return found


def test_no_module_outside_earmark_audio_reads_samples_or_runs_ffmpeg():
    assert audio_readers_outside_the_audio_package(ROOT / "earmark") == []


def test_the_audio_reader_check_finds_what_it_looks_for(tmp_path):
    package = tmp_path / "earmark"
    (package / "audio").mkdir(parents=True)
    (package / "audio" / "fine.py").write_text("import soundfile\nimport subprocess\nsubprocess.run(['ffmpeg'])\n")
    (package / "loads.py").write_text('"""Mentions ffmpeg in words only."""\nimport subprocess\n')
    (package / "bad_import.py").write_text("from pydub import AudioSegment\n")
    (package / "bad_wave.py").write_text("import wave\n")
    (package / "bad_run.py").write_text("import subprocess\nsubprocess.run(['ffprobe', '-i', 'x'])\n")
    (package / "bad_system.py").write_text("import os\nos.system('ffmpeg -i x y')\n")
    assert audio_readers_outside_the_audio_package(package) == [
        "earmark/bad_import.py imports pydub", "earmark/bad_import.py imports pydub.AudioSegment",
        "earmark/bad_run.py runs ffmpeg or ffprobe", "earmark/bad_system.py runs ffmpeg or ffprobe",
        "earmark/bad_wave.py imports wave"]
