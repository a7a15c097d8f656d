"""`python -m earmark`: load, export, stats, datasets, drop (see design.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO, cast

from earmark.datasets import (Dataset, DatasetError, check_dataset_name, drop_dataset, get_dataset, list_datasets,
                              name_problem)
from earmark.formats.jsonl_csv import FORMATS as RECORD_FORMATS
from earmark.formats.jsonl_csv import ExportError, ExportFilter, cap_memory_for_export, export
from earmark.formats.export import export_files
from earmark.formats.registry import format_named, plugin_problems, spans_titles, writers
from earmark.loading.loader import load_sources
from earmark.loading.longform import make_options
from earmark.db.media import media_dir
from earmark.formats.outfiles import UnsafePathError, atomic_open
from earmark.models.registry import ModelError, model_names, model_problems, registered_models, resolve_model
from earmark.loading.segment import parse_segment_spec
from earmark.settings import SettingsError, configured_models, effective_settings, load_config
from earmark.db.queries.statistics import count_tasks, dataset_stats, proposal_comparison
from earmark.views import view_names
from earmark.db.store import StoreError, StoreLockedError, default_db_path, is_database_url, open_store


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def build_parser() -> argparse.ArgumentParser:
    # `earmark` when run as the installed command, `python -m earmark` otherwise
    prog = "earmark" if Path(sys.argv[0]).name == "earmark" else "python -m earmark"
    parser = argparse.ArgumentParser(prog=prog, description="Earmark audio annotation")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=database_arg, default=None,
                        help=f"database file, or a postgresql:// URL (default: $EARMARK_DB or {default_db_path()})")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", parents=[common], help="add audio files or JSONL tasks to a dataset")
    p.add_argument("dataset")
    p.add_argument("sources", nargs="+", help="directories, JSONL files or audio files")
    p.add_argument("--view", default=None, help=f"one of {', '.join(view_names())}")
    p.add_argument("--label", default=None, help="comma-separated labels, e.g. SPEECH,NOISE")
    p.add_argument("--keep-base64", action="store_true",
                   help="keep base64 audio inside the stored tasks (dropped by default)")
    p.add_argument("--no-peaks", action="store_true",
                   help="skip computing waveform peaks now (they are computed on first view)")
    p.add_argument("--segment", default=None, metavar="SPEC",
                   help="cut each file into segment tasks: 'silence', 'silence:KEY=VALUE,...' "
                        "(thresh, rel, min_silence, pad, min, max), 'window:SECONDS[:OVERLAP]', or "
                        "'asr' / 'asr:KEY=VALUE,...' (min_silence=0.5, pad=0.2, max=30): one task per "
                        "utterance the model transcribe recognises, each with its words and transcript")
    p.add_argument("--split-channels", action="store_true",
                   help="one task per channel of a multi-channel file")
    p.add_argument("--model", default=None, metavar="NAME",
                   help=_model_help())
    p.add_argument("--spans", action="append", default=[], metavar="FILE",
                   help=f"pre-annotations matched to the audio by file stem: {spans_titles()} (repeatable)")

    p = sub.add_parser("export", parents=[common], help="write annotations in one of the registered formats (--format)")
    p.add_argument("dataset")
    exported = writers()
    p.add_argument("--format", choices=[f.name for f in exported], default="jsonl",
                   help="; ".join(f"{f.name}: {f.title}" for f in exported))
    per_file = ", ".join(f.name for f in exported if f.per_file)
    folders = ", ".join(f.name for f in exported if f.folder is not None)
    p.add_argument("--out", type=Path, default=None,
                   help="file to write (default: stdout), replaced only once complete; a folder "
                        f"for {per_file} (one file per audio file) and {folders}")
    p.add_argument("--all", action="store_true", help="also the tasks nobody has answered yet")
    p.add_argument("--answer", default=None, help="only these answers, e.g. accept,reject")
    p.add_argument("--session", default=None, help="only these annotators (session names)")
    p.add_argument("--keep-base64", action="store_true")

    p = sub.add_parser("stats", parents=[common], help="counts, labels and durations")
    p.add_argument("dataset", nargs="?")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("migrate", help="copy every dataset, task and annotation into a new, empty database")
    p.add_argument("--from", dest="source", type=database_arg, required=True,
                   help="the database to copy (a DuckDB file or a postgresql:// URL)")
    p.add_argument("--to", dest="target", type=database_arg, required=True,
                   help="the empty database to copy into (created when it is a new DuckDB file)")

    sub.add_parser("datasets", parents=[common], help="list datasets")
    p = sub.add_parser("drop", parents=[common], help="delete a dataset and its annotations")
    p.add_argument("dataset")
    return parser


def database_arg(value: str) -> Path | str:
    """`--db` and friends: a `postgresql://` URL as it is, anything else a file path."""
    return value if is_database_url(value) else Path(value)


def _model_help() -> str:
    """The --model help: the registered models with their parameters' defaults."""
    models = "; ".join(m.describe() for m in registered_models().values())
    broken = model_problems()
    text = (f"pre-annotate with a model: {models}. NAME:KEY=VALUE,... sets its parameters; also a name "
            "earmark.json lists under `models`, or 'module:function' (imported from the working directory "
            "or the Python path); comma-separated to run several")
    if broken:
        text += f". Not loadable: {', '.join(broken)} (--model NAME says why)"
    return text.replace("%", "%%")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    for problem in plugin_problems():   # a broken plug-in is named; the rest works
        print(f"warning: {problem}", file=sys.stderr)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        return cmd_migrate(args, sys.stdout, sys.stderr)
    refused = _refuse_before_opening(args)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    try:
        store = open_store(args.db)
    except StoreLockedError as exc:
        try:
            return _run_in_app(parser, args, argv, exc)
        except BrokenPipeError:
            return 0
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "export":
        cap_memory_for_export(store)   # this process only exports (never done inside the app)
    return run_command(store, args, sys.stdout, sys.stderr)


