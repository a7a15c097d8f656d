#!/usr/bin/env bash
# Runs every test: installs what is missing, runs the lint and type checks
# (ruff and mypy, configured in pyproject.toml, and tsc for the component),
# checks that the committed component build matches its source, then the
# frontend unit tests (vitest) and the Python tests (pytest: core, pages, and
# Playwright in Chromium), with a throwaway PostgreSQL cluster for the tests
# that run on both databases (stopped and removed at the end). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
frontend=components/waveform/frontend

echo "== lint and type checks"
.venv/bin/ruff check --quiet --output-format concise .
.venv/bin/mypy
(cd $frontend && npm run --silent typecheck)

echo "== component build matches its source"
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
(cd $frontend && npm run --silent build -- --outDir "$fresh/dist" --emptyOutDir --logLevel warn)
if ! diff -r "$fresh/dist" $frontend/dist >/dev/null; then
  diff -r "$fresh/dist" $frontend/dist | head -20
  echo "The committed build in $frontend/dist differs from its source: run 'npm run build' there and commit dist/." >&2
  exit 1
fi

echo "== frontend unit tests"
(cd $frontend && npm test --silent)

echo "== Python tests (DuckDB, and PostgreSQL in a throwaway cluster)"
eval "$(scripts/pg.sh start)"
trap 'rm -rf "$fresh"; scripts/pg.sh stop "$EARMARK_PG_DIR"' EXIT
status=0
.venv/bin/python -m pytest "$@" || status=$?
exit $status
