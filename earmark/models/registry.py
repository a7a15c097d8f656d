"""The models that pre-annotate tasks: one registry for built-ins, installed packages and users' functions.

A model (`Model`) has a name, a title, typed parameters with defaults, and a
`load()` that loads it and returns its `annotate(task, params) -> regions`:

- `task["path"]` is the audio file on the server; `task.get("segment")`
  (`{"start", "end"}`) limits the work to a window, and
  `task["meta"].get("channel")` to one channel of a split recording;
- `params` holds every parameter, the defaults filled in;
- it returns regions `{"start", "end", "label", "text"?, "channel"?, "score"?}`
  in seconds of the original file, or a dict `{"audio_spans": [...],
  "transcript"?: str, "words"?: [{"start", "end", "text", "score"?}]}` when it
  also recognises speech (`Proposal` is what loading makes of either). A
  region may carry `_embedding` (a list of floats, e.g. a speaker embedding):
  it is taken off the region and kept beside it (`Proposal.embeddings`), never
  stored in the task.

`load()` runs once per process, the first time the model is used, under a
lock: the loaded model is shared by every thread. Keep heavy imports (weights,
torch) inside it: a model's module is imported when the registry is first
read. A model's `check(params)`, when it has one, runs when its parameters are
bound (before any file is read): a ModelError there names what is wrong with
them (a model directory that is not one, say).

A parameter may take its default from a setting (`Param(..., setting=NAME)`:
`asr_model`, `language`, `num_speakers` of earmark.json or the dataset,
`earmark.settings.effective_settings`): the command line and the Datasets page
pass the dataset's effective settings to `resolve_model` / `resolve_offered`,
and a value the spec gives still wins (defaults < settings < spec).

A long call may say how far it is with `report_progress(done, total)` (any
units: seconds of audio, segments); loading shows it (`progress_to`), and
outside a load it does nothing.

Where models come from, all registered the same way (`register_model`):
the built-ins (`BUILT_IN`, one line each, e.g. `speech` from
earmark.models.speech), packages installed on the server that declare an
entry point in the group `earmark.models` (a `Model`, or a function
`annotate(task) -> regions`), and code of the server's owner calling
`register_model`. An entry point that cannot be loaded is named in
`model_problems()`, never raised.

A model is chosen by a spec, `NAME[:KEY=VALUE,...]`: `speech`,
`speech:min_length=0.2,padding=0.1`. On the command line NAME may also be
`package.module:function` (a user's own function, the working directory
importable), and earmark.json's `models` names specs for the web UI
(`{"Strict speech": "speech:start_above=0.8", "Team VAD": "team.vad:annotate"}`).

The web UI never imports a module a page names: it offers the registered
models and those `earmark.json` lists under `models` (`offered_models`), and
resolves a chosen name on the server (`resolve_offered`), with neither the
working directory added to the import path nor any module taken from the
media folder.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import importlib.metadata
import importlib.util
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from earmark.loading.sources import check_spans
from earmark.loading.validate import times_problem

# what a model returns: its regions, or {"audio_spans", "transcript"?, "words"?}
Found = list[dict] | dict
PreAnnotator = Callable[[dict], Found]
Annotate = Callable[[dict, dict], Found]
ENTRY_POINT_GROUP = "earmark.models"
# the built-in models: name -> the `Model` object, found like an entry point's
BUILT_IN: dict[str, str] = {
    "speech": "earmark.models.speech:MODEL",
    "speakers": "earmark.models.speakers:MODEL",
    "transcribe": "earmark.models.transcribe:MODEL",
}
_audio_lock = threading.Lock()
_audio_cache: dict[tuple[str, int | None], np.ndarray] = {}


class ModelError(ValueError):
    """A pre-annotator that cannot be loaded, or that returned something unusable."""


# -- progress inside one model call ---------------------------------------------
_progress: contextvars.ContextVar[Callable[[float], None] | None] = \
    contextvars.ContextVar("earmark_model_progress", default=None)


def report_progress(done: float, total: float) -> None:
    """How far the model's current call is (`done` of `total`); shown while loading."""
    listener = _progress.get()
    if listener is not None and total > 0:
        listener(min(1.0, max(0.0, done / total)))


@contextlib.contextmanager
def progress_to(listener: Callable[[float], None] | None) -> Iterator[None]:
    """Send what models report (`report_progress`, as a fraction 0..1) to `listener` inside the block."""
    token = _progress.set(listener)
    try:
        yield
    finally:
        _progress.reset(token)


