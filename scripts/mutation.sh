#!/usr/bin/env bash
# Mutation testing, run by hand (not in CI): small bugs are put into the core
# modules one at a time and the tests run against each; a mutant the tests do
# not notice is a bug a user could get. Python with mutmut (setup.cfg lists the
# modules and the tests), then the component's pure modules with Stryker.
# Prints the score per module and every surviving mutant.
#
# Usage: scripts/mutation.sh [MUTANT_GLOB...]     e.g. 'earmark.settings.*'
#   MUTATION_JOBS=N   mutants tested at once (default 1; each runs pytest)
#   MUTATION_SKIP=python|component   leave one side out
#   MUTATION_RETEST=survivors   test the last run's survivors again (after adding tests)
# mutmut keeps its results in mutants/: a second run retests only what changed.
# `.venv/bin/mutmut show NAME` prints one mutant, `.venv/bin/mutmut browse` all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
skip=${MUTATION_SKIP:-}

if [ "$skip" != python ]; then
  echo "== mutmut: core modules"
  # The tests run inside mutants/, so the corpus' default place beside the
  # project (../shared/corpus) must be given as an absolute path.
  EARMARK_CORPUS=$(realpath "${EARMARK_CORPUS:-../shared/corpus}")
  export EARMARK_CORPUS
  # mutmut stops a mutant by the CPU time it uses; one that makes a test wait
  # forever (a pipe never drained) uses none, and would hold a job for the
  # suite's 600 s timeout. No in-process test takes a minute; such a wait is a kill.
  export PYTEST_TIMEOUT=${PYTEST_TIMEOUT:-120}
  if [ "${MUTATION_RETEST:-}" = survivors ] && [ -d mutants ]; then
    .venv/bin/python scripts/mutation_report.py --forget-survivors
  fi
  start=$(date +%s)
  if ! .venv/bin/mutmut run --max-children "${MUTATION_JOBS:-1}" "$@"; then
    echo "mutmut stopped (its reason is above): no scores." >&2
    exit 1
  fi
  echo "mutmut took $(( ($(date +%s) - start) / 60 )) min"
  .venv/bin/python scripts/mutation_report.py
fi

if [ "$skip" != component ] && [ $# -eq 0 ]; then
  echo "== Stryker: the component's pure modules"
  frontend=components/waveform/frontend
  if grep -q '"mutation"' $frontend/package.json; then
    (cd $frontend && npm run mutation)
  else
    echo "$frontend/package.json has no \"mutation\" script yet: Stryker not run." >&2
    exit 1
  fi
fi