def run_command(store, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run a parsed command on `store`; here, or inside the app (earmark.cli.bridge)."""
    try:
        return COMMANDS[args.command](store, args, out, err)
    except (StoreError, DatasetError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    except BrokenPipeError:
        return 0  # `export | head` closed the pipe: not an error


def _refuse_before_opening(args: argparse.Namespace) -> str | None:
    """A dataset name the rule refuses, when no database exists yet that could
    hold such a dataset from an older version: refused before the database file
    is created."""
    name = getattr(args, "dataset", None)
    if name is None or name_problem(name) is None:
        return None
    db = args.db or default_db_path()
    if "://" in str(db) or Path(db).exists():
        return None   # it may hold a dataset of that name: run_command decides
    try:
        check_dataset_name(name)
    except DatasetError as exc:
        return str(exc)
    return None


def _existing(store, name: str):
    """The dataset `name`; DatasetError quoting the name when there is none
    (with the naming rule, when the name could not even be created)."""
    dataset = get_dataset(store, name)
    if dataset is None:
        check_dataset_name(name)
        raise DatasetError(f"no dataset named {name!r}")
    return dataset


def _model(store, name: str, settings: dict | None = None):
    """`--model NAME`: a built-in, a name of earmark.json's `models`, or `module:function`;
    `settings` (the dataset's) give the parameters that take a setting their values."""
    configured: dict[str, str] = {}
    if name not in model_names() and ":" not in name:
        try:
            configured = configured_models(load_config())
        except SettingsError as exc:
            raise ModelError(str(exc)) from exc
    return resolve_model(name, configured=configured, import_from_cwd=True, refuse_under=media_dir(store),
                         settings=settings)


def _settings(store, name: str) -> dict:
    """The effective settings of dataset `name` (for a new one: earmark.json's, with its
    `datasets.NAME` entry)."""
    try:
        return effective_settings(get_dataset(store, name) or Dataset(name, view=""))
    except SettingsError as exc:
        raise ModelError(str(exc)) from exc


class ModelProgress:
    """What `load` says on stderr while models run: a line per file ("model on x.wav:
    12 segments in 8.1 s"), and for a long file how far it is, at most every `every` seconds."""

    def __init__(self, err: TextIO, every: float = 5.0, clock=None):
        import time
        self.err, self.every, self.clock = err, every, clock or time.monotonic
        self.origin: str | None = None
        self.started = self.said = 0.0
        self.files = 0          # items reached so far (the loader's own progress)

    def __call__(self, origin: str, fraction: float, detail: str) -> None:
        now = self.clock()
        if origin != self.origin:
            self.origin, self.started, self.said = origin, now, now
        if fraction >= 1.0:
            print(f"model on {Path(origin).name} (file {self.files}): done in {now - self.started:.1f} s",
                  file=self.err)
            self.origin = None
        elif now - self.said >= self.every:
            self.said = now
            print(f"model on {Path(origin).name}: {detail}, {fraction:.0%}", file=self.err)


def _run_in_app(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str],
                locked: StoreLockedError) -> int:
    """The database is held by another process: if it is the app, run the command there."""
    from earmark.cli.bridge import BridgeError, find_app, portable_argv, run_in_app
    db = Path(args.db or default_db_path()).resolve()
    address = find_app(db)
    if address is None:
        print(f"error: {locked}", file=sys.stderr)
        return 2
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    value_options = {o for a in sub._actions for o in a.option_strings if a.nargs != 0}
    portable = portable_argv(argv, value_options, 1 if args.command == "load" else None)
    print(f"(the database is open in the app at {address.url}: running the command there)", file=sys.stderr)
    try:
        return run_in_app(address, portable, sys.stdout, sys.stderr)
    except BridgeError as exc:
        print(f"error: {exc}\n{locked}", file=sys.stderr)
        return 2


def cmd_load(store, args, out: TextIO, err: TextIO) -> int:
    models = ModelProgress(err)

    def progress(done: int, origin: str) -> None:
        models.files = done
        if done % 500 == 0:
            print(f"... {done} processed", file=err)
    if get_dataset(store, args.dataset) is None:
        check_dataset_name(args.dataset)   # before a user's model is imported or a file read
    if args.model:
        for problem in model_problems().values():
            print(f"note: model {problem}", file=err)
    try:
        settings = _settings(store, args.dataset) if args.model or args.segment else {}
        longform = make_options(
            split_channels=args.split_channels,
            segment=parse_segment_spec(args.segment) if args.segment else None,
            model=_model(store, args.model, settings) if args.model else None, model_name=args.model or "",
            settings=settings)
    except (ValueError, ModelError) as exc:
        raise DatasetError(str(exc)) from exc
    report = load_sources(store, args.dataset, args.sources, spans=args.spans, view=args.view,
                          longform=longform,
                          labels=_split(args.label), keep_base64=args.keep_base64,
                          peaks=not args.no_peaks, progress=progress, file_progress=models)
    total, details = report.summary(args.dataset)
    for line in details:
        print(line, file=err)
    print(total, file=out)
    nothing_loaded = report.added == 0 and report.skipped == 0
    return 1 if nothing_loaded else 0


def cmd_export(store, args, out: TextIO, err: TextIO) -> int:
    _existing(store, args.dataset)
    filt = ExportFilter(answers=_split(args.answer), sessions=_split(args.session),
                        include_unanswered=args.all, keep_base64=args.keep_base64)
    try:
        if args.format not in RECORD_FORMATS:
            return _export_file_format(store, args, filt, out, err)
        if args.out is None:
            export(store, args.dataset, out, args.format, filt)
            return 0
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # written beside the target and renamed over it once complete: a failed or
        # killed export leaves the previous file as it was
        with atomic_open(args.out, "w", encoding="utf-8", newline="") as fh:
            count = export(store, args.dataset, cast(TextIO, fh), args.format, filt)
    except (ExportError, UnsafePathError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"error: cannot write {exc.filename or args.out}: {exc.strerror or exc}", file=err)
        return 2
    print(f"wrote {count} records to {args.out}", file=err)
    return 0


def _export_file_format(store, args, filt: ExportFilter, out: TextIO, err: TextIO) -> int:
    fmt = format_named(args.format)   # argparse offered registered names only
    if fmt.stream is not None:
        if args.out is None:
            count = fmt.stream(store, args.dataset, out, filt)
        else:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(args.out, "w", encoding="utf-8", newline="") as fh:
                count = fmt.stream(store, args.dataset, cast(TextIO, fh), filt)
        print(f"wrote {count} {fmt.counted}", file=err)
        return 0
    if args.out is None:
        raise DatasetError(f"--format {args.format} writes a folder of files: give it with --out DIR")
    if fmt.folder is not None:
        count = fmt.folder(store, args.dataset, args.out, filt)
        print(f"wrote {count} {fmt.counted} to {args.out}", file=err)
        return 0
    written = export_files(store, args.dataset, args.format, args.out, filt)
    print(f"wrote {len(written)} files to {args.out}", file=err)
    return 0


def cmd_stats(store, args, out: TextIO, err: TextIO) -> int:
    if args.dataset is not None:
        _existing(store, args.dataset)
    stats = dataset_stats(store, args.dataset)
    if args.json:   # the keys design.md names (the comparison of proposals is on the Statistics page)
        print(json.dumps(stats), file=out)
        return 0
    print(f"tasks: {stats['tasks']}  audio: {stats['audio_seconds']:.1f} s  "
          f"answered: {stats['answered']}", file=out)
    for answer, n in stats["answers"].items():
        print(f"  {answer}: {n}", file=out)
    for label, row in stats["labels"].items():
        print(f"  label {label or '(none)'}: {row['regions']} regions, {row['seconds']:.2f} s", file=out)
    # how the proposals fared against the accepted answers
    rows = proposal_comparison(store, args.dataset)["rows"] if args.dataset is not None else []
    if rows:
        totals = {k: sum(r[k] for r in rows) for k in ("answers", "kept", "moved", "relabelled", "added",
                                                       "removed", "word_edits", "words")}
        print(f"  proposals in {totals['answers']} accepted answers: {totals['kept']} kept, {totals['moved']} "
              f"moved, {totals['relabelled']} relabelled, {totals['added']} added, {totals['removed']} removed"
              + (f"; {totals['word_edits']} word edits in {totals['words']} words" if totals["words"] else ""),
              file=out)
    return 0


def cmd_datasets(store, args, out: TextIO, err: TextIO) -> int:
    for ds in list_datasets(store):
        n = count_tasks(store, ds.name)
        print(f"{ds.name}\t{ds.view}\t{n} tasks\t{','.join(ds.labels)}", file=out)
        problem = name_problem(ds.name)
        if problem:   # made by an older version: still usable, but no new dataset gets such a name
            print(f"note: dataset {ds.name!r} has a name new datasets cannot have ({problem}); "
                  "it can still be loaded into, exported and dropped", file=err)
    return 0


def cmd_drop(store, args, out: TextIO, err: TextIO) -> int:
    if not drop_dataset(store, args.dataset):
        check_dataset_name(args.dataset)
        raise DatasetError(f"no dataset named {args.dataset!r}")
    print(f"dropped {args.dataset}", file=out)
    return 0


def cmd_migrate(args, out: TextIO, err: TextIO) -> int:
    """Copy one store into another, empty one (earmark.db.migrate); the counts per table."""
    from earmark.db.migrate import MigrateError, migrate
    if not is_database_url(args.source) and not Path(args.source).exists():
        print(f"error: {args.source} does not exist", file=err)
        return 2
    try:
        source, target = open_store(args.source), open_store(args.target)
        copied = migrate(source, target)
    except (StoreError, MigrateError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    for item in copied:
        print(f"{item.table}\t{item.rows} rows", file=out)
    print(f"copied {source.location} into {target.location}; every table counted on both sides", file=out)
    return 0


COMMANDS = {"load": cmd_load, "export": cmd_export, "stats": cmd_stats,
            "datasets": cmd_datasets, "drop": cmd_drop}