def audio_16k(path: str, channel: int | None = None) -> np.ndarray:
    """A file (or one channel) as 16 kHz mono int16, decoded once for all its segments.

    Keeps the last file only: loading walks the files one after another.
    """
    from earmark.audio.reader import read_mono_16k
    key = (str(path), channel)
    with _audio_lock:
        if key not in _audio_cache:
            _audio_cache.clear()
            _audio_cache[key] = read_mono_16k(path, channel=channel)
        return _audio_cache[key]


def task_audio(task: dict) -> tuple[np.ndarray, float, int | None]:
    """(16 kHz mono int16 samples, their start in file seconds, the channel) of what a
    model reads for `task`: its `segment` of the file, its channel (`meta.channel`)."""
    channel = (task.get("meta") or {}).get("channel")
    samples = audio_16k(task["path"], channel)
    segment = task.get("segment") or {}
    offset = float(segment.get("start") or 0.0)
    if segment:
        samples = samples[int(round(offset * 16000)):int(round(float(segment["end"]) * 16000))]
    return samples, offset, channel


# -- models and their parameters ----------------------------------------------
@dataclass(frozen=True)
class Param:
    """One parameter of a model; its type is its default's (bool, int, float or str)."""
    name: str
    default: bool | int | float | str
    help: str = ""
    setting: str | None = None    # the setting (earmark.settings) whose value, when set, is the default

    def parse(self, value: object) -> bool | int | float | str:
        """`value` (text from the command line or earmark.json, or a JSON value) as this type."""
        kind = type(self.default)
        if isinstance(value, str):
            text = value.strip()
            if kind is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(f"{self.name}={value!r}: give true or false")
            if kind is str:
                return value
            try:
                return kind(text)
            except ValueError:
                raise ValueError(f"{self.name}={value!r}: give {'an integer' if kind is int else 'a number'}") \
                    from None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if type(value) is not kind:
            raise ValueError(f"{self.name}={value!r}: give a {kind.__name__}")
        return value


@dataclass(eq=False)
class Model:
    """A model that proposes regions; see the module docstring."""
    name: str
    title: str
    load: Callable[[], Annotate]
    params: tuple[Param, ...] = ()
    check: Callable[[dict], None] | None = None   # raises ModelError for unusable parameters
    _annotate: Annotate | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def parameters(self, given: Mapping[str, object] | None = None,
                   settings: Mapping[str, object] | None = None) -> dict:
        """Every parameter: the defaults, then the `settings` parameters take theirs from, then
        `given`, checked and converted (ModelError naming a bad one)."""
        known = {p.name: p for p in self.params}
        values = {p.name: p.default for p in self.params}
        for p in self.params:
            value = (settings or {}).get(p.setting) if p.setting else None
            if value is None:
                continue
            if isinstance(p.default, int) and not isinstance(p.default, bool) and isinstance(value, float) \
                    and value.is_integer():
                value = int(value)      # a NUMBER setting such as 2.0 for an integer parameter
            try:
                values[p.name] = p.parse(value)
            except ValueError as exc:
                raise ModelError(f"model {self.name!r}: the setting `{p.setting}`: {exc}") from None
        for key, value in (given or {}).items():
            if key not in known:
                choices = ", ".join(known) if known else "none"
                raise ModelError(f"model {self.name!r} has no parameter {key!r} (its parameters: {choices})")
            try:
                values[key] = known[key].parse(value)
            except ValueError as exc:
                raise ModelError(f"model {self.name!r}: {exc}") from None
        return values

    def annotator(self) -> Annotate:
        """The loaded model's `annotate`: loaded on first use, once, whatever the number of threads."""
        annotate = self._annotate
        if annotate is None:
            with self._lock:
                if self._annotate is None:
                    try:
                        self._annotate = self.load()
                    except Exception as exc:  # a model's own code may fail in any way
                        raise ModelError(f"model {self.name!r} cannot be loaded: "
                                         f"{type(exc).__name__}: {exc}") from exc
                annotate = self._annotate
        return annotate

    def bind(self, given: Mapping[str, object] | None = None,
             settings: Mapping[str, object] | None = None) -> "BoundModel":
        """The model with its parameters (see `parameters`), checked by the model's `check`."""
        params = self.parameters(given, settings)
        if self.check is not None:
            self.check(params)
        return BoundModel(self, params)

    def describe(self) -> str:
        """`name (title; key=default, ...)`, for help texts."""
        params = ", ".join(f"{p.name}={p.default}" for p in self.params)
        return f"{self.name} ({self.title}{'; ' + params if params else ''})"


