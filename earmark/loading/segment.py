"""Cut a long recording into segments at load: at silences, or in fixed windows.

Every time is in seconds of the original file, rounded to the millisecond.

Reading
-------
`read_mono_16k(path)` (from `earmark.audio.reader`, where every file is read)
gives the whole file as 16 kHz mono int16 samples; `channel=N` one channel
instead of the mix-down. The speech detector reads its audio with the same
function.

Silence
-------
`silence_segments(samples)` has the meaning of pydub's `split_on_silence`
(`detect_nonsilent` plus `keep_silence` padding) with the same parameters, in
seconds instead of milliseconds, computed with numpy over the energy of every
millisecond (no Python loop over frames or windows; 0.2 s for an hour):

- A stretch is silent when the RMS over a window of `min_silence_len` is at or
  below the threshold, the windows starting every `seek_step` (1 ms, pydub's
  default; 10 ms costs the same here) as pydub slides them; the union of the
  silent windows is the silence, the rest are the segments. With the same
  parameters the boundaries are pydub's to the millisecond. The threshold is
  `silence_thresh_db` dBFS when given, else the file's own dBFS plus
  `silence_rel_db` (pydub's common `audio.dBFS - 16`).
- A segment shorter than `min_segment` (counting its padding) is merged with
  the neighbour across the shorter silence (the other neighbour when that
  would exceed `max_segment`; kept alone when neither can take it).
- Each segment is padded by `keep_silence` on both sides, never past the
  middle of the silence to its neighbour, never outside [0, duration].
- A segment longer than `max_segment` (padding included) is cut at the
  quietest points inside it: scanning from its start, each cut is the
  millisecond whose surrounding 100 ms holds the least energy, between half of
  `max_segment` and `max_segment` after the previous cut and leaving at least
  `min_segment` after it (so `max_segment` must be at least 2 x `min_segment`).

Segments come back ordered and non-overlapping; consecutive segments touch
only where a long segment was cut or paddings met in the middle of a silence.

Windows
-------
`window_segments(duration, seconds, overlap)`: windows of `seconds` starting
every `seconds - overlap`, the last one clipped to the duration.

The `--segment` option
----------------------
`parse_segment_spec(text)` reads the command line's `--segment` value:

    silence                                   the defaults (below)
    silence:KEY=VALUE[,KEY=VALUE...]          some of them changed
    window:SECONDS[:OVERLAP]                  e.g. window:30 or window:30:5
    asr                                       one segment per recognised utterance
    asr:KEY=VALUE[,KEY=VALUE...]              (min_silence, pad, max; below)

Keys of `silence` (the full parameter name works too):

    thresh=-45       absolute threshold in dBFS      (silence_thresh_db; default: none)
    rel=-16          threshold relative to the file's dBFS (silence_rel_db; default -16)
    min_silence=0.5  shortest silence that separates segments (min_silence_len)
    pad=0.1          silence kept on each side of a segment (keep_silence)
    step=0.001       how far apart the silence windows start (seek_step)
    min=1            shortest segment, shorter ones are merged (min_segment; 0: off)
    max=30           longest segment, longer ones are cut (max_segment; none, off or 0: no limit)

Times are seconds, or carry a unit: `300ms`, `0.3s`; levels may end in `dB`.
`thresh` and `rel` exclude each other. Example:
`--segment silence:thresh=-45,min_silence=300ms,max=20`.

Utterances
----------
`utterance_segments(words, duration)` (`--segment asr`): the speech
recogniser's words (`{"start", "end", ...}`, in order) grouped into
utterances, a new one wherever the pause between one word's end and the
next word's start is at least `min_silence` (0.5 s), or, given the
`samples`, wherever the audio is silent that long between the sound of one
word and the sound of the next (Whisper at times stretches a word over a
pause, near the end of its 30 s windows most); an utterance longer
than `max_segment` (30 s) is cut at its longest pauses until none is. Each
segment runs from its first word's start to its last word's end, padded by
`pad` (0.2 s) on both sides, never past the middle of the pause to its
neighbour (so segments never overlap and every word lies in exactly one),
never outside [0, duration]. Whisper's word times after a pause often start
inside the first word (0.3 s late on the test speech): given the `samples`,
an utterance reaches back from its first word's start over sound (10 ms
frames above the file's level - 16 dB) and pauses under 0.2 s to where the
sound begins, at most 1 s and never into the previous utterance, and on from
its last word's end to where the sound stops, likewise. Keys of `asr`: `min_silence`, `pad`, `max`
(times as above; `max=none` for no limit). `earmark.loading.longform` runs
the recogniser (the model `transcribe`) once on the whole file, cuts it at
its words and gives each segment its own words and transcript.

The parsed `SegmentSpec` is callable: `spec(path)` returns the segments of a
file (a window spec reads only the duration from the header; a silence spec
decodes the audio, or uses `samples=` already read; an asr spec needs
`words=`).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from earmark.audio.probe import AudioInfo, probe
from earmark.audio.reader import AudioReadError, read_mono_16k
from earmark.audio.samples import FULL_SCALE  # pydub's max_possible_amplitude for 16-bit samples too

SAMPLE_RATE = 16000
QUIET_SECONDS = 0.1           # span whose energy decides where a long segment is cut
_ENERGY_CHUNK_MS = 60000      # milliseconds of energy computed per step (one minute)

Segments = list[tuple[float, float]]


#: The audio could not be read or decoded for segmentation (the reader's error).
SegmentError = AudioReadError


# -- energies ------------------------------------------------------------------
class _MsBounds:
    """Where each millisecond starts, in samples: bounds[m] = min(floor(m * rate / 1000), n),
    as pydub slices. Computed when asked, never stored (an hour has 3.6 million)."""

    def __init__(self, n: int, rate: int):
        self.n, self.rate = n, rate
        self.count = -(-n * 1000 // rate)              # milliseconds, the last one maybe partial

    def __getitem__(self, m):
        if isinstance(m, slice):
            m = np.arange(*m.indices(self.count + 1), dtype=np.int64)
        return np.minimum(np.asarray(m, dtype=np.int64) * self.rate // 1000, self.n)

    def first_from(self, sample: int) -> int:
        """The first millisecond that starts at or after `sample`."""
        return min(-(-sample * 1000 // self.rate), self.count)

    def last_until(self, sample: int) -> int:
        """The last millisecond that starts at or before `sample`."""
        return min(-(-(sample + 1) * 1000 // self.rate) - 1, self.count)


def _ms_energy(samples: np.ndarray, bounds: _MsBounds, out: np.ndarray) -> None:
    """Sum of squared samples of every millisecond (the last one may be partial), into `out`.

    Squares are summed in float32 (a relative error of 1e-7, far below any
    threshold's meaning; exact zeros stay zero) and kept as int64 so that
    running sums are exact.
    """
    n, count = len(samples), bounds.count
    per_ms, remainder = divmod(bounds.rate, 1000)
    if remainder == 0:                                        # 16 kHz: 16 samples a millisecond
        whole = n // per_ms
        for first in range(0, whole, _ENERGY_CHUNK_MS):
            last = min(whole, first + _ENERGY_CHUNK_MS)
            block = samples[first * per_ms: last * per_ms].astype(np.float32).reshape(-1, per_ms)
            out[first:last] = np.einsum("ij,ij->i", block, block)
        if count > whole:
            tail = samples[whole * per_ms:].astype(np.int64)
            out[whole] = int(np.dot(tail, tail))
        return
    for first in range(0, count, _ENERGY_CHUNK_MS):          # rates such as 22050 Hz
        last = min(count, first + _ENERGY_CHUNK_MS)
        edges = bounds[first:last + 1]
        block = samples[edges[0]: edges[-1]].astype(np.float32)
        out[first:last] = np.add.reduceat(block * block, edges[:-1] - edges[0])


# -- silence -------------------------------------------------------------------
def silence_segments(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, *,
                     silence_thresh_db: float | None = None, silence_rel_db: float = -16.0,
                     min_silence_len: float = 0.5, keep_silence: float = 0.1,
                     min_segment: float = 1.0, max_segment: float | None = 30.0,
                     seek_step: float = 0.001) -> Segments:
    """Segments between silences, as (start, end) seconds; see the module docstring.

    `samples`: 1-D int16. Parameters as pydub's, in seconds: `min_silence_len`,
    `keep_silence` (padding), `seek_step` (how far apart the windows start);
    the threshold is `silence_thresh_db` dBFS when given, else the file's dBFS
    plus `silence_rel_db`. `min_segment` (0: off) and `max_segment` (None: off)
    bound the lengths of the result.
    """
    x = np.asarray(samples)
    if x.ndim != 1 or x.dtype != np.int16:
        raise TypeError(f"samples must be a 1-D int16 array (got {x.dtype}, {x.ndim}-D); "
                        "read_mono_16k(path) gives one")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate < 1000:
        raise ValueError(f"sample_rate must be an integer of at least 1000 Hz, got {sample_rate!r}")
    _check_number("min_silence_len", min_silence_len, low=0.001)
    _check_number("keep_silence", keep_silence, low=0.0)
    _check_number("min_segment", min_segment, low=0.0)
    _check_number("seek_step", seek_step, low=0.001)
    if max_segment is not None and not (isinstance(max_segment, float) and max_segment == math.inf):
        _check_number("max_segment", max_segment, low=0.0, low_open=True)
        if max_segment < 2 * min_segment:
            raise ValueError(f"max_segment ({max_segment:g} s) must be at least twice min_segment "
                             f"({min_segment:g} s): a long segment is cut into pieces of "
                             "max_segment/2 to max_segment")
    else:
        max_segment = None
    _check_number("silence_rel_db", silence_rel_db)
    if silence_thresh_db is not None:
        _check_number("silence_thresh_db", silence_thresh_db, allow_minus_inf=True)

    n = len(x)
    if n == 0:
        return []
    bounds = _MsBounds(n, sample_rate)
    nm = bounds.count
    cum = np.empty(nm + 1, dtype=np.int64)             # running sum of the energy of each ms
    cum[0] = 0
    _ms_energy(x, bounds, cum[1:])
    np.cumsum(cum[1:], out=cum[1:])

    if silence_thresh_db is None:
        # pydub's AudioSegment.dBFS, to the last bit: from audioop.rms (an
        # integer) through math.log(x, 10) (a threshold of exactly 9.0 must
        # not become 8.999...).
        file_rms = math.isqrt(int(cum[-1]) // n)
        file_db = 20 * math.log(file_rms / FULL_SCALE, 10) if file_rms > 0 else -math.inf
        thresh_db = file_db + silence_rel_db
    else:
        thresh_db = float(silence_thresh_db)
    threshold = 10 ** (thresh_db / 20) * FULL_SCALE if thresh_db > -math.inf else 0.0

    # pydub's sliding window: `width` ms starting every `step` ms (and at the
    # last possible start), silent when its RMS, truncated to an integer as
    # audioop.rms does, is at or below the threshold. Windows are taken as
    # strided slices of the running sums: no index arrays, no loop.
    width = int(round(min_silence_len * 1000))
    step = int(round(seek_step * 1000))
    length_ms = int(round(1000 * n / sample_rate))            # pydub's len()
    limit = float((math.floor(threshold) + 1) ** 2)           # int(rms) <= t  <=>  rms^2 < (floor(t)+1)^2
    delta = np.zeros(nm + 1, dtype=np.int32)                  # +1 where a silent window starts, -1 after it
    if length_ms >= width:
        last_start = length_ms - width
        span = (last_start // step) * step + 1
        head, tail = slice(0, span, step), slice(width, width + span, step)
        sums = cum[tail] - cum[head]
        if sample_rate % 1000 == 0:   # every window holds width ms of samples but a partial last one
            silent = sums < limit * (width * (sample_rate // 1000))
            if nm * (sample_rate // 1000) > n and width + span - 1 >= nm:
                silent[-1] = sums[-1] < limit * (n - bounds[nm - width])
        else:
            silent = sums < limit * (bounds[tail] - bounds[head])
        del sums
        delta[head] += silent
        delta[tail] -= silent
        if last_start % step:
            end = last_start + width
            if cum[end] - cum[last_start] < limit * (bounds[end] - bounds[last_start]):
                delta[last_start] += 1
                delta[end] -= 1
        del silent
    covered = np.cumsum(delta[:nm], dtype=np.int32) > 0                       # silence: under some silent window
    del delta
    change = np.flatnonzero(covered[1:] != covered[:-1]) + 1
    points = np.concatenate(([0], change, [nm]))
    loud = ~covered[points[:-1]]
    starts = bounds[points[:-1][loud]]
    ends = bounds[points[1:][loud]]
    if len(starts) == 0:
        return []

    pad = int(round(keep_silence * sample_rate))
    shortest = int(round(min_segment * sample_rate))
    longest = None if max_segment is None else int(round(max_segment * sample_rate))
    starts, ends = _merge_short(starts, ends, n, pad, shortest, longest)
    lo, hi = _padded(starts, ends, n, pad)
    if longest is not None and np.any(hi - lo > longest):
        lo, hi = _cut_long(lo, hi, cum, bounds, sample_rate, shortest, longest)
    return _to_seconds(lo, hi, n, sample_rate)


def _padded(starts: np.ndarray, ends: np.ndarray, n: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad by `pad` samples, meeting in the middle of a silence shorter than two paddings."""
    lo = np.maximum(starts - pad, 0)
    hi = np.minimum(ends + pad, n)
    if len(starts) > 1:
        meet = hi[:-1] > lo[1:]
        middle = (ends[:-1] + starts[1:]) // 2
        hi[:-1] = np.where(meet, middle, hi[:-1])
        lo[1:] = np.where(meet, middle, lo[1:])
    return lo, hi


def _merge_short(starts: np.ndarray, ends: np.ndarray, n: int, pad: int,
                 shortest: int, longest: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Merge each segment shorter than `shortest` (padding counted) into a neighbour.

    The shortest goes first (a heap), into the neighbour across the shorter
    silence, or the other one when the first choice would exceed `longest`;
    when neither can take it, it stays. A merge keeps the outer padding of the
    two, so the merged length is known before merging and no other segment's
    length changes: O(n log n) for n segments.
    """
    count = len(starts)
    if shortest <= 0 or count < 2:
        return starts, ends
    s, e = starts.tolist(), ends.tolist()
    prev = list(range(-1, count - 1))
    nxt = list(range(1, count + 1))
    nxt[-1] = -1
    alive = [True] * count
    version = [0] * count

    def lo(i: int) -> int:
        p = prev[i]
        if p >= 0 and e[p] + pad > s[i] - pad:
            return (e[p] + s[i]) // 2
        return max(s[i] - pad, 0)

    def hi(i: int) -> int:
        q = nxt[i]
        if q >= 0 and e[i] + pad > s[q] - pad:
            return (e[i] + s[q]) // 2
        return min(e[i] + pad, n)

    heap = [(hi(i) - lo(i), i, 0) for i in range(count)]
    heap = [item for item in heap if item[0] < shortest]
    heapq.heapify(heap)
    while heap:
        _length, i, ver = heapq.heappop(heap)
        if not alive[i] or ver != version[i]:
            continue                                   # merged away, or an old entry
        options = []
        if prev[i] >= 0:
            options.append((s[i] - e[prev[i]], prev[i], i))
        if nxt[i] >= 0:
            options.append((s[nxt[i]] - e[i], i, nxt[i]))
        for _gap, a, b in sorted(options):
            if longest is None or hi(b) - lo(a) <= longest:
                e[a] = e[b]                            # b joins a
                alive[b] = False
                nxt[a] = nxt[b]
                if nxt[b] >= 0:
                    prev[nxt[b]] = a
                version[a] += 1
                length = hi(a) - lo(a)
                if length < shortest:
                    heapq.heappush(heap, (length, a, version[a]))
                break
        # else: neither neighbour can take it; no later merge makes that possible
        # (neighbours only grow) unless a neighbour merges into it, which re-queues it.
    keep = [i for i in range(count) if alive[i]]
    return (np.asarray([s[i] for i in keep], dtype=np.int64),
            np.asarray([e[i] for i in keep], dtype=np.int64))


def _cut_long(lo: np.ndarray, hi: np.ndarray, cum: np.ndarray, bounds: _MsBounds,
              sample_rate: int, shortest: int, longest: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut every segment longer than `longest` at its quietest points.

    From the segment's start, each cut is the millisecond boundary whose
    surrounding 100 ms has the least energy, between half of `longest` and
    `longest` after the previous cut and at least `shortest` before the end;
    among equally quiet points (digital silence) the middle of the first run.
    """
    nm = len(cum) - 1
    half = int(round(QUIET_SECONDS * 1000 / 2))
    new_lo: list[int] = []
    new_hi: list[int] = []
    for s, e in zip(lo.tolist(), hi.tolist()):
        cur = s
        while e - cur > longest:
            # Candidate cuts: millisecond boundaries (sample positions bounds[m]).
            first = bounds.first_from(cur + longest // 2)
            last = bounds.last_until(min(cur + longest, e - shortest))
            if last < first:   # cannot happen when longest >= 2 * shortest; cut at the limit
                cut = min(cur + longest, e - 1)
            else:
                m = np.arange(first, last + 1)
                a, b = np.clip(m - half, 0, nm), np.clip(m + half, 0, nm)
                quiet = (cum[b] - cum[a]) / np.maximum(bounds[b] - bounds[a], 1)
                low = quiet.min()
                tied = np.flatnonzero(quiet == low)
                breaks = np.flatnonzero(np.diff(tied) > 1)
                run_end = tied[breaks[0]] if len(breaks) else tied[-1]
                cut = int(bounds[first + (tied[0] + run_end) // 2])
            new_lo.append(cur)
            new_hi.append(cut)
            cur = cut
        new_lo.append(cur)
        new_hi.append(e)
    return np.asarray(new_lo, dtype=np.int64), np.asarray(new_hi, dtype=np.int64)


def _to_seconds(lo: np.ndarray, hi: np.ndarray, n: int, sample_rate: int) -> Segments:
    limit = math.floor(n * 1000 / sample_rate) / 1000      # the duration, to the ms below
    out: Segments = []
    for s, e in zip(lo.tolist(), hi.tolist()):
        start = min(round(s / sample_rate, 3), limit)
        end = min(round(e / sample_rate, 3), limit)
        if end > start:
            out.append((start, end))
    return out


# -- windows -------------------------------------------------------------------
def window_segments(duration: float, seconds: float, overlap: float = 0.0) -> Segments:
    """Windows of `seconds` every `seconds - overlap`, the last clipped to `duration`."""
    _check_number("duration", duration, low=0.0, low_open=True)
    _check_number("window length", seconds, low=0.0, low_open=True)
    _check_number("overlap", overlap, low=0.0)
    if overlap >= seconds:
        raise ValueError(f"overlap ({overlap} s) must be shorter than the window ({seconds} s)")
    length_ms = int(round(seconds * 1000))
    step_ms = length_ms - int(round(overlap * 1000))
    duration_ms = int(math.floor(duration * 1000 + 1e-6))
    if length_ms < 1:
        raise ValueError(f"window length ({seconds} s) must be at least 1 ms")
    if step_ms < 1:
        raise ValueError(f"window minus overlap ({seconds} - {overlap} s) must be at least 1 ms")
    if duration_ms < 1:
        raise ValueError(f"duration ({duration} s) is shorter than 1 ms")
    count = 1 if duration_ms <= length_ms else 1 + -(-(duration_ms - length_ms) // step_ms)
    starts = np.arange(count, dtype=np.int64) * step_ms
    ends = np.minimum(starts + length_ms, duration_ms)
    return [(s / 1000, e / 1000) for s, e in zip(starts.tolist(), ends.tolist())]


# -- utterances ----------------------------------------------------------------
def utterance_segments(words: list[dict], duration: float, *, min_silence: float = 0.5,
                       pad: float = 0.2, max_segment: float | None = 30.0,
                       samples: np.ndarray | None = None) -> Segments:
    """Segments of recognised words, one per utterance; see the module docstring.
    `samples`: the file's 16 kHz mono int16 samples, to reach the edges of the sound."""
    _check_number("min_silence", min_silence, low=0.0)
    _check_number("pad", pad, low=0.0)
    if max_segment is not None:
        _check_number("max_segment", max_segment, low=0.0, low_open=True)
    times = [(float(w["start"]), float(w["end"])) for w in words]
    if not times:
        return []
    loud = _loud_frames(np.asarray(samples)) if samples is not None and len(samples) else None
    breaks = _silent_breaks(loud, times, min_silence) if loud is not None else set()
    groups: list[list[int]] = [[0]]
    for i in range(1, len(times)):
        if times[i][0] - times[i - 1][1] >= min_silence or i in breaks:
            groups.append([i])
        else:
            groups[-1].append(i)
    if max_segment is not None:
        groups = [piece for group in groups for piece in _split_long(group, times, max_segment)]
    spans = [(times[g[0]][0], max(times[i][1] for i in g)) for g in groups]
    if loud is not None:
        spans = _to_sound_edges(loud, spans)
    out: Segments = []
    for n, (start, end) in enumerate(spans):
        lo = max(0.0, start - pad)
        hi = min(duration, end + pad)
        if n > 0:
            lo = max(lo, (spans[n - 1][1] + start) / 2)
        if n + 1 < len(spans):
            hi = min(hi, (end + spans[n + 1][0]) / 2)
        lo, hi = round(lo, 3), round(hi, 3)
        if out and lo < out[-1][1]:
            lo = out[-1][1]
        if hi > lo:
            out.append((lo, hi))
    return out


SOUND_FRAME = 0.01       # seconds per frame when utterances reach to the edges of their sound
SOUND_REACH = 1.0        # ... at most this far
SOUND_BRIDGE = 0.2       # ... over pauses shorter than this (between words)


def _loud_frames(samples: np.ndarray) -> np.ndarray:
    """Whether each SOUND_FRAME of the samples is above the file's level - 16 dB."""
    per = int(SAMPLE_RATE * SOUND_FRAME)
    n = len(samples) // per
    frames = samples[: n * per].astype(np.float32).reshape(n, per)
    energy = np.einsum("ij,ij->i", frames, frames) / per
    level = float(energy.mean()) * 10 ** (-16 / 10) if n else 0.0    # power
    return energy > max(level, 1.0)


def _silent_breaks(loud: np.ndarray, times: list[tuple[float, float]], min_silence: float) -> set[int]:
    """Word indices that start a new utterance because the audio is silent for `min_silence`
    between the sound of the word before and the sound of this one, though Whisper's times
    stretched a word over the pause (each word's sound: its loud frames)."""
    n = len(loud)
    sound: list[tuple[int, int]] = []
    for start, end in times:
        f0 = min(int(start / SOUND_FRAME), n)
        f1 = min(max(int(math.ceil(end / SOUND_FRAME)), f0 + 1), n)
        on = np.flatnonzero(loud[f0:f1])
        sound.append((f0 + int(on[0]), f0 + int(on[-1]) + 1) if len(on) else (f0, f1))
    quiet = np.concatenate(([False], ~loud, [False]))
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    shortest = int(round(min_silence / SOUND_FRAME))
    ends = [e for _, e in sound]
    found: set[int] = set()
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist()):
        if b - a < shortest:
            continue
        k = bisect.bisect_right(ends, a + 1) - 1          # the last word whose sound ends before the silence
        if 0 <= k < len(times) - 1 and sound[k + 1][0] >= b - 1:
            found.add(k + 1)
    return found


def _to_sound_edges(loud: np.ndarray, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Utterance spans widened to the sound around their first and last words: back from the
    first word's start (and on from the last word's end) over sound and pauses shorter than
    SOUND_BRIDGE, at most SOUND_REACH, never into the neighbouring utterance."""
    n = len(loud)
    if n == 0:
        return spans
    reach = int(round(SOUND_REACH / SOUND_FRAME))
    bridge = int(round(SOUND_BRIDGE / SOUND_FRAME))
    out: list[tuple[float, float]] = []
    for k, (start, end) in enumerate(spans):
        floor = int(math.ceil(out[-1][1] / SOUND_FRAME)) if out else 0
        ceiling = int(spans[k + 1][0] / SOUND_FRAME) if k + 1 < len(spans) else n
        i = min(int(start / SOUND_FRAME), n - 1)
        onset = _farthest_sound(loud, i, range(i - 1, max(floor, i - reach) - 1, -1), bridge)
        if onset is not None:
            start = min(start, onset * SOUND_FRAME)
        j = min(int(end / SOUND_FRAME), n - 1)
        offset = _farthest_sound(loud, j, range(j + 1, min(ceiling, j + reach, n)), bridge)
        if offset is not None:
            end = max(end, (offset + 1) * SOUND_FRAME)
        out.append((start, end))
    return out


def _farthest_sound(loud: np.ndarray, at: int, frames: range, bridge: int) -> int | None:
    """The farthest loud frame reached from `at` walking `frames` (back or on), over pauses
    shorter than `bridge` frames; `at` itself when loud and nothing farther is; else None."""
    found, quiet = (at if loud[at] else None), 0
    for f in frames:
        if loud[f]:
            found, quiet = f, 0
        else:
            quiet += 1
            if quiet >= bridge:
                break
    return found


def _split_long(group: list[int], times: list[tuple[float, float]], longest: float) -> list[list[int]]:
    """An utterance cut at its longest pauses until every piece spans at most `longest` (a piece
    of one word stays whole, however long). A stack, not recursion: a long monologue has
    thousands of words."""
    done: list[list[int]] = []
    todo = [group]
    while todo:
        piece = todo.pop()
        if len(piece) < 2 or times[piece[-1]][1] - times[piece[0]][0] <= longest:
            done.append(piece)
            continue
        gaps = [times[piece[k + 1]][0] - times[piece[k]][1] for k in range(len(piece) - 1)]
        # the longest pause, the middle one among equals, so that pieces stay even
        best = max(range(len(gaps)), key=lambda k: (gaps[k], -abs(k - len(gaps) / 2)))
        todo += [piece[best + 1:], piece[:best + 1]]     # the first piece is taken next
    return done


def _check_number(name: str, value: object, low: float | None = None, low_open: bool = False,
                  allow_minus_inf: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isnan(value) or (math.isinf(value) and not (allow_minus_inf and value < 0)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'greater than' if low_open else 'at least'} {low:g}, got {value!r}")


# -- the --segment option ------------------------------------------------------
# key -> (parameter of silence_segments, kind of value)
_SILENCE_KEYS: dict[str, tuple[str, str]] = {
    "thresh": ("silence_thresh_db", "db"),
    "rel": ("silence_rel_db", "db"),
    "min_silence": ("min_silence_len", "time"),
    "pad": ("keep_silence", "time"),
    "min": ("min_segment", "time"),
    "max": ("max_segment", "time_or_none"),
    "step": ("seek_step", "time"),
}
for _short, (_param, _kind) in list(_SILENCE_KEYS.items()):
    _SILENCE_KEYS[_param] = (_param, _kind)

_SPEC_HELP = "expected 'silence', 'silence:KEY=VALUE,...', 'window:SECONDS[:OVERLAP]' or 'asr[:KEY=VALUE,...]'"
# key of `asr` -> parameter of utterance_segments
_ASR_KEYS = {"min_silence": ("min_silence", "time"), "pad": ("pad", "time"), "max": ("max_segment", "time_or_none")}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class SegmentSpec:
    """A parsed `--segment` value: `kind` and the keyword arguments of its function.

    `kind` is "silence" (`options` for `silence_segments`), "window"
    (`options` `seconds` and `overlap` for `window_segments`) or "asr"
    (`options` for `utterance_segments`, cutting at the recognised words).
    Calling it segments one file.
    """

    kind: str
    options: dict = field(default_factory=dict)
    text: str = ""

    @property
    def needs_samples(self) -> bool:
        """Whether segmenting decodes the audio (silence, asr) or needs only the duration (window)."""
        return self.kind in ("silence", "asr")

    @property
    def needs_words(self) -> bool:
        """Whether segmenting needs the recognised words (asr)."""
        return self.kind == "asr"

    def __call__(self, path: str | Path | None = None, *, samples: np.ndarray | None = None,
                 duration: float | None = None, info: AudioInfo | None = None,
                 words: list[dict] | None = None) -> Segments:
        """Segments of one file: give `path` (and optionally its probed `info`), or
        `samples` (16 kHz mono int16) for silence, or `duration` for windows, or
        `words` and `duration` for asr."""
        if self.kind == "asr":
            if words is None:
                raise ValueError("asr segmentation needs the recognised words")
            if duration is None:
                if path is None:
                    raise ValueError("asr segmentation needs the file's duration")
                duration = (info or probe(path)).duration
            return utterance_segments(words, duration, samples=samples, **self.options)
        if self.kind == "window":
            if duration is None:
                if samples is not None:
                    duration = len(samples) / SAMPLE_RATE
                elif path is not None:
                    duration = (info or probe(path)).duration
                else:
                    raise ValueError("window segmentation needs a path or a duration")
            return window_segments(duration, **self.options)
        if samples is None:
            if path is None:
                raise ValueError("silence segmentation needs a path or the samples")
            samples = read_mono_16k(path, info)
        return silence_segments(samples, SAMPLE_RATE, **self.options)


def parse_segment_spec(spec: str) -> SegmentSpec:
    """Parse a `--segment` value (syntax in the module docstring); ValueError names the bad part."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"empty --segment value ({_SPEC_HELP})")
    text = spec.strip()
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind == "silence":
        return SegmentSpec("silence", _parse_silence_options(text, rest, bool(sep)), text)
    if kind == "window":
        return SegmentSpec("window", _parse_window(text, rest, bool(sep)), text)
    if kind == "asr":
        return SegmentSpec("asr", _parse_asr_options(text, rest, bool(sep)), text)
    raise ValueError(f"--segment {text!r}: unknown method {kind!r} ({_SPEC_HELP})")


def _parse_silence_options(text: str, rest: str, has_colon: bool) -> dict:
    options: dict = {}
    if not has_colon:
        return options
    if not rest.strip():
        raise ValueError(f"--segment {text!r}: nothing after 'silence:' "
                         "(write 'silence' for the defaults, or KEY=VALUE options)")
    seen: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            raise ValueError(f"--segment {text!r}: empty option (two commas, or a comma at the end)")
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or not value.strip():
            raise ValueError(f"--segment {text!r}: option {item!r} has no value (write KEY=VALUE)")
        if key not in _SILENCE_KEYS:
            known = ", ".join(k for k in _SILENCE_KEYS if "_" not in k or k == "min_silence")
            raise ValueError(f"--segment {text!r}: unknown option {key!r} (known: {known})")
        param, value_kind = _SILENCE_KEYS[key]
        if param in seen:
            raise ValueError(f"--segment {text!r}: {key!r} repeats {seen[param]!r}")
        seen[param] = key
        options[param] = _parse_value(text, key, value.strip(), value_kind)
    if "silence_thresh_db" in options and "silence_rel_db" in options:
        raise ValueError(f"--segment {text!r}: give either 'thresh' (absolute dBFS) or "
                         "'rel' (relative to the file's dBFS), not both")
    try:  # range checks of silence_segments, before any audio is read
        silence_segments(np.zeros(0, dtype=np.int16), SAMPLE_RATE, **options)
    except ValueError as exc:
        raise ValueError(f"--segment {text!r}: {_short_names(str(exc))}") from None
    return options


def _parse_asr_options(text: str, rest: str, has_colon: bool) -> dict:
    options: dict = {}
    if not has_colon:
        return options
    if not rest.strip():
        raise ValueError(f"--segment {text!r}: nothing after 'asr:' "
                         "(write 'asr' for the defaults, or KEY=VALUE options)")
    for item in rest.split(","):
        item = item.strip()
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not item or not eq or not value.strip():
            raise ValueError(f"--segment {text!r}: option {item!r} has no value (write KEY=VALUE)")
        if key not in _ASR_KEYS:
            raise ValueError(f"--segment {text!r}: unknown option {key!r} (known: {', '.join(_ASR_KEYS)})")
        param, kind = _ASR_KEYS[key]
        if param in options:
            raise ValueError(f"--segment {text!r}: {key!r} is given twice")
        options[param] = _parse_value(text, key, value.strip(), kind)
    try:  # range checks, before any audio is read
        utterance_segments([], 1.0, **options)
    except ValueError as exc:
        raise ValueError(f"--segment {text!r}: {exc.args[0].replace('max_segment', 'max')}") from None
    return options


def _parse_value(text: str, key: str, value: str, kind: str) -> float | None:
    low = value.lower()
    if kind == "time_or_none" and low in ("none", "off"):
        return None
    if kind == "db":
        match = re.fullmatch(rf"({_NUMBER})\s*(dbfs|db)?", low)
        unit_help = "a level in dB, e.g. -40 or -40dB"
        scale = 1.0
    else:
        match = re.fullmatch(rf"({_NUMBER})\s*(ms|s)?", low)
        unit_help = "a time in seconds, e.g. 0.5, 0.5s or 500ms"
        scale = 0.001 if match and match.group(2) == "ms" else 1.0
    if not match:
        raise ValueError(f"--segment {text!r}: {key}={value!r} is not {unit_help}")
    number = float(match.group(1))
    if not math.isfinite(number):
        raise ValueError(f"--segment {text!r}: {key}={value!r} is not a finite number")
    if kind == "time_or_none" and number == 0:
        return None
    return number * scale


def _short_names(message: str) -> str:
    """A message of silence_segments in the option names of --segment."""
    for short, (param, _kind) in _SILENCE_KEYS.items():
        if short != param:
            message = message.replace(param, short)
    return message


def _parse_window(text: str, rest: str, has_colon: bool) -> dict:
    if not has_colon or not rest.strip():
        raise ValueError(f"--segment {text!r}: the window length is missing (write window:SECONDS[:OVERLAP], "
                         "e.g. window:30 or window:30:5)")
    parts = rest.split(":")
    if len(parts) > 2:
        raise ValueError(f"--segment {text!r}: too many parts after 'window:' "
                         "(write window:SECONDS[:OVERLAP])")
    names = ("window length", "overlap")
    values = [_parse_value(text, name, part.strip(), "time") for name, part in zip(names, parts)]
    seconds = values[0]
    overlap = values[1] if len(values) > 1 else 0.0
    assert seconds is not None and overlap is not None
    if seconds <= 0:
        raise ValueError(f"--segment {text!r}: the window length must be positive, got {parts[0].strip()!r}")
    if overlap < 0:
        raise ValueError(f"--segment {text!r}: the overlap must not be negative, got {parts[1].strip()!r}")
    if overlap >= seconds:
        raise ValueError(f"--segment {text!r}: the overlap ({parts[1].strip()}) must be shorter "
                         f"than the window ({parts[0].strip()})")
    try:
        window_segments(max(seconds, 1.0), seconds, overlap)   # the ms checks
    except ValueError as exc:
        raise ValueError(f"--segment {text!r}: {exc}") from None
    return {"seconds": seconds, "overlap": overlap}

