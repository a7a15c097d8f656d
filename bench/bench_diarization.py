"""Benchmark: the built-in model `speakers` on the corpus, speed and diarization error rate.

Run from the repository root:

    .venv/bin/python bench/bench_diarization.py [--runs 3] [--steps 0.25,0.5]

For each 30 s recording of ../shared/corpus/diarization/ (and each window
step in --steps, the first being the default), `diarize(samples)` (speech
detection, embeddings, clustering, regions) runs --runs times after one
warm-up; the median time is kept. Audio is decoded before timing; the
encoder's weights are read once before (their load time is printed).
BLAS runs on 2 threads unless OMP_NUM_THREADS says otherwise.

The table gives, per file, DER (10 ms frames, no collar, optimal mapping;
earmark/evaluation.py) of the proposals, the one-speaker baseline (all
reference speech as one speaker, design.md's 0.48 and 0.69) and all the
detector's speech as one speaker (what clustering adds over the detector),
with missed speech, false alarm and confusion in seconds.

Target (issue: a model in the loop): at least 50 times real time on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ["OMP_NUM_THREADS"])

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (machine_cpu_seconds, other_programs_cores, own_cpu_seconds,  # noqa: E402
                      print_average_load, print_table)

STEMS = ["trñ00", "trn01", "trn02", "trn03"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", default="0.25,0.5", help="window steps in seconds, comma-separated")
    args = parser.parse_args()
    steps = [float(s) for s in args.steps.split(",")]

    from earmark.audio.reader import read_mono_16k
    from earmark.evaluation import diarization_error, one_speaker, read_rttm, turns_of
    from earmark.models import voice
    from earmark.models.speakers import SpeakerSettings, diarize
    from earmark.models.speech import detect_speech

    busy_start, own_start, started = machine_cpu_seconds(), own_cpu_seconds(), time.perf_counter()
    t = time.perf_counter()
    voice.encoder()
    print(f"encoder weights read in {time.perf_counter() - t:.3f} s "
          f"(OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']})\n")
    reference = read_rttm(CORPUS / "diarization" / "reference.rttm")
    audio = {stem: read_mono_16k(CORPUS / "diarization" / f"{stem}.wav") for stem in STEMS}
    diarize(audio["trn03"][:16000 * 5])   # warm-up: imports (scikit-learn), first BLAS calls

    speed_rows, der_rows = [], []
    for step in steps:
        settings = SpeakerSettings(step=step)
        total_audio = total_time = total_cpu = 0.0
        for stem in STEMS:
            samples = audio[stem]
            times, cpus = [], []
            for _ in range(max(1, args.runs)):
                cpu, t = time.process_time(), time.perf_counter()
                regions = diarize(samples, settings)
                times.append(time.perf_counter() - t)
                cpus.append(time.process_time() - cpu)
            seconds = len(samples) / 16000
            median = statistics.median(times)
            total_audio, total_time, total_cpu = total_audio + seconds, total_time + median, \
                total_cpu + statistics.median(cpus)
            ref = reference[stem]
            error = diarization_error(ref, turns_of(regions))
            one = diarization_error(ref, one_speaker(ref)).rate
            detected = diarization_error(ref, [(a, b, "speech") for a, b in detect_speech(samples)]).rate
            der_rows.append((f"`{stem}`", step, f"{error.rate:.3f}", f"{one:.3f}", f"{detected:.3f}",
                             len({r["label"] for r in regions}), len({t[2] for t in ref}),
                             f"{error.missed:.2f} / {error.false_alarm:.2f} / {error.confusion:.2f}",
                             f"{median:.2f} s ({seconds / median:.0f}x)"))
        speed_rows.append((step, f"{total_audio:.0f} s", f"{total_time:.2f} s", f"{total_audio / total_time:.0f}x",
                           f"{total_cpu:.2f} s"))

    print("DER per file (10 ms frames, no collar):\n")
    print_table(["file", "step (s)", "DER", "one speaker (reference speech)", "one speaker (detected speech)",
                 "speakers found", "speakers", "missed / false alarm / confusion (s)", "time"], der_rows)
    print("\nSpeed (median of runs; real time = the recordings' length):\n")
    print_table(["step (s)", "audio", "time", "times real time", "CPU time"], speed_rows)
    wall = time.perf_counter() - started
    print_average_load(__file__, wall, other_programs_cores(busy_start, own_start, wall))


if __name__ == "__main__":
    main()
