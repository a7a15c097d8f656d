#!/usr/bin/env bash
# Runs the Earmark app (on the bundled demo dataset when the database is empty).
# Extra arguments go to the app, e.g. scripts/app.sh mark DATASET SOURCE --label A,B
# The database is $EARMARK_DB, or data/earmark.duckdb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
args=()
[ $# -gt 0 ] && args=(-- "$@")
exec .venv/bin/streamlit run app.py --server.address "${EARMARK_ADDRESS:-127.0.0.1}" \
  --browser.gatherUsageStats false "${args[@]}"
