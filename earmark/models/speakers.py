"""Speaker diarization without torch: who speaks when, as regions SPEAKER_00, SPEAKER_01, ...

1. Speech regions from the built-in detector (`earmark.models.speech`); a
   region whose spectrum is flat like white noise (median mel-band spectral
   flatness above 0.3; speech measured 0.001-0.03 on the corpus, the corpus's
   full-scale noise file 0.47) is dropped: the detector takes such noise for
   speech.
2. resemblyzer's voice encoder (`earmark.models.voice`) on windows of 1.6 s
   centred every `step` seconds (0.25) on speech, the volume normalised over
   the task's audio. The mel spectrogram is computed once per task.
3. Spectral clustering of the windows' embeddings. The affinity is the cosine,
   rescaled and clipped: clip((cos - 0.6) / 0.4, 0, 1). resemblyzer's
   embeddings are non-negative, so every cosine is positive; on the corpus two
   windows of one speaker measured 0.75 on average and of two speakers 0.66,
   so below 0.6 counts as no affinity. The number of speakers is
   `num_speakers` when given, else the largest gap among the first
   `max_speakers` + 1 eigenvalues of the normalised Laplacian; when that
   says one speaker, a two-way split is kept if its parts' mean embeddings
   are further apart than one voice's (`two_voices`: cosine under 0.78). k-means on the row-normalised
   eigenvectors (fixed seed: the same audio gives the same labels). Then
   every window takes the speaker whose mean embedding is nearest (up to 3
   rounds): the graph puts a window between two voices with its neighbours,
   the mean with its voice (on `trñ00` DER 0.439 to 0.419, 0.5 s less
   confusion; the other files unchanged).
4. A median filter over 5 windows of the labels; every 10 ms speech frame takes
   the label of the window centred nearest to it, and runs of one label make
   the regions, numbered by first appearance (SPEAKER_00 speaks first).
   Overlapping speech: with `overlap` above 0, a frame also gets a second
   speaker when at least that share of the windows centred within 0.4 s of it
   gave that speaker (regions of two speakers then overlap). It is off by
   default: on the corpus the second speakers it adds at speaker changes are
   never the ones talking over each other (on `trñ00` at 0.3: 1.34 s more
   false alarm, none of the 4.3 s of overlap found, DER 0.419 to 0.466).
   With `num_speakers` given, that many are found even where one voice
   dominates (`trn03`, 1.2 s of a second speaker in 30 s: DER 0.068
   estimated, 0.261 with 2 given).

Each region carries `score`: the mean cosine similarity (0..1) of the
region's windows to the mean embedding of their speaker (how typical of its
speaker the region sounds; low scores are the doubtful ones), and
`_embedding`: the region's mean window embedding, renormalised (256 floats),
which loading keeps beside the region for voice profiles.

Measured on the corpus (bench/bench_diarization.py; 10 ms frames, no collar):
DER 0.42 on `trñ00` against 0.48 for all reference speech as one speaker, and
0.56 for the detector's speech as one speaker; most of what is left is
overlapped speech (4.3 s of its 23.4 s) and speech the detector misses.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from earmark.models.registry import Model, Param, report_progress, task_audio

SAMPLE_RATE = 16000
FRAME = 0.01                 # the encoder's hop: 10 ms
WINDOW_FRAMES = 160          # 1.6 s
AFFINITY_FLOOR = 0.6         # cosine at which affinity starts (cross-speaker mean measured 0.66)
NOISE_FLATNESS = 0.3
MAX_CLUSTERED = 1500         # windows clustered at most (6 minutes of speech); the rest assigned
RESEGMENT_ROUNDS = 3         # nearest-mean reassignments after clustering (trñ00: DER 0.439 to 0.419)
OVERLAP_REACH = 40           # frames (0.4 s) either side whose windows vote for a second speaker
# When the eigengap says one speaker, a two-way split still counts as two voices when the
# means of its parts are this far apart. Measured on the corpus: segments of two known
# voices 0.68-0.73 (the eigengap heard one in one of four); one dominant voice 0.89
# (`trn03`), one voice 0.95 (`trn02`); the meetings of 3-4 people 0.80-0.81.
SPLIT_COSINE = 0.78
MIN_SPLIT = 3                # windows each part needs (an outlier window is not a voice)
LABEL = "SPEAKER_{:02d}"


@dataclass(frozen=True)
class SpeakerSettings:
    num_speakers: int = 0         # 0: estimated
    max_speakers: int = 8         # the most speakers an estimate gives
    step: float = 0.25            # seconds between the centres of two windows
    median_windows: int = 5       # median filter of the labels, in windows (odd)
    overlap: float = 0.0          # share of nearby windows that adds a second speaker (0: never)


_PARAM_HELP = {
    "num_speakers": "the number of speakers (0: estimated from the audio)",
    "max_speakers": "the most speakers an estimate gives",
    "step": "seconds between the centres of two 1.6 s windows",
    "median_windows": "median filter of the labels, in windows (odd)",
    "overlap": "share of the windows around a frame that adds a second speaker there (0: never)",
}


def noise_like(mel: np.ndarray) -> bool:
    """True when the median frame's mel-band spectral flatness is above NOISE_FLATNESS (white noise is near 1)."""
    power = mel.astype(np.float64) + 1e-10
    flatness = np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1)
    return bool(np.median(flatness) > NOISE_FLATNESS) if len(flatness) else True


