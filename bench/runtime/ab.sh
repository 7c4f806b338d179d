#!/bin/sh
# Same-run A/B of two checkouts: ROUNDS rounds, each running ab_round.exs once from the
# base checkout and once from this one, the order alternating per round; then
# ab_summary.exs prints medians of per-round ratios (new/base) with min-max.
#   bench/runtime/ab.sh /tmp/base-checkout [ROUNDS]   (from the repository root)
set -eu
base=$1
rounds=${2:-7}
new=$(pwd)
out=${AB_OUT:-/tmp/ab-$$.txt}
: > "$out"
py=${SNAKEBRIDGE_PYTHON:-$new/.venv/bin/python}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for side in $order; do
    if [ "$side" = base ]; then dir=$base; else dir=$new; fi
    (cd "$dir/elixir" && AB_REV=$side SNAKEBRIDGE_PYTHON=$py HEX_OFFLINE=1 \
      mix run "$new/bench/runtime/ab_round.exs" 2>/dev/null | grep '^AB ' >> "$out")
  done
done
cd "$new/elixir" && mix run --no-start "$new/bench/runtime/ab_summary.exs" "$out"