class BoundModel:
    """A model with its parameters: the pre-annotator `task -> regions` loading passes around."""

    def __init__(self, model: Model, params: dict):
        self.model, self.params = model, params
        self.__name__ = model.name

    def __call__(self, task: dict) -> Found:
        return self.model.annotator()(task, self.params)

    def __repr__(self) -> str:
        return f"BoundModel({self.model.name!r}, {self.params!r})"


def function_model(name: str, function: PreAnnotator, title: str = "") -> Model:
    """A model of a plain function `annotate(task) -> regions` (the pre-annotator shape); no parameters."""
    doc = (getattr(function, "__doc__", None) or "").strip().splitlines()

    def annotate(task: dict, params: dict) -> Found:
        return function(task)
    return Model(name, title or (doc[0] if doc else name), lambda: annotate)


# -- the registry ---------------------------------------------------------------
_models: dict[str, Model] = {}
_found: set[str] = set()          # names that discovery registered (built-ins, entry points)
_problems: dict[str, str] = {}
_discovered = False
_registry_lock = threading.RLock()


def register_model(model: Model | Callable[..., list[dict]], *, name: str | None = None,
                   replace: bool = False) -> Model:
    """Add a model (or a plain function, under `name`) to this process's registry; returns it."""
    if not isinstance(model, Model):
        if not callable(model):
            raise ModelError(f"model {name!r} is neither a Model nor a function")
        model = function_model(name or model.__name__, model)
    elif name is not None and name != model.name:
        raise ModelError(f"model {model.name!r} registered under another name ({name!r})")
    if not model.name or ":" in model.name or "," in model.name:
        raise ModelError(f"model name {model.name!r}: give a name without ':' or ','")
    with _registry_lock:
        _discover()
        if model.name in _models and not replace and _models[model.name] is not model:
            raise ModelError(f"a model named {model.name!r} is registered already")
        _models[model.name] = model
    return model


def unregister_model(name: str) -> None:
    with _registry_lock:
        _models.pop(name, None)


