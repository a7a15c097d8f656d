"""Benchmark: waveform peaks of a one-hour recording, beside a plain ffmpeg decode.

Run from the repository root:

    .venv/bin/python bench/bench_peaks.py [--runs 3] [--minutes 60]

Builds, in a temporary folder removed at the end, a one-hour recording from the
30 s diarization recordings of ../shared/corpus/ (concatenated, repeated):
(a) 16 kHz mono 16-bit WAV, (b) 44.1 kHz stereo 128 kbit/s MP3 (a two-minute
piece encoded once, then joined 30 times without re-encoding).

Time: for each file, in the same run and interleaved, `--runs` times (median kept):
- `ffmpeg -nostdin -v error -i FILE -f null -`: wall time around the process
  (start to exit).
- `earmark.audio.peaks.compute_peaks(FILE)` in a fresh Python child process: wall
  time of the call itself, measured inside the child (interpreter start and
  imports excluded; the probe and the start of its ffmpeg processes included).

Memory: one more run of each, in which the parent samples /proc every 5 ms for
the process and all its descendants (any ffmpeg decoders that compute_peaks
starts). Reported: the largest sum of high-water marks (VmHWM) over the
processes alive at the same time (the Python child's read by itself at the end,
each ffmpeg's the last value seen while it ran), which is an upper bound of the
job's peak (shared library pages count once per process, and the peaks of the
processes may not coincide); and
the largest sum of VmRSS seen at one sample, a lower bound. The target is
judged on the upper bound. These runs are separate so that sampling does not
slow the timed ones. (`ru_maxrss` from wait4/getrusage is not used: a process
started with vfork inherits the parent's high-water mark, so it reports the
benchmark's own memory, and across a tree it gives a maximum, not a sum.)
For a WAV the figure includes the memory-mapped file pages (page cache mapped
into the process), which the kernel can reclaim.

Targets (issue 2): WAV peaks under 0.3 s; MP3 peaks at most 1.0 times the
plain single-process ffmpeg decode; peak memory under 200 MB for either.
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
import threading
import time
from pathlib import Path

from benchlib import print_peak_load, print_table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
PIECE_SECONDS = 120            # the four 30 s diarization recordings, joined

TARGET_WAV_S = 0.3
TARGET_MP3_RATIO = 1.0
TARGET_MEMORY_MB = 200.0

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/bench")
from earmark.audio.peaks import compute_peaks

from benchlib import status_kb  # the child's own /proc/self/status

before = status_kb("VmRSS")
start = time.perf_counter()
peaks = compute_peaks(sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_before_kb": before, "hwm_after_kb": status_kb("VmHWM"),
                  "channels": peaks.channels, "buckets": peaks.buckets,
                  "duration": peaks.duration}))
"""


# -- running and measuring processes -------------------------------------------
class TreeSampler(threading.Thread):
    """Memory of a process and its descendants, sampled from /proc.

    `peak_kb`: the largest sum of VmRSS seen at one sample (a lower bound of
    the true peak: a burst between two samples is missed). `hwm_kb`: for each
    process, the last VmHWM (its own high-water mark) seen, by pid.
    """

    def __init__(self, pid: int, interval: float = 0.005):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.peak_processes = 0
        self.hwm_kb: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.together: set[frozenset[int]] = set()   # pids seen alive at the same sample
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            total, count = self._sample()
            if total > self.peak_kb:
                self.peak_kb, self.peak_processes = total, count
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def _sample(self) -> tuple[int, int]:
        parents: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()
            parents[int(name)] = int(fields[1])
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            frontier = [p for p, pp in parents.items() if pp in frontier and p not in tree]
            tree.update(frontier)
        total = count = 0
        alive = []
        for pid in tree:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
            except OSError:
                continue
            if "VmRSS" not in fields:
                continue  # exiting: memory already released
            total += int(fields["VmRSS"].split()[0])
            count += 1
            self.hwm_kb[pid] = int(fields["VmHWM"].split()[0])
            self.names[pid] = fields.get("Name", "?").strip()
            alive.append(pid)
        self.together.add(frozenset(alive))
        return total, count

    def upper_bound(self, root_hwm_kb: int) -> tuple[int, list[tuple[str, int]]]:
        """Largest sum of high-water marks over processes alive together, and who they were."""
        hwm = {**self.hwm_kb, self.pid: root_hwm_kb}
        groups = [group | {self.pid} for group in self.together] or [frozenset({self.pid})]
        best = max(groups, key=lambda group: sum(hwm[p] for p in group))
        who = [(self.names.get(p, "python") if p != self.pid else "python", hwm[p])
               for p in sorted(best, key=lambda p: p != self.pid)]
        return sum(kb for _, kb in who), who


