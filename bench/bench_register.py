"""Benchmark: registering 10,000 audio files, then computing their peaks.

Run from the repository root:

    .venv/bin/python bench/bench_register.py [--files N] [--compressed N]

Inputs are made at run time in a temporary folder (removed at the end):
copies of the WAVs of ../shared/corpus/, each copy with a few sample bytes
changed so that no two files have the same content hash (identical copies
would be deduplicated and prove nothing). Most copies are of the short
`formats/` and `praat/` files (38-230 kB); one in 100 is a 30 s diarization
recording (1.9 MB).

Measured:
- registration: `load_sources(store, dataset, [folder], peaks=False)`, which
  probes (WAV headers parsed in Python), hashes and inserts every file. The
  target is under 30 s for 10,000 files, with no decoding: the benchmark
  counts every process started while it runs (ffprobe or ffmpeg) and checks
  that the peaks table is still empty afterwards.
- peaks for every registered file: `get_peaks(store, media_id)` on two
  threads, as `load_sources(peaks=True)` does; and, to separate computing from
  storing, `compute_peaks(path)` alone on the same files.
- informative, no target: registering `--compressed` MP3 copies, whose headers
  are read by one ffprobe process per file; the figure is extrapolated to
  10,000 files.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchlib import (machine_cpu_seconds, other_programs_cores, own_cpu_seconds,  # noqa: E402
                      print_average_load, print_table)

from earmark.loading.loader import load_sources  # noqa: E402
from earmark.audio.peaks import compute_peaks, get_peaks  # noqa: E402
from earmark.db.store import open_store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TARGET_REGISTER_S = 30.0      # for 10,000 files; scaled for --files
DIARIZATION_EVERY = 100       # one copy in this many is a 30 s recording
FILES_PER_FOLDER = 1000


# -- process counting --------------------------------------------------------
class SpawnCounter:
    """Counts the processes started through `subprocess` (ffprobe, ffmpeg)."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self._original = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def __enter__(self) -> "SpawnCounter":
        original, commands = self._original, self.commands

        def counting(popen, args, *rest, **kwargs):
            commands.append(Path(str(args[0] if isinstance(args, (list, tuple)) else args)).name)
            return original(popen, args, *rest, **kwargs)

        subprocess.Popen._execute_child = counting  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc) -> None:
        subprocess.Popen._execute_child = self._original  # type: ignore[attr-defined]


# -- inputs ------------------------------------------------------------------
def wav_data_chunk(data: bytes) -> tuple[int, int]:
    """Offset and size of the samples of a RIFF/WAVE file."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, pos)
        if chunk_id == b"data":
            return pos + 8, min(size, len(data) - pos - 8)
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def source_pool() -> tuple[list[tuple[str, bytes, int, int]], list[tuple[str, bytes, int, int]]]:
    """(short files, 30 s files): name, bytes, data offset, data size."""
    short, long = [], []
    for folder, pattern, into in (("formats", "*.wav", short), ("praat", "*.wav", short),
                                  ("diarization", "*.wav", None)):
        for path in sorted((CORPUS / folder).glob(pattern)):
            data = path.read_bytes()
            offset, size = wav_data_chunk(data)
            if size < 16:
                continue
            entry = (path.stem, data, offset, size)
            if into is not None:
                into.append(entry)
            elif size > 1_000_000:
                long.append(entry)
            else:
                short.append(entry)  # empty.wav: 1 s of noise, 32 kB
    return short, long


def make_copies(folder: Path, count: int) -> tuple[int, int]:
    """Write `count` WAVs that all differ in content; return (bytes, long files)."""
    short, long = source_pool()
    total = n_long = 0
    for i in range(count):
        if long and i % DIARIZATION_EVERY == DIARIZATION_EVERY - 1:
            name, data, offset, size = long[(i // DIARIZATION_EVERY) % len(long)]
            n_long += 1
        else:
            name, data, offset, size = short[i % len(short)]
        copy = bytearray(data)
        # Overwrite the last 4 bytes of audio with the copy's number: a change
        # of a sample or two, inaudible, but a different content hash.
        struct.pack_into("<I", copy, offset + size - 4, i)
        sub = folder / f"d{i // FILES_PER_FOLDER:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{i:05d}_{name.encode('ascii', 'replace').decode()}.wav").write_bytes(copy)
        total += len(copy)
    return total, n_long


def make_mp3_copies(folder: Path, count: int) -> None:
    """`count` distinct MP3s: one encode, then a changed byte in each copy's ID3 tag."""
    folder.mkdir()
    src = CORPUS / "formats" / "bobby_16bit_16khz.wav"
    base = folder / "base.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-b:a", "64k",
                    "-metadata", "comment=00000000", str(base)], check=True)
    data = base.read_bytes()
    base.unlink()
    at = data.find(b"00000000")
    if at < 0:
        raise RuntimeError("could not find the ID3 comment to vary")
    for i in range(count):
        copy = bytearray(data)
        copy[at:at + 8] = f"{i:08d}".encode()
        (folder / f"{i:05d}.mp3").write_bytes(copy)


