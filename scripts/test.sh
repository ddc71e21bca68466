#!/usr/bin/env bash
# Set up (idempotent; seconds when nothing changed) and run the test suite.
#   bash scripts/test.sh [pytest args...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --browser --models smollm2-135m,minilm,embeddinggemma,qwen2.5-coder-1.5b

# No model hub is reachable here: fail fast instead of retrying the network.
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" TRANSFORMERS_OFFLINE="${TRANSFORMERS_OFFLINE:-1}"

set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [[ $rc == 5 ]]; then     # pytest: no tests collected (e.g. a -k that matches nothing)
  echo "pytest collected no tests" >&2
  rc=0
fi
exit $rc
