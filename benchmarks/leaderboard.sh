#!/usr/bin/env bash
# Reproduce the leaderboard in benchmarks/RESULTS.md (issue 11): 4 shared datasets x 8 synthesizers, veil's
# and SDV's side by side. SDV runs in its own venv (setup-incumbents.sh); veil gets its benchmark extra
# (xgboost-cpu, the judge's TSTR model). Interrupted? Run it again: finished cells are not recomputed.
# Usage: benchmarks/leaderboard.sh [OUT_DIR]      (default benchmarks/work/leaderboard)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="${1:-$here/work/leaderboard}"
make -C "$repo" setup >&2
"$repo/.venv/bin/pip" install -q -e "$repo[benchmark]" >&2
sdv_python="$("$here/setup-incumbents.sh")"
cd "$repo"
OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" .venv/bin/veil benchmark -o "$out" \
  -d adult -d bank_marketing -d kc_house_sales -d kddcup99 \
  -s autoregressive -s gaussian_copula -s fast_ml -s tvae -s ctgan \
  -s sdv:gaussian_copula -s sdv:ctgan -s sdv:tvae \
  --max-train-rows 20000 --time-limit 900 \
  --set ctgan.epochs=30 --set sdv:ctgan.epochs=30 --set tvae.epochs=50 --set sdv:tvae.epochs=50 \
  --incumbent-python "$sdv_python" --datasets-dir "$repo/../shared/datasets"