def run_measured(cmd: list[str], sample: bool = False) -> dict:
    """Run `cmd`; return its stdout, wall time, the CPU other programs used
    meanwhile and, if asked, the memory samples of its process tree."""
    busy_before = cpu_busy_seconds()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = TreeSampler(proc.pid) if sample else None
    if sampler:
        sampler.start()
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    out = proc.stdout.read()  # type: ignore[union-attr]
    reader.join()
    err = b"".join(errors)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    if sampler:
        sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    busy_after = cpu_busy_seconds()
    # CPU time that other programs used meanwhile, in cores: a busy machine
    # makes a parallel decoder look slow (this one has few cores).
    own = usage.ru_utime + usage.ru_stime  # the process and its waited children
    result = {"wall": wall, "stdout": out,
              "others_cores": max(0.0, (busy_after - busy_before - own) / wall)}
    if sampler:
        result.update(sampled_kb=sampler.peak_kb, sampled_processes=sampler.peak_processes,
                      hwm_kb=dict(sampler.hwm_kb), names=dict(sampler.names), root=proc.pid,
                      sampler=sampler)
    return result


def cpu_busy_seconds() -> float:
    """CPU seconds spent by the whole machine (all cores) since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def ffmpeg_null(path: Path, sample: bool = False) -> dict:
    return run_measured(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
                        sample=sample)


def peaks_child(path: Path, sample: bool = False) -> dict:
    result = run_measured([sys.executable, "-c", CHILD, str(ROOT), str(path)], sample=sample)
    result.update(json.loads(result["stdout"]))
    if sample:
        # The child's own high-water mark comes from itself, exact; its ffmpeg
        # children's from the sampler (VmHWM only grows, so the last seen is
        # close to the final one).
        result["upper_kb"], result["upper_who"] = result["sampler"].upper_bound(result["hwm_after_kb"])
    return result


def warm(path: Path) -> None:
    """Read a file into the page cache (in pieces: this process stays small)."""
    with open(path, "rb") as fh:
        while fh.read(1 << 20):
            pass


# -- inputs --------------------------------------------------------------------
def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def build_inputs(folder: Path, minutes: int) -> tuple[Path, Path]:
    recordings = sorted(p for p in (CORPUS / "diarization").glob("*.wav") if p.stat().st_size > 1_000_000)
    if not recordings:
        raise FileNotFoundError("no 30 s recordings in corpus/diarization/")
    repeats = max(1, round(minutes * 60 / (30 * len(recordings))))
    listing = folder / "wav.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in recordings) * repeats, encoding="utf-8")
    wav = folder / "long.wav"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-ar", "16000", "-ac", "1",
           "-c:a", "pcm_s16le", str(wav))
    # MP3: encode one piece of all recordings, then join copies without re-encoding
    # (an hour of LAME encoding would take longer than the whole benchmark).
    piece_list = folder / "piece.txt"
    piece_list.write_text("".join(f"file '{p}'\n" for p in recordings), encoding="utf-8")
    piece = folder / "piece.mp3"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(piece_list), "-ar", "44100", "-ac", "2",
           "-c:a", "libmp3lame", "-b:a", "128k", str(piece))
    mp3_list = folder / "mp3.txt"
    mp3_list.write_text(f"file '{piece}'\n" * repeats, encoding="utf-8")
    mp3 = folder / "long.mp3"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(mp3_list), "-c", "copy", str(mp3))
    piece.unlink()
    return wav, mp3


def describe(path: Path) -> str:
    done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_entries",
                           "format=duration:stream=sample_rate,channels,codec_name,bit_rate",
                           str(path)], capture_output=True, check=True)
    info = json.loads(done.stdout)
    s, f = info["streams"][0], info["format"]
    rate = f", {int(s['bit_rate']) // 1000} kbit/s" if s.get("codec_name") == "mp3" else ""
    return (f"{path.name}: {float(f['duration']) / 60:.1f} min, {s['codec_name']}, "
            f"{int(s['sample_rate']) / 1000:g} kHz, {s['channels']} ch{rate}, "
            f"{path.stat().st_size / 1e6:.0f} MB")


# -- report --------------------------------------------------------------------


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (median kept)")
    parser.add_argument("--minutes", type=int, default=60, help="length of the recording")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"SKIP: the corpus is not at {CORPUS} (expected ../shared/corpus/ beside the repo)")
        return 0
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        print("SKIP: ffmpeg and ffprobe are needed (apt-get install ffmpeg)")
        return 0
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-peaks-"))
    rows, failed = [], False
    others_seen: list[float] = []
    try:
        t0 = time.perf_counter()
        wav, mp3 = build_inputs(tmp, args.minutes)
        print(f"built in {time.perf_counter() - t0:.1f} s under {tmp}:")
        for path in (wav, mp3):
            print(f"  {describe(path)}")
            warm(path)  # into the page cache, so every run reads from memory
        print(f"{os.cpu_count()} CPUs; median of {args.runs} runs; compute_peaks in a child "
              "process, timed inside it\n")

        for label, path in (("WAV 16 kHz mono", wav), ("MP3 44.1 kHz stereo", mp3)):
            plain, ours = [], []
            for _ in range(args.runs):
                plain.append(ffmpeg_null(path))
                ours.append(peaks_child(path))
            others_seen += [r["others_cores"] for r in plain + ours]
            plain_mem = ffmpeg_null(path, sample=True)
            memory = peaks_child(path, sample=True)
            t_plain = statistics.median(r["wall"] for r in plain)
            t_ours = statistics.median(r["seconds"] for r in ours)
            ratio = t_ours / t_plain
            upper = memory["upper_kb"]
            parts = " + ".join(f"{name} {mb(kb)}" for name, kb in memory["upper_who"])
            expected = round(memory["duration"] * 100)
            shape_ok = abs(memory["buckets"] - expected) <= 2
            mem_ok = upper / 1024 < TARGET_MEMORY_MB
            wav = label.startswith("WAV")
            time_ok = t_ours < TARGET_WAV_S if wav else ratio <= TARGET_MP3_RATIO
            failed |= not (time_ok and mem_ok and shape_ok)
            verdict = "PASS" if time_ok else "FAIL"
            rows += [
                (label, "ffmpeg -i FILE -f null -: time", f"{t_plain:.3f} s",
                 "runs " + ", ".join(f"{r['wall']:.3f}" for r in plain), "reference"),
                ("", "ffmpeg -f null: peak memory (VmHWM)", mb(max(plain_mem["hwm_kb"].values(), default=0)),
                 "", "reference"),
                ("", "compute_peaks: time", f"{t_ours:.3f} s",
                 (f"< {TARGET_WAV_S} s; runs " if wav else "runs ")
                 + ", ".join(f"{r['seconds']:.3f}" for r in ours), verdict if wav else ""),
                ("", "compute_peaks / ffmpeg -f null", f"{ratio:.2f}x",
                 "" if wav else f"<= {TARGET_MP3_RATIO:.1f}x", "" if wav else verdict),
                ("", "compute_peaks: peak memory, all processes", mb(upper),
                 f"< {TARGET_MEMORY_MB:.0f} MB; VmHWM of {parts}", "PASS" if mem_ok else "FAIL"),
                ("", "  same, largest sampled sum of VmRSS", mb(memory["sampled_kb"]),
                 f"{memory['sampled_processes']} process(es) at that sample; child before the "
                 f"call {mb(memory['rss_before_kb'])}", ""),
                ("", "peaks: channels x buckets", f"{memory['channels']} x {memory['buckets']:,}",
                 f"100/s of {memory['duration']:.1f} s", "PASS" if shape_ok else "FAIL"),
            ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(["file (60 min)", "measure", "figure", "target / detail", "result"], rows)
    print_peak_load(__file__, time.perf_counter() - started, others_seen,
                    "the times (the MP3 ratio above all, whose decoder uses two cores) are "
                    "unreliable. Run again on an idle machine.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
