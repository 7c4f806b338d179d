# BEAM side of bench/zerocopy, run by run.py in the same run:
#   cd elixir && mix run --no-start ../bench/zerocopy/beam.exs PYTHON ROUNDS PEER_CPU
# Materializes float64 arrays of 1, 10 and 100 MB into Elixir two ways, against
# :binary.copy/1 of the same size (a plain memcpy into a new binary) in the same round:
#   port: {:tensor, mb} over the Erlang port, the reply frame decoded with [:safe]
#         into %SnakeBridge.Tensor{} (what SnakeBridge.to_tensor/1 will do);
#   shm:  SnakeBridge.ZeroCopyRef.materialize/1 of the array's shm handle (File.read).
# Prints one tab-separated line per sample: row, MB, seconds.
[python, rounds, peer_cpu] = System.argv()
peer = Path.expand("beam_peer.py", __DIR__)

port =
  Port.open({:spawn_executable, python}, [
    :binary,
    {:packet, 4},
    :exit_status,
    args: [peer, peer_cpu]
  ])

ask = fn term ->
  Port.command(port, :erlang.term_to_binary(term))

  receive do
    {^port, {:data, bin}} -> :erlang.binary_to_term(bin, [:safe])
    {^port, {:exit_status, status}} -> raise "peer exited with #{status}"
  after
    120_000 -> raise "peer timed out"
  end
end

sizes = [1, 10, 100]
sources = Map.new(sizes, fn mb -> {mb, :crypto.strong_rand_bytes(mb * 1_048_576)} end)
handles = Map.new(sizes, fn mb -> {mb, ask.({:share, mb})} end)

# Warm-up, untimed.
for mb <- sizes do
  %SnakeBridge.Tensor{} = ask.({:tensor, mb})
  {:ok, %SnakeBridge.Tensor{}} = SnakeBridge.ZeroCopyRef.materialize(handles[mb])
  :binary.copy(sources[mb])
end

time = fn fun ->
  {micros, _} = :timer.tc(fun)
  micros / 1.0e6
end

for _round <- 1..String.to_integer(rounds), mb <- sizes do
  IO.puts("memcpy\t#{mb}\t#{time.(fn -> :binary.copy(sources[mb]) end)}")

  IO.puts(
    "port\t#{mb}\t#{time.(fn -> %SnakeBridge.Tensor{shape: {_}} = ask.({:tensor, mb}) end)}"
  )

  IO.puts(
    "shm\t#{mb}\t#{time.(fn -> {:ok, _} = SnakeBridge.ZeroCopyRef.materialize(handles[mb]) end)}"
  )

  :erlang.garbage_collect()
end

Port.close(port)
