#!/usr/bin/env bash
# Make mostlyai-engine's own virtual environment (TabularARGN, Apache-2.0) and print its python.
# Like SDV it lives outside veil's environment: nothing under src/ or tests/ imports it.
# torch first (the CPU wheel), then the engine; then torchvision and torchaudio, which the engine pulls in
# and which break its import with this torch (TabularARGN does not use them), are removed.
# Default location: benchmarks/.venv-mostlyai (git-ignored); override with MOSTLYAI_VENV=/some/dir.
# Usage: MOSTLYAI_PY=$(benchmarks/setup-mostlyai.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${MOSTLYAI_VENV:-$here/.venv-mostlyai}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import mostlyai.engine' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q 'torch==2.13.0' >&2
  "$venv/bin/pip" install -q 'mostlyai-engine==2.7.3' >&2
  "$venv/bin/pip" uninstall -q -y torchvision torchaudio >&2 || true
fi
echo "$venv/bin/python"
