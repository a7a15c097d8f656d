"""Benchmark: segmenting a one-hour recording at silences, beside pydub's detect_nonsilent.

Run from the repository root:

    .venv/bin/python bench/bench_segment.py [--runs 3] [--minutes 60] [--no-mp3]

Builds, in a temporary folder removed at the end, from the four 30 s
diarization recordings of ../shared/corpus/ with 1.5 s of digital silence
after each (a 126 s piece, repeated):
(a) a one-hour 16 kHz mono 16-bit WAV; (b) its first 5 minutes, for pydub;
(c) unless --no-mp3, a one-hour 44.1 kHz stereo 128 kbit/s MP3 (the piece
encoded once, then joined without re-encoding).

Each measure runs `--runs` times (median kept) in a fresh Python child
process, timed inside it (interpreter start and imports excluded):
- earmark: `read_mono_16k(FILE)` then `silence_segments(samples)` with the
  defaults (threshold the file's dBFS - 16, 0.5 s minimum silence, 1 ms
  window steps, 0.1 s padding, 1-30 s segments); peak memory is the child's
  VmHWM.
- pydub: `AudioSegment.from_wav(5-minute piece)` then
  `detect_nonsilent(audio, 500, audio.dBFS - 16, seek_step=1)` (pydub's
  defaults but for the usual threshold and 0.5 s), extrapolated to an hour
  (x 12: the cost is linear in the length). On the same 5 minutes earmark
  runs with the same parameters (no padding or length limits) and the
  boundaries are compared.

Target (issue 5): segmenting (and pre-labelling) a one-hour recording at least
1,000 times faster than real time; judged here on the WAV, reading included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peaks import print_table, run_measured  # noqa: E402
from benchlib import print_peak_load  # noqa: E402

GAP_SECONDS = 1.5
PYDUB_MINUTES = 5
TARGET_X = 1000.0

CHILD = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/bench")
mode, path = sys.argv[2], sys.argv[3]

from benchlib import status_kb  # the child's own /proc/self/status

if mode == "earmark":
    from earmark.loading.segment import read_mono_16k, silence_segments
    before = status_kb("VmRSS")
    t0 = time.perf_counter()
    samples = read_mono_16k(path)
    t1 = time.perf_counter()
    segments = silence_segments(samples)
    t2 = time.perf_counter()
    print(json.dumps({"read": t1 - t0, "segment": t2 - t1, "duration": len(samples) / 16000,
                      "segments": len(segments), "longest": max(b - a for a, b in segments),
                      "shortest": min(b - a for a, b in segments),
                      "samples_mb": samples.nbytes / 2**20,
                      "rss_before_kb": before, "hwm_kb": status_kb("VmHWM")}))
elif mode == "prelabel":
    # what `load --segment silence --model speech` does for one file, after registering it
    from earmark.loading.longform import LongformOptions, expand_task
    from earmark.db.media import inspect_file
    from earmark.models.registry import resolve_model
    from earmark.loading.segment import parse_segment_spec
    media, _ = inspect_file(path)
    options = LongformOptions(segment=parse_segment_spec("silence"), model=resolve_model("speech"))
    t0 = time.perf_counter()
    tasks = expand_task({"path": str(path), "file": "long.wav", "meta": {}}, media, options)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "duration": media.duration, "segments": len(tasks),
                      "regions": sum(len(t.get("audio_spans", [])) for t in tasks),
                      "hwm_kb": status_kb("VmHWM")}))
elif mode == "same":
    from earmark.loading.segment import read_mono_16k, silence_segments
    samples = read_mono_16k(path)
    t0 = time.perf_counter()
    segments = silence_segments(samples, silence_rel_db=-16, min_silence_len=0.5, keep_silence=0,
                                min_segment=0, max_segment=None)
    print(json.dumps({"segment": time.perf_counter() - t0, "duration": len(samples) / 16000,
                      "segments": segments}))
else:
    warnings.simplefilter("ignore")
    from pydub import AudioSegment
    from pydub.silence import detect_nonsilent
    t0 = time.perf_counter()
    audio = AudioSegment.from_wav(path)
    t1 = time.perf_counter()
    ranges = detect_nonsilent(audio, 500, audio.dBFS - 16, 1)
    t2 = time.perf_counter()
    print(json.dumps({"read": t1 - t0, "segment": t2 - t1, "duration": len(audio) / 1000,
                      "segments": [[a / 1000, b / 1000] for a, b in ranges],
                      "hwm_kb": status_kb("VmHWM")}))
"""


