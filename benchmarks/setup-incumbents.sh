#!/usr/bin/env bash
# Make the incumbent's own virtual environment (SDV 2.0, Business Source License) and print its python.
# It lives outside veil's environment on purpose: nothing under src/ or tests/ may import SDV.
# Default location: benchmarks/.venv-sdv (git-ignored); override with SDV_VENV=/some/dir.
# Usage: SDV_PY=$(benchmarks/setup-incumbents.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SDV_VENV:-$here/.venv-sdv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sdv' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  # torch first, so SDV's dependency on it is met by the CPU wheel rather than a large CUDA build.
  "$venv/bin/pip" install -q 'torch==2.13.0' >&2
  "$venv/bin/pip" install -q 'sdv==2.0.0' >&2
fi
echo "$venv/bin/python"
