#!/bin/sh
# Same-run A/B of two checkouts: ROUNDS rounds, each running the round script once from
# the base checkout and once from this one, the order alternating per round; then
# ab_summary.exs prints each figure's median for both and the median (min-max) of
# per-round ratios new/base. KIND is `call` (ab_round.exs: the trivial call path,
# bench/runtime/ab.md) or `bulk` (bulk_round.exs: 1 and 10 MB, bench/runtime/bulk_ab.md).
#   bench/runtime/ab.sh KIND /tmp/base-checkout [ROUNDS]   (from the repository root)
set -eu
kind=$1
base=$2
rounds=${3:-7}
case $kind in
  call) script=ab_round.exs ;;
  bulk) script=bulk_round.exs ;;
  *) echo "KIND is call or bulk, got $kind" >&2; exit 2 ;;
esac
new=$(pwd)
out=${AB_OUT:-/tmp/ab-$kind-$$.txt}
: > "$out"
py=${SNAKEBRIDGE_PYTHON:-$new/.venv/bin/python}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for side in $order; do
    if [ "$side" = base ]; then dir=$base; else dir=$new; fi
    (cd "$dir/elixir" && AB_REV=$side SNAKEBRIDGE_PYTHON=$py HEX_OFFLINE=1 \
      mix run "$new/bench/runtime/$script" 2>/dev/null | grep '^AB ' >> "$out")
  done
done
cd "$new/elixir" && mix run --no-start "$new/bench/runtime/ab_summary.exs" "$kind" "$out"
