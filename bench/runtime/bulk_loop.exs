# One side of the bulk rows in a loop, for tracing (bulk_syscalls.sh): SIDE=echo (the
# 1 MiB-pipe echo) or SIDE=call (operator.concat on a 1-worker pool), MB megabytes, N
# round trips, VM on CPU 0 and Python on CPU 1. After a warm-up it writes
# "<vm os pid> <python os pid>" to the file PIDS, then runs the N round trips and
# prints their mean.
Code.require_file("../support/measure.exs", __DIR__)

python = Bench.Setup.start(one: [size: 1])
[worker] = Bench.Setup.workers(:one)

wide = Bench.Setup.echo_port(python, ["--pipe-bytes", "1048576"])

{:os_pid, wide_pid} = Port.info(wide, :os_pid)
pin = fn pid, cpus -> {_, 0} = System.cmd("taskset", ["-a", "-p", "-c", cpus, "#{pid}"]) end
pin.(System.pid(), "0")
pin.(worker, "1")
pin.(wide_pid, "1")
blob = :crypto.strong_rand_bytes(String.to_integer(System.get_env("MB", "1")) * 1024 * 1024)
empty = SnakeBridge.bytes("")

echo = fn ->
  Port.command(wide, :erlang.term_to_binary(blob))

  receive do
    {^wide, {:data, data}} -> ^blob = :erlang.binary_to_term(data, [:safe])
  end
end

call = fn ->
  {:ok, %SnakeBridge.Bytes{data: ^blob}} =
    Bench.Operator.concat(SnakeBridge.bytes(blob), empty, snakebridge: [pool: :one])
end

{fun, python_pid} =
  if System.get_env("SIDE") == "echo", do: {echo, wide_pid}, else: {call, worker}

for _ <- 1..50, do: fun.()
File.write!(System.fetch_env!("PIDS"), "#{System.pid()} #{python_pid}\n")
n = String.to_integer(System.get_env("N", "3000"))
t0 = System.monotonic_time(:microsecond)
for _ <- 1..n, do: fun.()
IO.puts("#{System.get_env("SIDE")}: mean #{(System.monotonic_time(:microsecond) - t0) / n} us")
