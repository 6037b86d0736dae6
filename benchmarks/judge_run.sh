#!/usr/bin/env bash
# Score a synthetic table with the independent judge (its own venv) and print the judge's JSON.
# Usage: benchmarks/judge_run.sh adult SYNTHETIC.csv [--no-utility]
# The judge lives in ../shared/bench next to the repo; override with JUDGE_DIR=/path/to/bench.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 DATASET SYNTHETIC.csv [judge score options]" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
judge_dir="${JUDGE_DIR:-$here/../../shared/bench}"
if [ ! -f "$judge_dir/judge.py" ]; then
  echo "judge not found at $judge_dir/judge.py (set JUDGE_DIR)" >&2
  exit 2
fi
py="$("$judge_dir/setup-judge.sh")"
dataset="$1"; synthetic="$2"; shift 2
exec "$py" "$judge_dir/judge.py" score "$dataset" "$synthetic" "$@"