def child(mode: str, path: Path) -> dict:
    measured = run_measured([sys.executable, "-c", CHILD, str(ROOT), mode, str(path)])
    result = json.loads(measured["stdout"])
    result["others_cores"] = measured["others_cores"]   # other programs' CPU use meanwhile
    return result


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def build_inputs(folder: Path, minutes: int, mp3: bool) -> dict[str, Path]:
    recordings = sorted(p for p in (CORPUS / "diarization").glob("*.wav") if p.stat().st_size > 1_000_000)
    if not recordings:
        raise FileNotFoundError("no 30 s recordings in corpus/diarization/")
    gap = folder / "gap.wav"
    run("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(gap), "trim", "0", str(GAP_SECONDS))
    parts = []
    for i, rec in enumerate(recordings):
        converted = folder / f"rec{i}.wav"
        run("sox", str(rec), "-r", "16000", "-c", "1", "-b", "16", str(converted))
        parts += [converted, gap]
    piece = folder / "piece.wav"
    run("sox", *map(str, parts), str(piece))
    piece_seconds = len(recordings) * 30 + len(recordings) * GAP_SECONDS
    repeats = max(1, round(minutes * 60 / piece_seconds))
    files = {}
    wav = folder / "long.wav"
    run("sox", *([str(piece)] * repeats), str(wav), "trim", "0", str(minutes * 60))
    files["wav"] = wav
    short = folder / "short.wav"
    run("sox", str(wav), str(short), "trim", "0", str(PYDUB_MINUTES * 60))
    files["short"] = short
    if mp3:
        piece_mp3 = folder / "piece.mp3"
        run("ffmpeg", "-nostdin", "-v", "error", "-i", str(piece), "-ar", "44100", "-ac", "2",
            "-c:a", "libmp3lame", "-b:a", "128k", str(piece_mp3))
        listing = folder / "mp3.txt"
        listing.write_text(f"file '{piece_mp3}'\n" * repeats, encoding="utf-8")
        long_mp3 = folder / "long.mp3"
        run("ffmpeg", "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
            "-c", "copy", str(long_mp3))
        files["mp3"] = long_mp3
    for path in files.values():   # into the page cache: every run reads from memory
        with open(path, "rb") as fh:
            while fh.read(1 << 24):
                pass
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (median kept)")
    parser.add_argument("--minutes", type=int, default=60, help="length of the long recording")
    parser.add_argument("--no-mp3", action="store_true", help="skip the one-hour MP3")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"SKIP: the corpus is not at {CORPUS} (expected ../shared/corpus/ beside the repo)")
        return 0
    missing = [tool for tool in ("sox", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        print(f"SKIP: {' and '.join(missing)} needed (apt-get install {' '.join(missing)})")
        return 0
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-segment-"))
    rows, failed, busy = [], False, []
    try:
        t0 = time.perf_counter()
        files = build_inputs(tmp, args.minutes, not args.no_mp3)
        print(f"built in {time.perf_counter() - t0:.1f} s under {tmp}: "
              + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in files.values()))
        print(f"{os.cpu_count()} CPUs; median of {args.runs} runs, each in a fresh child process, "
              "timed inside it\n")

        # earmark on the long WAV (and MP3)
        for label, key in (("WAV 16 kHz mono", "wav"), ("MP3 44.1 kHz stereo", "mp3")):
            if key not in files:
                continue
            results = [child("earmark", files[key]) for _ in range(args.runs)]
            busy += [r["others_cores"] for r in results]
            duration = results[0]["duration"]
            read = statistics.median(r["read"] for r in results)
            seg = statistics.median(r["segment"] for r in results)
            total = statistics.median(r["read"] + r["segment"] for r in results)
            x_total = duration / total
            hwm = max(r["hwm_kb"] for r in results) / 1024
            base = results[0]["rss_before_kb"] / 1024
            wav = key == "wav"
            ok = x_total >= TARGET_X
            if wav:
                failed |= not ok
            r0 = results[0]
            rows += [
                (f"earmark, {label}, {duration / 60:.0f} min", "read_mono_16k", f"{read:.3f} s",
                 f"{duration / read:,.0f}x", "runs " + ", ".join(f"{r['read']:.3f}" for r in results), ""),
                ("", "silence_segments (defaults)", f"{seg:.3f} s", f"{duration / seg:,.0f}x",
                 f"{r0['segments']} segments, {r0['shortest']:.2f}-{r0['longest']:.2f} s", ""),
                ("", "read + segment", f"{total:.3f} s", f"{x_total:,.0f}x",
                 f">= {TARGET_X:,.0f}x" + ("" if wav else " (decode-bound; informative)"),
                 ("PASS" if ok else "FAIL") if wav else ""),
                ("", "peak memory (child VmHWM)", f"{hwm:.0f} MB", "",
                 f"samples {r0['samples_mb']:.0f} MB; the child after its imports {base:.0f} MB", ""),
            ]

        # segmenting and pre-labelling with the speech detector, as `load` does
        if "wav" in files:
            results = [child("prelabel", files["wav"]) for _ in range(args.runs)]
            busy += [r["others_cores"] for r in results]
            seconds = statistics.median(r["seconds"] for r in results)
            duration = results[0]["duration"]
            ok = duration / seconds >= TARGET_X
            failed |= not ok
            rows.append((f"earmark, WAV 16 kHz mono, {duration / 60:.0f} min",
                         "segment (silence) + pre-label (--model speech)", f"{seconds:.2f} s",
                         f"{duration / seconds:,.0f}x",
                         f"{results[0]['segments']} segments, {results[0]['regions']} speech regions; "
                         f">= {TARGET_X:,.0f}x; peak {max(r['hwm_kb'] for r in results) / 1024:.0f} MB",
                         "PASS" if ok else "FAIL"))

        # pydub on 5 minutes, extrapolated; earmark on the same 5 minutes
        pyd = [child("pydub", files["short"]) for _ in range(args.runs)]
        ours = [child("same", files["short"]) for _ in range(args.runs)]
        busy += [r["others_cores"] for r in pyd + ours]
        short = pyd[0]["duration"]
        scale = 3600 / short
        p_seg = statistics.median(r["segment"] for r in pyd)
        p_read = statistics.median(r["read"] for r in pyd)
        o_seg = statistics.median(r["segment"] for r in ours)
        theirs, mine = pyd[0]["segments"], ours[0]["segments"]
        same = len(theirs) == len(mine)
        worst = max((max(abs(a - c), abs(b - d)) for (a, b), (c, d) in zip(theirs, mine)), default=0.0)
        rows += [
            (f"pydub, WAV, {short / 60:.0f} min", "detect_nonsilent(500 ms, dBFS-16, step 1)", f"{p_seg:.2f} s",
             f"{short / p_seg:,.0f}x", f"one hour extrapolated: {p_seg * scale:.0f} s; "
             f"from_wav {p_read:.3f} s", "reference"),
            (f"earmark, same {short / 60:.0f} min", "silence_segments, same parameters", f"{o_seg:.4f} s",
             f"{short / o_seg:,.0f}x", f"{p_seg / o_seg:,.0f}x faster than pydub; {len(mine)} ranges, "
             f"pydub {len(theirs)}; largest difference {worst * 1000:.0f} ms",
             "PASS" if same and worst <= 0.001 else "FAIL"),
        ]
        failed |= not (same and worst <= 0.001)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(["input", "measure", "time", "x real time", "detail / target", "result"], rows)
    print_peak_load(__file__, time.perf_counter() - started, busy,
                    "times are unreliable (the MP3 row above all: its two decoders need two idle cores).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