def speech_mask(samples: np.ndarray, n_frames: int, mel: np.ndarray) -> np.ndarray:
    """10 ms frames inside speech regions of the detector, noise-like regions left out."""
    from earmark.models.speech import detect_speech
    mask = np.zeros(n_frames, dtype=bool)
    for start, end in detect_speech(samples):
        a, b = int(round(start / FRAME)), min(n_frames, int(round(end / FRAME)))
        if b > a and not noise_like(mel[a:b]):
            mask[a:b] = True
    return mask


def affinity(vectors: np.ndarray) -> np.ndarray:
    cosine = vectors @ vectors.T
    return np.clip((cosine - AFFINITY_FLOOR) / (1 - AFFINITY_FLOOR), 0, 1)


def cluster(vectors: np.ndarray, num_speakers: int = 0, max_speakers: int = 8) -> np.ndarray:
    """A speaker index per window: spectral clustering of the affinity, k given or from the eigengap.

    Beyond MAX_CLUSTERED windows (a long recording as one task: the affinity
    grows with the square), evenly spaced windows are clustered and every
    window takes the speaker whose mean embedding is nearest."""
    if len(vectors) > MAX_CLUSTERED:
        some = np.linspace(0, len(vectors) - 1, MAX_CLUSTERED).round().astype(np.int64)
        labels = _cluster(vectors[some], num_speakers, max_speakers)
        return resegment(vectors, labels, vectors[some])
    return resegment(vectors, _cluster(vectors, num_speakers, max_speakers))


def resegment(vectors: np.ndarray, labels: np.ndarray, clustered: np.ndarray | None = None,
              rounds: int = RESEGMENT_ROUNDS) -> np.ndarray:
    """Every window takes the speaker whose mean embedding is nearest, `rounds` times (k-means steps).

    Spectral clustering groups windows by the graph of their affinities; a
    window between two speakers' regions may land with its neighbours in the
    graph rather than with the voice it is nearest to. `clustered` are the
    vectors `labels` belong to (a sample of `vectors`), else `vectors`."""
    labels = np.asarray(labels, dtype=np.int64)
    if not len(labels):
        return labels
    if clustered is None and not labels.any():
        return labels                       # one speaker: nothing to reassign
    source = vectors if clustered is None else clustered
    for _ in range(max(1, rounds)):
        present = np.unique(labels)
        centroids = np.stack([source[labels == c].mean(axis=0) for c in present])
        new = np.argmax(vectors @ centroids.T, axis=1).astype(np.int64)
        if source is vectors and np.array_equal(new, labels):
            break
        source, labels = vectors, new
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)   # speakers 0..k-1, none empty


def _cluster(vectors: np.ndarray, num_speakers: int, max_speakers: int) -> np.ndarray:
    from scipy.linalg import eigh
    n = len(vectors)
    if n < 2 or num_speakers == 1:
        return np.zeros(n, dtype=np.int64)
    a = affinity(vectors)
    degree = a.sum(axis=1)
    scale = 1 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(n) - scale[:, None] * a * scale[None, :]
    values, vectors_ = eigh(laplacian)
    if num_speakers > 0:
        k = min(num_speakers, n)
    elif n < 3:
        k = 1
    else:
        top = min(max(1, max_speakers), n - 1)
        k = int(np.argmax(np.diff(values[:top + 1]))) + 1
    if k == 1:
        if num_speakers > 0:
            return np.zeros(n, dtype=np.int64)
        two = _spectral_labels(vectors_, 2)
        return two if two_voices(vectors, two) else np.zeros(n, dtype=np.int64)
    return _spectral_labels(vectors_, k)