# -- measurements ------------------------------------------------------------
def peaks_all(fn, items: list, threads: int = 2) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(fn, items):
            pass
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="number of WAV files (10,000)")
    parser.add_argument("--compressed", type=int, default=200,
                        help="MP3 files for the informative ffprobe row (0 to skip; 200)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"SKIP: the corpus is not at {CORPUS} (expected ../shared/corpus/ beside the repo)")
        return 0
    n = args.files
    target = TARGET_REGISTER_S * n / 10_000
    started = time.perf_counter()
    busy_start, own_start = machine_cpu_seconds(), own_cpu_seconds()
    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-register-"))
    try:
        wavs = tmp / "wavs"
        wavs.mkdir()
        t0 = time.perf_counter()
        size, n_long = make_copies(wavs, n)
        print(f"made {n:,} distinct WAV copies ({n_long} of 30 s), {size / 1e6:,.0f} MB, "
              f"in {time.perf_counter() - t0:.1f} s under {tmp}")

        store = open_store(tmp / "bench.duckdb")
        with SpawnCounter() as spawned:
            t0 = time.perf_counter()
            report = load_sources(store, "bench", [wavs], peaks=False)
            t_register = time.perf_counter() - t0
        media = store.query("SELECT id, path FROM media ORDER BY path")
        n_peaks_after = store.query_one("SELECT count(*) FROM peaks")[0]
        ok_counts = report.added == n and report.failed == 0 and len(media) == n
        if not ok_counts:
            print(f"unexpected load report: added {report.added}, skipped {report.skipped}, "
                  f"failed {report.failed}, media rows {len(media)}")
            for f in report.failures[:5]:
                print(f"  {f}")

        t_compute = peaks_all(lambda row: compute_peaks(row[1]), media)
        t_peaks = peaks_all(lambda row: get_peaks(store, row[0]), media)
        n_peaks = store.query_one("SELECT count(*) FROM peaks")[0]

        t_mp3 = None
        mp3_spawned = 0
        if args.compressed > 0:
            mp3s = tmp / "mp3"
            make_mp3_copies(mp3s, args.compressed)
            with SpawnCounter() as spawned_mp3:
                t0 = time.perf_counter()
                mp3_report = load_sources(store, "bench-mp3", [mp3s], peaks=False)
                t_mp3 = time.perf_counter() - t0
            mp3_spawned = len(spawned_mp3.commands)
            if mp3_report.added != args.compressed:
                print(f"unexpected MP3 load report: added {mp3_report.added}, "
                      f"failed {mp3_report.failed}")
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def verdict(ok: bool | None) -> str:
        return "-" if ok is None else ("PASS" if ok else "FAIL")

    rows = [
        (f"register {n:,} WAVs, load_sources(peaks=False)",
         f"{t_register:.2f} s ({n / t_register:,.0f} files/s)",
         f"< {target:.0f} s", verdict(t_register < target and ok_counts)),
        ("processes started while registering (ffprobe/ffmpeg)",
         f"{len(spawned.commands)}", "0 (no decoding)",
         verdict(len(spawned.commands) == 0 and n_peaks_after == 0)),
        ("tasks added / failed / peaks rows after registering",
         f"{report.added:,} / {report.failed} / {n_peaks_after}", f"{n:,} / 0 / 0", verdict(ok_counts and n_peaks_after == 0)),
        (f"compute_peaks(path) of {n:,} files, 2 threads",
         f"{t_compute:.2f} s ({n / t_compute:,.0f} files/s)", "none", "-"),
        (f"get_peaks (compute + store) of {n:,} files, 2 threads",
         f"{t_peaks:.2f} s ({n / t_peaks:,.0f} files/s)", "none (all stored)", verdict(n_peaks == n)),
    ]
    if t_mp3 is not None:
        c = args.compressed
        rows.append((f"register {c} MP3s, load_sources(peaks=False)",
                     f"{t_mp3:.2f} s ({c / t_mp3:,.0f} files/s, {mp3_spawned} processes)",
                     "none", "-"))
        rows.append(("  same rate, extrapolated to 10,000 MP3s",
                     f"{t_mp3 / c * 10_000:,.0f} s", "(30 s for WAV)", "-"))
    print_table(["measure", "figure", "target", "result"], rows)
    wall = time.perf_counter() - started
    print_average_load(__file__, wall, other_programs_cores(busy_start, own_start, wall))
    failed = any(r[3] == "FAIL" for r in rows)
    return 1 if failed else 0










if __name__ == "__main__":
    sys.exit(main())