def _object_at(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _discover() -> None:
    """Register the built-ins, then the installed entry points (once per process)."""
    global _discovered
    with _registry_lock:
        if _discovered:
            return
        _discovered = True
        for name, target in BUILT_IN.items():
            _models[name] = _as_model(name, _object_at(target))
            _found.add(name)
        try:
            points = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
        except Exception as exc:  # noqa: BLE001  (broken package metadata)
            _problems["(entry points)"] = f"cannot be listed: {exc}"
            points = []
        for point in points:
            where = f"entry point {point.name!r} ({point.value})"
            if point.name in _models:
                _problems[point.name] = f"{where}: the name of a model already registered; not used"
                continue
            try:
                _models[point.name] = _as_model(point.name, point.load())
                _found.add(point.name)
            except Exception as exc:  # noqa: BLE001  (an installed package may fail in any way)
                _problems[point.name] = f"{where} cannot be loaded: {type(exc).__name__}: {exc}"


def _as_model(name: str, obj: object) -> Model:
    if isinstance(obj, Model):
        if obj.name != name:
            raise ModelError(f"it is the model {obj.name!r}, not {name!r}")
        return obj
    if callable(obj):
        return function_model(name, obj)
    raise ModelError(f"it is a {type(obj).__name__}, not a Model or a function")


def rediscover() -> None:
    """Forget what was found and look again (after installing a package; tests)."""
    global _discovered
    with _registry_lock:
        by_code = {n: m for n, m in _models.items() if n not in _found}   # these stay
        _models.clear()
        _found.clear()
        _problems.clear()
        _discovered = False
        _discover()
        for name, model in by_code.items():
            _models.setdefault(name, model)


def registered_models() -> dict[str, Model]:
    """Every usable model by name: built-ins first, then entry points and registered ones."""
    with _registry_lock:
        _discover()
        return dict(_models)


def model_problems() -> dict[str, str]:
    """Entry points that could not be used, by name, with the reason."""
    with _registry_lock:
        _discover()
        return dict(_problems)


def model_names() -> list[str]:
    return list(registered_models())


# -- specs: NAME[:KEY=VALUE,...] ---------------------------------------------------
def parse_model_spec(spec: str) -> tuple[str, dict[str, str]]:
    """(`NAME` or `module:function`, parameters as text) of one model's spec.

    The parameters follow the last ':' when what follows holds a '='."""
    spec = spec.strip()
    head, sep, tail = spec.rpartition(":")
    if not sep or "=" not in tail:
        return spec, {}
    params: dict[str, str] = {}
    for item in tail.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ModelError(f"--model {spec!r}: give parameters as KEY=VALUE, not {item.strip()!r}")
        params[key.strip()] = value.strip()
    return head.strip(), params


def split_model_specs(text: str) -> list[str]:
    """The specs of `--model A,B:k=v,k2=v2,C`: a piece with '=' and no ':' is a parameter
    of the model before it."""
    specs: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        if "=" in piece and ":" not in piece and specs:
            specs[-1] += "," + piece
        else:
            specs.append(piece)
    return specs


def resolve_model(name: str, *, configured: dict[str, str] | None = None,
                  import_from_cwd: bool = True, refuse_under: Path | None = None,
                  settings: Mapping[str, object] | None = None) -> PreAnnotator:
    """The pre-annotator of `name`: a spec of a registered model, a name of `configured`
    (earmark.json's `models`, itself naming a spec), or `module:function[:KEY=VALUE,...]`.

    Several comma-separated specs run one after the other, their regions joined.
    `import_from_cwd` puts the working directory on the import path (the
    command line's promise); `refuse_under` is a folder no model's module may
    come from (the media folder, where uploads are kept); `settings` (the
    dataset's effective settings) give the parameters that name a setting
    their values, where the spec does not.
    """
    specs = split_model_specs(name) if name not in (configured or {}) else [name]
    if len(specs) > 1:
        return ModelChain([resolve_model(s, configured=configured, import_from_cwd=import_from_cwd,
                                         refuse_under=refuse_under, settings=settings) for s in specs])
    name = specs[0] if specs else name
    models = registered_models()
    target = (configured or {}).get(name, name) if name not in models else name
    base, params = parse_model_spec(target)
    if base in models:
        return models[base].bind(params, settings)
    module_name, sep, function_name = base.partition(":")
    if not sep or not module_name or not function_name:
        problem = model_problems().get(base)
        if problem:
            raise ModelError(f"--model {name!r}: {problem}")
        raise ModelError(f"--model {name!r}: give {_names()}, a name listed under `models` "
                         "in earmark.json, or 'module:function'")
    if import_from_cwd and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    if refuse_under is not None:
        _refuse_module_under(name, module_name, refuse_under)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module may fail in any way on import
        raise ModelError(f"--model {name!r}: cannot import {module_name!r}: {exc}") from exc
    function = getattr(module, function_name, None)
    if isinstance(function, Model):
        return function.bind(params, settings)
    if not callable(function):
        raise ModelError(f"--model {name!r}: {module_name!r} has no function {function_name!r}")
    if params:
        raise ModelError(f"--model {name!r}: {base!r} is a function and takes no parameters "
                         "(a `Model` declares them)")
    return function


class ModelChain:
    """Several pre-annotators run on each task, their regions joined in order."""

    def __init__(self, models: list[PreAnnotator]):
        self.models = models
        self.__name__ = ",".join(getattr(m, "__name__", "model") for m in models)

    def __call__(self, task: dict) -> dict:
        """Every model's regions joined; transcript and words from the last model giving them."""
        joined: dict = {"audio_spans": []}
        for model in self.models:
            found: object = model(task)
            if isinstance(found, list):
                found = {"audio_spans": found}
            if not isinstance(found, dict):
                raise ModelError(f"{getattr(model, '__name__', 'a model')} returned {type(found).__name__}, "
                                 "not a list of regions")
            joined["audio_spans"] += list(found.get("audio_spans") or [])
            for key in ("transcript", "words"):
                if key in found:
                    joined[key] = found[key]
        return joined


def _names() -> str:
    return " or ".join(repr(n) for n in model_names())


def _refuse_module_under(name: str, module_name: str, folder: Path) -> None:
    """Raise ModelError when `module_name` would be loaded from inside `folder`."""
    try:
        spec = importlib.util.find_spec(module_name)
    except Exception:  # a missing parent package: import_module names the problem
        return
    if spec is None:
        return
    places = [spec.origin] if spec.origin else []
    places += list(spec.submodule_search_locations or [])
    if any(Path(place).resolve().is_relative_to(folder.resolve()) for place in places):
        raise ModelError(f"model {name!r}: {module_name!r} lies in the media folder; not imported")


def offered_models(configured: dict[str, str]) -> list[str]:
    """What the web UI offers: the registered models (built-ins, the server's installed
    entry points and its own registrations), then earmark.json's `models` (a configured
    name that is a registered model's keeps the registered model)."""
    registered = model_names()
    return [*registered, *(n for n in configured if n not in registered)]


def resolve_offered(name: str, configured: dict[str, str], media_folder: Path,
                    settings: Mapping[str, object] | None = None) -> PreAnnotator:
    """The model the web UI offered under `name`; any other name is refused, never imported.
    `settings`: the dataset's effective settings, as for `resolve_model`."""
    if name not in offered_models(configured):
        raise ModelError(f"model {name!r} is not offered here: choose one of "
                         f"{', '.join(offered_models(configured))}")
    if name in registered_models():
        return registered_models()[name].bind(settings=settings)
    return resolve_model(name, configured={name: configured[name]}, import_from_cwd=False,
                         refuse_under=media_folder, settings=settings)


@dataclass
class Proposal:
    """What a model proposed for one task: regions (with ids), and a transcript
    with its words when it recognises speech; `embeddings` by region id."""
    regions: list[dict]
    transcript: str | None = None
    words: list[dict] | None = None
    embeddings: dict[str, list[float]] = field(default_factory=dict)


def run_model(model: PreAnnotator, task: dict, duration: float | None) -> list[dict]:
    """Call `model` on `task` and check what it returns; its regions, with ids."""
    return propose(model, task, duration).regions


def propose(model: PreAnnotator | Callable[[dict], object], task: dict, duration: float | None) -> Proposal:
    """Call `model` on `task`, check everything it returns (ModelError naming the
    problem) and make a `Proposal` of it."""
    found: object = model(task)
    transcript = words = None
    if isinstance(found, dict):
        transcript, words = found.get("transcript"), found.get("words")
        found = found.get("audio_spans") or []
    if not isinstance(found, list):
        raise ModelError(f"the model returned {type(found).__name__}, not a list of regions")
    if any(not isinstance(r, dict) for r in found):
        raise ModelError("the model returned a region that is not an object")
    regions, embeddings = [], {}
    for region in found:
        region = dict(region)
        vector = region.pop("_embedding", None)
        region["id"] = region.get("id") or str(uuid.uuid4())
        if vector is not None:
            embeddings[region["id"]] = _vector(vector)
        regions.append(region)
    problem = check_spans(regions, duration)
    if problem:
        raise ModelError(f"the model returned bad regions: {problem}")
    for region in regions:
        region["start"], region["end"] = round(float(region["start"]), 3), round(float(region["end"]), 3)
        if "score" in region:
            region["score"] = _score(region["score"], "a region's score")
    if transcript is not None and not isinstance(transcript, str):
        raise ModelError(f"the model returned a transcript that is {type(transcript).__name__}, not text")
    return Proposal(regions, transcript, _checked_words(words, duration) if words is not None else None,
                    embeddings)


def _score(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ModelError(f"the model returned {what} {value!r}: give a number from 0 to 1")
    return round(float(value), 4)


def _vector(value: object) -> list[float]:
    try:
        vector = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ModelError("the model returned an `_embedding` that is not a list of numbers") from None
    if vector.ndim != 1 or not len(vector) or not np.isfinite(vector).all():
        raise ModelError("the model returned an `_embedding` that is not a list of finite numbers")
    return [float(x) for x in vector]


def _checked_words(words: object, duration: float | None) -> list[dict]:
    """Words `{"start", "end", "text", "score"?}` in file time, in order of start."""
    if not isinstance(words, list):
        raise ModelError(f"the model returned words as {type(words).__name__}, not a list")
    out = []
    for n, word in enumerate(words, 1):
        if not isinstance(word, dict) or not isinstance(word.get("text"), str):
            raise ModelError(f"the model returned word {n} without its text")
        try:
            start, end = float(word["start"]), float(word["end"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"the model returned word {n} ({word.get('text')!r}) without start and end") from None
        problem = times_problem(f"word {n} ({word['text']!r})", {"start": start, "end": end}, duration)
        if problem:   # the task format's rule for times, as loading checks every task
            raise ModelError(f"the model returned {problem}")
        checked = {"start": round(start, 3), "end": round(min(end, duration or end), 3), "text": word["text"]}
        if "score" in word:
            checked["score"] = _score(word["score"], f"word {n}'s score")
        out.append(checked)
    return sorted(out, key=lambda w: w["start"])
