"""Benchmark: spectrogram images of a one-hour recording.

Run from the repository root:

    .venv/bin/python bench/bench_spectrogram.py [--runs 5]

Builds, in a temporary folder removed at the end, the one-hour files of
bench_peaks.py from ../shared/corpus/: a 16 kHz mono WAV and a 44.1 kHz
stereo 128 kbit/s MP3. Times `earmark.audio.spectrogram.spectrogram_png` in this
process (PNG encoding included) for a fit view of the whole hour
(1200 x 200, what the lane asks for when fitted) and for 10 s windows
(1200 x 200, zoomed in), each at a different place in the file. The first
fit view of the MP3 is reported apart: it opens the file (mpg123 then walks
the frame headers up to each far sample once; the handles are kept open).

Targets: fit view under 0.5 s, 10 s window under 0.2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_peaks import build_inputs, describe
from benchlib import machine_cpu_seconds, other_programs_cores, own_cpu_seconds, print_average_load, print_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from earmark.audio.probe import probe  # noqa: E402
from earmark.audio.spectrogram import spectrogram_png  # noqa: E402

TARGET_FIT_S = 0.5
TARGET_WINDOW_S = 0.2
WIDTH, HEIGHT = 1200, 200


def timed(path: Path, start: float, end: float) -> float:
    info = probe(path)
    begin = time.perf_counter()
    spectrogram_png(path, info, start, end, WIDTH, HEIGHT, max_freq=8000)
    return time.perf_counter() - begin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measure (median kept)")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        print("SKIP: ffmpeg is needed to build the one-hour files (apt-get install ffmpeg)")
        return 0
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="bench-spectrogram-"))
    try:
        wav, mp3 = build_inputs(folder, 60)
        for path in (wav, mp3):
            print(describe(path))
        busy, own, timed_from = machine_cpu_seconds(), own_cpu_seconds(), time.perf_counter()
        rows = []
        first_mp3 = timed(mp3, 0.0, probe(mp3).duration)   # opens the MP3: walks its frame headers once
        for label, path in (("WAV 16 kHz mono", wav), ("MP3 44.1 kHz stereo", mp3)):
            duration = probe(path).duration
            fit = [timed(path, 0.0, duration) for _ in range(args.runs)]
            starts = [duration * (k + 0.5) / args.runs for k in range(args.runs)]
            window = [timed(path, s, s + 10.0) for s in starts]
            fit_s, window_s = statistics.median(fit), statistics.median(window)
            met = "met" if fit_s < TARGET_FIT_S and window_s < TARGET_WINDOW_S else "NOT met"
            rows.append((label, f"{fit_s:.3f} s", f"{window_s:.3f} s (max {max(window):.3f} s)",
                         f"< {TARGET_FIT_S} s, < {TARGET_WINDOW_S} s: {met}"))
        rows.append(("MP3, first image after opening", f"{first_mp3:.3f} s", "", ""))
        print()
        print_table([f"one hour, {WIDTH} x {HEIGHT}", "fit view (median)", "10 s window (median)", "target"], rows)
        # other programs' load over the timed part only (building the files is not timed)
        cores = other_programs_cores(busy, own, time.perf_counter() - timed_from)
        print_average_load(__file__, time.perf_counter() - started, cores)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
