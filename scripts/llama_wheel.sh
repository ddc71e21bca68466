#!/usr/bin/env bash
# Build llama-cpp-python once (CPU only, generic x86-64-v3 flags, no -march=native) into a
# wheel cache outside the repo, then install it from there. A second run finds the wheel
# and only installs (seconds); if the pinned version is installed already it does nothing.
#
#   bash scripts/llama_wheel.sh            # build if needed, install into .venv
#   PYTHON=/path/to/python bash scripts/llama_wheel.sh
#   bash scripts/llama_wheel.sh --build-only
#
# The build takes ~8 minutes on 2 cores. The wheel lands in Config.cache_dir/wheels:
#   ${RULEASSIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ruleassist}/wheels/
# (RULEASSIST_CACHE_DIR, not RULEASSIST_CACHE: load_config() rejects unknown RULEASSIST_* names.)
set -euo pipefail

LLAMA_VERSION=0.3.36          # pinned: bump here (and nowhere else) to rebuild
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
CACHE="${RULEASSIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ruleassist}"
WHEELS="$CACHE/wheels"
BUILD_ONLY=0
[[ "${1:-}" == "--build-only" ]] && BUILD_ONLY=1

# Portable CPU build: no -march=native, so a wheel built here runs on any machine of the
# same kind (AVX2/FMA/F16C are on every x86-64-v3 CPU; AVX-512 is left off on purpose).
# No BLAS, GPU, curl or tests. Override with LLAMA_CMAKE_ARGS if you know better.
case "$(uname -m)" in
  x86_64) ARCH_ARGS="-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_BMI2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF" ;;
  *)      ARCH_ARGS="-DGGML_NATIVE=OFF" ;;
esac
export CMAKE_ARGS="${LLAMA_CMAKE_ARGS:-$ARCH_ARGS -DGGML_BLAS=OFF -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
export FORCE_CMAKE=1

installed_version() {
  "$PY" - <<'PY' 2>/dev/null || true
from importlib.metadata import version, PackageNotFoundError
try:
    print(version("llama_cpp_python"))
except PackageNotFoundError:
    pass
PY
}

if [[ $BUILD_ONLY == 0 && "$(installed_version)" == "$LLAMA_VERSION" ]]; then
  echo "llama-cpp-python $LLAMA_VERSION already installed"
  exit 0
fi

mkdir -p "$WHEELS"
find_wheel() { ls -1 "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true; }

WHEEL="$(find_wheel)"
if [[ -z "$WHEEL" ]]; then
  # one builder at a time; a second caller waits and then finds the wheel
  exec 9>"$WHEELS/.llama-build.lock"
  flock 9
  WHEEL="$(find_wheel)"
  if [[ -z "$WHEEL" ]]; then
    echo "building llama-cpp-python $LLAMA_VERSION from source (about 8 min on 2 cores)"
    echo "  CMAKE_ARGS=$CMAKE_ARGS"
    TMP="$(mktemp -d "$WHEELS/.build.XXXXXX")"
    trap 'rm -rf "$TMP"' EXIT
    start=$SECONDS
    if ! "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python --no-cache-dir \
         -w "$TMP" "llama-cpp-python==$LLAMA_VERSION" >"$TMP/build.log" 2>&1; then
      tail -n 60 "$TMP/build.log" >&2
      cp "$TMP/build.log" "$WHEELS/llama-build-failed.log" || true
      echo "llama-cpp-python build failed; full log: $WHEELS/llama-build-failed.log" >&2
      exit 1
    fi
    built="$(ls -1 "$TMP"/llama_cpp_python-*.whl | head -n1)"
    mv -f "$built" "$WHEELS/"            # same filesystem: atomic
    WHEEL="$WHEELS/$(basename "$built")"
    rm -f "$WHEELS/llama-build-failed.log"
    echo "built $(basename "$WHEEL") in $((SECONDS - start)) s"
  fi
  flock -u 9
fi
echo "llama-cpp-python wheel: $WHEEL"

if [[ $BUILD_ONLY == 0 ]]; then
  # its dependencies (numpy, jinja2, diskcache, typing-extensions) come from PyPI as usual
  "$PY" -m pip install -q --disable-pip-version-check "$WHEEL" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "installed llama-cpp-python $(installed_version)"
fi
