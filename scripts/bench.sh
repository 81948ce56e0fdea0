#!/usr/bin/env bash
# Run the benchmarks: every bench/*.py in turn, or only those named (bench.sh rescore gap_report).
# Each is a standalone script that sets up its own data on PostgreSQL, prints a table and ends
# with one JSON line. Exits non-zero if any benchmark fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cxaudit_bench}"

scripts=()
if [ "$#" -eq 0 ]; then
  for f in bench/*.py; do [ -e "$f" ] && scripts+=("$f"); done
else
  for name in "$@"; do scripts+=("bench/${name%.py}.py"); done
fi
[ "${#scripts[@]}" -gt 0 ] || { echo "!! no benchmark in bench/"; exit 1; }

failed=()
for script in "${scripts[@]}"; do
  echo "==> $script (DATABASE_URL=${DATABASE_URL})"
  if [ ! -f "$script" ]; then
    echo "!! $script does not exist"; failed+=("$script"); continue
  fi
  "$PY" "$script" || failed+=("$script")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "!! failed: ${failed[*]}"
  exit 1
fi
