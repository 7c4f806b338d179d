# One side of the bulk rows in a loop, for tracing (bulk_syscalls.sh): SIDE=echo (the
# 1 MiB-pipe echo) or SIDE=call (operator.concat on a 1-worker pool), MB megabytes, N
# round trips, VM on CPU 0 and Python on CPU 1. After a warm-up it writes
# "<vm os pid> <python os pid>" to the file PIDS, then runs the N round trips and
# prints their mean.
Code.require_file("../support/measure.exs", __DIR__)

python = System.fetch_env!("SNAKEBRIDGE_PYTHON")
Application.stop(:snakebridge)
Application.put_env(:snakebridge, :python, python)
Application.put_env(:snakebridge, :libraries, operator: :stdlib)
Application.put_env(:snakebridge, :ledger, false)
Application.put_env(:snakebridge, :pools, one: [size: 1])
{:ok, _} = Application.ensure_all_started(:snakebridge)

Stream.repeatedly(fn -> SnakeBridge.Runtime.Pool.info(:one).workers end)
|> Enum.find(fn workers -> Enum.all?(workers, &(&1.status == :ready)) end)

[worker] = for w <- SnakeBridge.Runtime.Pool.info(:one).workers, do: w.os_pid

wide =
  Port.open({:spawn_executable, python}, [
    :binary,
    {:packet, 4},
    args: [Path.expand("echo_port.py", __DIR__), "--pipe-bytes", "1048576"]
  ])

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
