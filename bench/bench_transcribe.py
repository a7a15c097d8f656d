"""Benchmark: speech recognition (`--model transcribe`) speed on 2 cores, and its accuracy.

Run from the repository root:

    .venv/bin/python bench/bench_transcribe.py [--runs 3] [--minutes 2]

Builds, in a temporary folder removed at the end, the test speech of
tests/core/speech_made.py (espeak-ng, two voices, four sentences each, every
word's reference time measured on the samples), and a longer recording of
`--minutes` made of those two files and bobby.wav repeated with 1 s pauses.
The bundled tiny English model (int8, 2 CPU threads) is loaded once (its load
time printed), then for each file and beam size the recogniser runs `--runs`
times in this process (median kept), reading included:

- real-time factor: seconds of audio per second of work (target: at least 10);
- WER (jiwer, lower case, no punctuation) against the sentences;
- word-time error: median |start - reference start| over the recognised words
  that match a reference word.

`--segment asr` on the long recording (one recognition, cut at the words) is
timed the same way. Needs espeak-ng and sox; the corpus for bobby.wav.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("OMP_NUM_THREADS", "2")

from benchlib import machine_cpu_seconds, other_programs_cores, own_cpu_seconds, print_table  # noqa: E402
from core.speech_made import SENTENCES, VOICES, make_speech, wer, word_time_error  # noqa: E402

CORPUS = Path(os.environ.get("EARMARK_CORPUS", ROOT.parent / "shared" / "corpus"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()
    busy, own, wall0 = machine_cpu_seconds(), own_cpu_seconds(), time.monotonic()

    from earmark.audio.reader import read_mono_16k
    from earmark.loading.segment import parse_segment_spec
    from earmark.models import transcribe
    from earmark.models.registry import resolve_model

    with tempfile.TemporaryDirectory(prefix="earmark-bench-asr-") as folder:
        files: list[tuple[str, Path, list[tuple[str, float, float]] | None, list[str]]] = []
        for voice in VOICES:
            path = Path(folder) / f"{voice.replace('+', '_')}.wav"
            reference = make_speech(path, voice)
            files.append((f"espeak {voice} (4 sentences)", path, reference, [w for w, _, _ in reference]))
        bobby = CORPUS / "praat" / "bobby.wav"
        files.append(("bobby.wav (corpus, 48 kHz)", bobby, None, "bobby ripped the ledger".split()))
        long = Path(folder) / "long.wav"
        pieces = [str(files[0][1]), str(files[1][1]), str(bobby)]
        one_round = sum(len(read_mono_16k(p)) / 16000 + 1.0 for p in pieces)
        rounds = max(1, round(args.minutes * 60 / one_round))
        # every piece resampled to 16 kHz mono, with 1 s of silence after it
        parts = []
        for n, p in enumerate(pieces):
            out = Path(folder) / f"piece{n}.wav"
            subprocess.run(["sox", p, "-r", "16000", "-c", "1", "-b", "16", str(out), "pad", "0", "1"], check=True)
            parts.append(str(out))
        subprocess.run(["sox", *(parts * rounds), str(long)], check=True)
        words_long = []
        for _ in range(rounds):
            words_long += files[0][3] + files[1][3] + files[2][3]
        files.append((f"the three joined, {rounds} times", long, None, words_long))

        started = time.monotonic()
        model = resolve_model("transcribe")
        transcribe.whisper(transcribe.model_directory(model.params))
        load = time.monotonic() - started

        rows = []
        for beam in (5, 1):
            bound = resolve_model(f"transcribe:beam_size={beam}")
            for title, path, reference, words in files:
                seconds = len(read_mono_16k(path)) / 16000
                times, found = [], {}
                for _ in range(args.runs):
                    t = time.monotonic()
                    found = bound({"path": str(path)})
                    times.append(time.monotonic() - t)
                took = statistics.median(times)
                error = wer(words, found["transcript"])
                timing = "n/a"
                if reference is not None:
                    median, _ = word_time_error(reference, found["words"])
                    timing = f"{median:.3f} s"
                rows.append((title, beam, f"{seconds:.1f} s", f"{took:.2f} s", f"{seconds / took:.1f}x",
                             f"{error:.3f}", timing))
        print(f"model load (the bundled tiny.en, int8, {transcribe.CPU_THREADS} threads): {load:.2f} s")
        print_table(["audio", "beam", "length", "time (median)", "real time", "WER", "word start error"], rows)

        from earmark.loading.longform import expand_task, make_options
        from earmark.db.media import inspect_file
        media, _ = inspect_file(long)
        options = make_options(segment=parse_segment_spec("asr"), model=model)
        times, tasks = [], []
        for _ in range(args.runs):
            t = time.monotonic()
            tasks = expand_task({"path": str(long)}, media, options)
            times.append(time.monotonic() - t)
        took = statistics.median(times)
        print(f"--segment asr --model transcribe on the joined file ({media.duration:.1f} s): {took:.2f} s "
              f"({(media.duration or 0) / took:.1f}x real time), {len(tasks)} segments for "
              f"{rounds * (len(SENTENCES) * 2 + 1)} utterances spoken")
    wall = time.monotonic() - wall0
    print(f"(other programs used {other_programs_cores(busy, own, wall):.2f} of the {os.cpu_count()} cores "
          f"during the {wall:.0f} s run)")


if __name__ == "__main__":
    main()
