"""Run a command-line command inside the running app that holds the database.

DuckDB lets one process open a database file: while the app runs, `python -m
earmark export` cannot open it, not even read-only. So the app leaves its
address beside the database (`<db>.app.json`: URL, process id and a secret
token, readable by its owner only), and a command that finds the file locked
sends its arguments there instead. The app runs the very same command on its
own connection and streams the output back as JSON lines:
`{"o": text}` for stdout, `{"e": text}` for stderr, `{"exit": code}` last.

The token proves the caller can read files only the app's user can read, so
the route (which can write files and import a `--model`) is as safe as the
command line itself, even when the app listens on the network.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

TOKEN_HEADER = "X-Earmark-Token"
ROUTE = "/api/cli"
# Options whose values are paths, resolved here since the app has another working directory.
_PATH_OPTIONS = {"--out", "--spans"}


class BridgeError(RuntimeError):
    """The app that holds the database could not run the command."""


@dataclass(frozen=True)
class AppAddress:
    url: str
    pid: int
    token: str


def address_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".app.json")


def advertise(db_path: Path, url: str) -> AppAddress:
    """Write this process's address beside the database (owner-only) and return it."""
    address = AppAddress(url=url.rstrip("/"), pid=os.getpid(), token=secrets.token_urlsafe(32))
    target = address_file(db_path)
    temporary = target.with_name(target.name + f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"url": address.url, "pid": address.pid, "token": address.token}, fh)
    os.replace(temporary, target)   # a reader never sees half a file
    return address


def withdraw(db_path: Path, address: AppAddress) -> None:
    """Remove the address file if it is still this process's."""
    target = address_file(db_path)
    try:
        if json.loads(target.read_text(encoding="utf-8")).get("token") == address.token:
            target.unlink()
    except (OSError, ValueError):
        pass


def find_app(db_path: Path) -> AppAddress | None:
    """The address of a live app holding `db_path`, or None."""
    try:
        raw = json.loads(address_file(db_path).read_text(encoding="utf-8"))
        address = AppAddress(url=str(raw["url"]), pid=int(raw["pid"]), token=str(raw["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(address.pid, 0)     # signal 0: is the process there?
    except ProcessLookupError:
        return None                 # left behind by an app that crashed
    except PermissionError:
        pass                        # alive, someone else's: the token decides
    return address


def portable_argv(argv: list[str], value_options: set[str], path_positionals_from: int | None,
                  cwd: Path | None = None) -> list[str]:
    """`argv` (command first) without `--db`, with paths made absolute: the
    app's working directory is not ours.

    `value_options`: the command's options that take a value (their value is
    not a positional); `path_positionals_from`: the index, among the
    positionals after the command, from which they are paths (load's sources).
    """
    cwd = cwd or Path.cwd()
    out = argv[:1]
    positional = 0
    i = 1
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=")
        if arg.startswith("-") and name in value_options:
            value = inline if eq else (argv[i + 1] if i + 1 < len(argv) else None)
            i += 1 if eq else 2
            if name == "--db" or value is None:
                continue
            out += [name, str(cwd / value) if name in _PATH_OPTIONS and value else value]
            continue
        if not arg.startswith("-"):
            if path_positionals_from is not None and positional >= path_positionals_from:
                arg = str(cwd / arg)
            positional += 1
        out.append(arg)
        i += 1
    return out


def run_in_app(address: AppAddress, argv: list[str], out: TextIO, err: TextIO) -> int:
    """Send the command to the app and copy its streamed output; return its exit code."""
    request = urllib.request.Request(
        address.url + ROUTE, data=json.dumps({"argv": argv}).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", TOKEN_HEADER: address.token})
    try:
        with urllib.request.urlopen(request) as response:
            for line in response:
                message = json.loads(line)
                if "o" in message:
                    out.write(message["o"])
                elif "e" in message:
                    err.write(message["e"])
                elif "exit" in message:
                    out.flush()
                    return int(message["exit"])
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        raise BridgeError(f"the app at {address.url} refused the command: {exc.code} {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise BridgeError(f"cannot reach the app at {address.url}: {exc}") from exc
    raise BridgeError(f"the app at {address.url} stopped before the command finished")