def _spectral_labels(eigenvectors: np.ndarray, k: int) -> np.ndarray:
    """k-means on the row-normalised first k eigenvectors (fixed seed)."""
    from sklearn.cluster import KMeans
    rows = eigenvectors[:, :k]
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return KMeans(k, n_init=10, random_state=0).fit_predict(rows).astype(np.int64)


def two_voices(vectors: np.ndarray, labels: np.ndarray) -> bool:
    """Whether a two-way split of the windows is two voices: both parts of at least
    MIN_SPLIT windows, and their mean embeddings' cosine under SPLIT_COSINE."""
    parts = [vectors[labels == c] for c in (0, 1)]
    if min(len(p) for p in parts) < MIN_SPLIT:
        return False
    a, b = (p.mean(axis=0) for p in parts)
    cosine = float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))
    return cosine < SPLIT_COSINE


def median_labels(labels: np.ndarray, size: int) -> np.ndarray:
    size = max(1, size | 1)
    if size == 1 or len(labels) < size:
        return labels
    from scipy.ndimage import median_filter
    k = int(labels.max()) + 1
    # the median of nominal labels is the label most windows of the neighbourhood give
    # when there are two; with more, take the most frequent one (ties: the window's own)
    padded = np.pad(labels, size // 2, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, size)
    if k <= 2:
        return median_filter(labels, size=size, mode="nearest")
    counts = np.stack([(view == c).sum(axis=1) for c in range(k)], axis=1)
    best = counts.argmax(axis=1)
    own = counts[np.arange(len(labels)), labels] == counts.max(axis=1)
    return np.where(own, labels, best)


@dataclass
class SpeechWindows:
    """A task's speech and the embeddings of the windows centred on it (frames of 10 ms)."""
    duration: float               # seconds
    n_frames: int
    speech: np.ndarray            # indices of the speech frames
    centres: np.ndarray           # the windows' centre frames, ascending
    vectors: np.ndarray           # windows x 256, unit norm


def speech_windows(samples: np.ndarray, step: float = SpeakerSettings.step) -> SpeechWindows:
    """Speech frames of 16 kHz mono audio and the embeddings of 1.6 s windows centred every `step` on them."""
    from earmark.models import voice
    samples = np.asarray(samples)
    wav = voice.normalize_volume(voice.as_float(samples))
    mel = voice.mel_spectrogram(wav)
    n_frames = len(mel)
    pcm = samples if samples.dtype == np.int16 else (np.clip(voice.as_float(samples), -1, 1) * 32767).astype(np.int16)
    speech = np.flatnonzero(speech_mask(pcm, n_frames, mel))
    duration = len(samples) / SAMPLE_RATE
    if not len(speech):
        return SpeechWindows(duration, n_frames, speech, speech, np.zeros((0, voice.HIDDEN), np.float32))
    # window centres every `step` on speech (each run of speech gets at least one)
    frames = max(1, int(round(step / FRAME)))
    runs = np.split(speech, np.flatnonzero(np.diff(speech) > 1) + 1)
    centres = np.concatenate([run[(len(run) % frames) // 2::frames] if len(run) >= frames
                              else run[len(run) // 2:][:1] for run in runs])
    if n_frames < WINDOW_FRAMES:
        mel = np.concatenate([mel, np.zeros((WINDOW_FRAMES - n_frames, voice.N_MELS), np.float32)])
    starts = np.clip(centres - WINDOW_FRAMES // 2, 0, len(mel) - WINDOW_FRAMES)
    unique, back = np.unique(starts, return_inverse=True)
    embedded = voice.encoder().forward_at(mel, unique, WINDOW_FRAMES)
    return SpeechWindows(duration, n_frames, speech, centres, embedded[back])


def diarize(samples: np.ndarray, settings: SpeakerSettings = SpeakerSettings()) -> list[dict]:
    """Speaker regions (seconds from the start of `samples`) of 16 kHz mono audio."""
    report_progress(0, 3)
    windows = speech_windows(samples, settings.step)     # speech found, its windows embedded: most of the time
    report_progress(2, 3)
    regions = speaker_regions(windows, settings)
    report_progress(3, 3)
    return regions


def speaker_regions(windows: SpeechWindows, settings: SpeakerSettings = SpeakerSettings()) -> list[dict]:
    """The regions of `windows` clustered into speakers (`diarize` without the embedding)."""
    speech, centres, vectors = windows.speech, windows.centres, windows.vectors
    if not len(speech):
        return []
    labels = median_labels(cluster(vectors, settings.num_speakers, settings.max_speakers),
                           settings.median_windows)
    # every speech frame: the label of the nearest window centre
    after = np.clip(np.searchsorted(centres, speech), 0, len(centres) - 1)
    before = np.clip(after - 1, 0, len(centres) - 1)
    nearest = np.where(np.abs(centres[before] - speech) < np.abs(centres[after] - speech), before, after)
    n_speakers = int(labels.max()) + 1
    active = np.zeros((windows.n_frames, n_speakers), dtype=bool)
    active[speech, labels[nearest]] = True
    if settings.overlap > 0 and n_speakers > 1:
        lo = np.searchsorted(centres, speech - OVERLAP_REACH, side="left")
        hi = np.searchsorted(centres, speech + OVERLAP_REACH, side="right")
        counts = np.zeros((n_speakers, len(centres) + 1), dtype=np.int64)
        for c in range(n_speakers):
            counts[c, 1:] = np.cumsum(labels == c)
        share = (counts[:, hi] - counts[:, lo]) / np.maximum(hi - lo, 1)
        for c in range(n_speakers):
            active[speech[share[c] >= settings.overlap], c] = True
    centroids = np.stack([vectors[labels == c].mean(axis=0) if (labels == c).any() else np.zeros(vectors.shape[1])
                          for c in range(n_speakers)])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    regions = []
    for c in range(n_speakers):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], active[:, c].astype(np.int8), [0]])))
        for a, b in zip(edges[::2].tolist(), edges[1::2].tolist()):
            inside = (centres >= a) & (centres < b)
            if not inside.any():
                inside = np.zeros(len(centres), dtype=bool)
                inside[np.argmin(np.abs(centres - (a + b) / 2))] = True
            mine = inside & (labels == c)
            chosen = vectors[mine if mine.any() else inside]
            mean = chosen.mean(axis=0)
            mean /= max(float(np.linalg.norm(mean)), 1e-12)
            score = float(np.clip(chosen @ centroids[c], 0, 1).mean())
            regions.append({"start": round(a * FRAME, 3), "end": round(min(b * FRAME, windows.duration), 3),
                            "speaker": c, "score": round(score, 4),
                            "_embedding": [round(float(x), 6) for x in mean]})
    regions.sort(key=lambda r: (r["start"], r["end"]))
    order: dict[int, int] = {}
    for region in regions:
        region["label"] = LABEL.format(order.setdefault(region.pop("speaker"), len(order)))
    return regions


# -- the built-in model `speakers` (earmark.models.registry.BUILT_IN) -----------
def annotate(task: dict, params: dict) -> list[dict]:
    """Speaker regions of the task's file (its segment, its channel), in file time."""
    samples, offset, channel = task_audio(task)
    regions = []
    for region in diarize(samples, SpeakerSettings(**params)):
        region = {"start": round(region["start"] + offset, 3), "end": round(region["end"] + offset, 3),
                  "label": region["label"], "score": region["score"], "_embedding": region["_embedding"]}
        if channel is not None:
            region["channel"] = channel
        regions.append(region)
    return regions


def _load():
    from earmark.models import voice
    voice.encoder()   # the weights, once per process
    return annotate


def _model() -> Model:
    defaults = SpeakerSettings()
    return Model("speakers", "who speaks when: regions SPEAKER_00, SPEAKER_01, ... from resemblyzer's "
                 "voice encoder", _load,
                 params=tuple(Param(f.name, getattr(defaults, f.name), _PARAM_HELP[f.name],
                                    setting="num_speakers" if f.name == "num_speakers" else None)
                              for f in fields(SpeakerSettings)))


MODEL = _model()
