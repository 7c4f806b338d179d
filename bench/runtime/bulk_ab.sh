#!/bin/sh
# Same-run bulk A/B of two checkouts (bench/runtime/bulk_ab.md): ROUNDS rounds, each
# running bulk_round.exs once from the base checkout and once from this one, the order
# alternating per round; then bulk_ab_summary.exs prints medians of per-round figures
# and ratios (new/base) with min-max.
#   bench/runtime/bulk_ab.sh /tmp/base-checkout [ROUNDS]   (from the repository root)
set -eu
base=$1
rounds=${2:-7}
new=$(pwd)
out=${AB_OUT:-/tmp/bulk-ab-$$.txt}
: > "$out"
py=${SNAKEBRIDGE_PYTHON:-$new/.venv/bin/python}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for side in $order; do
    if [ "$side" = base ]; then dir=$base; else dir=$new; fi
    (cd "$dir/elixir" && AB_REV=$side SNAKEBRIDGE_PYTHON=$py HEX_OFFLINE=1 \
      mix run "$new/bench/runtime/bulk_round.exs" 2>/dev/null | grep '^AB ' >> "$out")
  done
done
cd "$new/elixir" && mix run --no-start "$new/bench/runtime/bulk_ab_summary.exs" "$out"
