#!/usr/bin/env bash
# Idempotent set-up of a checkout on a fresh machine; a re-run skips every step already done
# and takes seconds.
#
#   bash scripts/setup.sh [--browser] [--models NAME[,NAME...]|all] [--no-models]
#
#   1. .venv (python3.11 -m venv) if missing
#   2. torch==2.13.0 (the CPU wheel on this machine's disk) FIRST, so nothing pulls a CUDA torch
#   3. llama-cpp-python from the wheel cache (scripts/llama_wheel.sh builds it once, ~8 min)
#   4. pip install -e '.[llm,eval,test]' (skipped while pyproject.toml is unchanged)
#   5. --browser: Debian's chromium (apt-get) unless /usr/bin/chromium exists
#   6. models: python -m ruleassist.models pull NAMES (default: the Config defaults) into
#      Config.models_dir (~/.cache/ruleassist/models), outside the repo so clones and CI reuse it
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
TORCH_VERSION=2.13.0

BROWSER=0
PULL=1
MODELS=()
while (($#)); do
  case "$1" in
    --browser) BROWSER=1 ;;
    --no-models) PULL=0 ;;
    --models) shift; IFS=', ' read -r -a more <<<"${1:?--models needs NAME[,NAME...]}"; MODELS+=("${more[@]}") ;;
    --models=*) IFS=', ' read -r -a more <<<"${1#--models=}"; MODELS+=("${more[@]}") ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

T0=$SECONDS
step() { printf '\n== %s\n' "$*"; STEP_T=$SECONDS; }
took() { printf '   (%s s)\n' "$((SECONDS - STEP_T))"; }
pip_q() {  # quiet pip; errors still show (minus the noise about this machine's absent local indexes)
  "$PY" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

# 1. virtual environment --------------------------------------------------------------------
step "venv"
if [[ -x "$PY" ]] && "$PY" -c 'import sys; assert sys.version_info[:2] >= (3, 11)' 2>/dev/null; then
  echo "   .venv exists ($("$PY" --version))"
else
  BASE="$(command -v python3.11 || true)"
  if [[ -z "$BASE" ]] && python3 -c 'import sys; assert sys.version_info[:2] >= (3, 11)' 2>/dev/null; then
    BASE="$(command -v python3)"
  fi
  [[ -n "$BASE" ]] || { echo "setup.sh: needs Python 3.11 (python3.11 not found)" >&2; exit 1; }
  rm -rf "$VENV"
  "$BASE" -m venv "$VENV"
  echo "   created .venv with $("$PY" --version)"
fi
took

has_version() {  # has_version DIST PREFIX: the installed DIST's version starts with PREFIX
  "$PY" - "$1" "$2" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version(sys.argv[1]).startswith(sys.argv[2]) else 1)
PY
}

# 2. torch first --------------------------------------------------------------------------------
step "torch==$TORCH_VERSION (CPU, local wheel)"
if has_version torch "$TORCH_VERSION"; then
  echo "   already installed"
else
  pip_q install "torch==$TORCH_VERSION"
fi
took

# 3. llama-cpp-python from the wheel cache --------------------------------------------------------
step "llama-cpp-python"
PYTHON="$PY" bash "$ROOT/scripts/llama_wheel.sh" | sed 's/^/   /'
took

# 4. the project, editable, with its extras ----------------------------------------------------
step "pip install -e '.[llm,eval,test]'"
STAMP="$VENV/.ruleassist-deps"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1) $ROOT"
here_ok() {  # the venv imports ruleassist from this checkout
  (cd / && "$PY" -c 'import importlib.util, sys
s = importlib.util.find_spec("ruleassist")
sys.exit(0 if s and sys.argv[1] + "/ruleassist" in list(s.submodule_search_locations or []) else 1)' "$ROOT") 2>/dev/null
}
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]] && here_ok; then
  echo "   up to date (pyproject.toml unchanged)"
else
  pip_q install -e "$ROOT[llm,eval,test]"
  has_version torch "$TORCH_VERSION" || { echo "setup.sh: torch changed away from $TORCH_VERSION; check the dependency pins" >&2; exit 1; }
  echo "$WANT" >"$STAMP"
fi
took

# 5. browser for the UI tests ---------------------------------------------------------------------
if ((BROWSER)); then
  step "chromium"
  if [[ -x /usr/bin/chromium ]]; then
    echo "   $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  else
    SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium >/dev/null
    echo "   installed $(/usr/bin/chromium --version 2>/dev/null)"
  fi
  took
fi

# 6. models ----------------------------------------------------------------------------------------
if ((PULL)); then
  step "models ${MODELS[*]:-(defaults)}"
  "$PY" -m ruleassist.models pull "${MODELS[@]}" >/dev/null   # progress and "in place" go to stderr
  took
fi

printf '\nsetup done in %s s\n' "$((SECONDS - T0))"
