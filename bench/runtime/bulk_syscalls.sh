#!/bin/sh
# The sizes the pipe's reads and writes return during 1 MB round trips (bench/runtime/
# bulk_ab.md), for the echo and for the worker: each side runs alone in a loop
# (bulk_loop.exs) while `perf record` takes one second of the syscall exit tracepoints
# of the VM and of the Python process; prints, per process, how often each return
# value came back. Needs perf and the tracepoints (root). From the repository root.
set -eu
root=$(pwd)
py=${SNAKEBRIDGE_PYTHON:-$root/.venv/bin/python}
tmp=$(mktemp -d)
for side in echo call; do
  pids=$tmp/pids-$side
  (cd "$root/elixir" && SIDE=$side N=${N:-8000} PIDS=$pids SNAKEBRIDGE_PYTHON=$py \
    HEX_OFFLINE=1 mix run "$root/bench/runtime/bulk_loop.exs" 2>/dev/null) &
  while [ ! -s "$pids" ]; do sleep 0.1; done
  read -r vm python < "$pids"
  for who in vm python; do
    if [ $who = vm ]; then pid=$vm; else pid=$python; fi
    perf record -q -e syscalls:sys_exit_read,syscalls:sys_exit_write,syscalls:sys_exit_writev \
      -p "$pid" -o "$tmp/$side-$who.data" -- sleep 1 2>/dev/null || true
    echo "$side, $who (pid $pid): count x syscall = return value"
    perf script -i "$tmp/$side-$who.data" 2>/dev/null | "$py" -c '
import collections, re, sys
counts = collections.Counter()
for line in sys.stdin:
    m = re.search(r"sys_exit_(\w+): 0x([0-9a-f]+)$", line.strip())
    if m:
        value = int(m.group(2), 16)
        counts[(m.group(1), value - (1 << 64) if value >= 1 << 63 else value)] += 1
for (call, value), count in counts.most_common(8):
    print(f"  {count:6d} x {call} = {value}")
'
  done
  wait
done
rm -rf "$tmp"
