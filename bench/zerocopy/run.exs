# bench/zerocopy's measurements, run by run.py (see README.md):
#   cd elixir && mix run --no-start ../bench/zerocopy/run.exs PYTHON ROUNDS
# Two real pools of one worker each ("default" = worker A, "peer" = worker B). Prints
# one tab-separated line per sample (row, MB, seconds) and "info" lines with the
# settings that took effect (pool sizes, CPU affinities, versions).
[python, rounds] = System.argv()
rounds = String.to_integer(rounds)
helpers = Path.expand(".", __DIR__)

Application.put_env(:snakebridge, :python, python)

Application.put_env(:snakebridge, :libraries,
  numpy: "~> 2.0",
  pandas: "~> 3.0",
  pyarrow: "~> 26.0",
  operator: :stdlib,
  zcbench: :stdlib
)

Application.put_env(:snakebridge, :ledger, false)
env = %{"PYTHONPATH" => helpers}

Application.put_env(:snakebridge, :pools,
  default: [size: 1, env: env, timeout: 600_000],
  peer: [size: 1, env: env, timeout: 600_000]
)

{:ok, _} = Application.ensure_all_started(:snakebridge)

alias SnakeBridge.{Bulk, Runtime.Pool, Tensor, ZeroCopyRef}

long = [snakebridge: [timeout: 600_000]]
peer = [snakebridge: [pool: :peer, timeout: 600_000]]

wait = fn wait, pool ->
  info = Pool.info(pool)

  if Enum.all?(info.workers, &(&1.status == :ready)),
    do: info,
    else:
      (
        Process.sleep(50)
        wait.(wait, pool)
      )
end

[%{os_pid: a_pid}] = wait.(wait, :default).workers
[%{os_pid: b_pid}] = wait.(wait, :peer).workers

# Placement: the BEAM on CPU 1, both workers on CPU 0 (only one of them works at a time).
beam_pid = System.pid()
{_, 0} = System.cmd("taskset", ["-a", "-p", "-c", "1", beam_pid])
for pid <- [a_pid, b_pid], do: {_, 0} = System.cmd("taskset", ["-a", "-p", "-c", "0", "#{pid}"])

affinity = fn pid ->
  {out, 0} = System.cmd("taskset", ["-p", "#{pid}"])
  out |> String.trim() |> String.split(": ") |> List.last()
end

IO.puts("info\tpools\tdefault=#{Pool.info(:default).size} peer=#{Pool.info(:peer).size}")
IO.puts("info\taffinity\tbeam=#{affinity.(beam_pid)} a=#{affinity.(a_pid)} b=#{affinity.(b_pid)}")
IO.puts("info\totp\t#{System.otp_release()} elixir #{System.version()}")

sizes = [1, 10, 100]
mb = 1_048_576
sources = Map.new(sizes, fn s -> {s, :crypto.strong_rand_bytes(s * mb)} end)

arrays =
  Map.new(sizes, fn s ->
    {s, SnakeBridge.call!("numpy", "ones", [div(s * mb, 8)], long)}
  end)

handles = Map.new(sizes, fn s -> {s, SnakeBridge.share!(arrays[s])} end)
tensors = Map.new(sizes, fn s -> {s, SnakeBridge.to_tensor!(arrays[s])} end)

# The same bytes in a regular file's page cache (the root file system), to show what
# reading /dev/shm's 4 KiB pages costs against a file system with large folios.
page_cache =
  Map.new(sizes, fn s ->
    path = Path.join(System.tmp_dir!(), "zcbench-#{System.pid()}-#{s}")
    File.write!(path, sources[s])
    {s, path}
  end)

{out, 0} = System.cmd("df", ["-T", System.tmp_dir!(), "/dev/shm"])
[_ | fs] = String.split(out, "\n", trim: true)

IO.puts(
  "info\tfile systems\t#{Enum.map_join(fs, "; ", &Enum.join(Enum.take(String.split(&1), 2), " "))}"
)

IO.puts("info\tsegment_min\t#{Bulk.segment_min()} bytes (Bulk.placed/3)")

read_file = fn path ->
  {:ok, f} = :file.open(path, [:read, :raw, :binary])
  {:ok, _} = :file.pread(f, 0, File.stat!(path).size)
  :file.close(f)
end

# A call with tensor arguments sent as the runtime sends them once large ones go
# through BEAM-written segments (Bulk.placed/3), and one whose tensor stays in the
# request frame (inside a list: placement looks at top-level arguments only).
by_segment = fn tensor, opts ->
  Bulk.placed([tensor, 0], [], fn args, _ ->
    SnakeBridge.call!("operator", "getitem", args, opts)
  end)
end

by_pipe = fn tensor, opts -> SnakeBridge.call!("zcbench", "first", [[tensor]], opts) end

time = fn fun ->
  {micros, _} = :timer.tc(fun)
  micros / 1.0e6
end

sample = fn row, s, fun -> IO.puts("#{row}\t#{s}\t#{time.(fun)}") end

# Proof of no copy, per size: the Tensor argument's array is a view whose memory is the
# request frame's bytes.
for s <- sizes do
  facts = SnakeBridge.call!("zcbench", "view_facts", [[tensors[s]]], long)
  IO.puts("info\tview#{s} in the frame\t#{inspect(facts)}")

  facts =
    Bulk.placed([tensors[s]], [], fn args, _ ->
      SnakeBridge.call!("zcbench", "view_facts", args, long)
    end)

  IO.puts("info\tview#{s} by segment\t#{inspect(facts)}")
end

frame = SnakeBridge.call!("zcbench", "frame", [1_000_000], long)
frame_bytes = SnakeBridge.call!("zcbench", "frame_nbytes", [frame], long)
IO.puts("info\tframe_bytes\t#{frame_bytes}")
frame_source = :crypto.strong_rand_bytes(frame_bytes)

# Warm-up, untimed.
for s <- sizes do
  :binary.copy(sources[s])
  SnakeBridge.to_tensor!(arrays[s])
  {:ok, _} = ZeroCopyRef.materialize(handles[s])
  SnakeBridge.call!("operator", "getitem", [handles[s], 0], peer)
  by_segment.(tensors[s], peer)
  by_pipe.(tensors[s], peer)
  read_file.(page_cache[s])
  SnakeBridge.call!("zcbench", "copy_into_segment", [arrays[s]], long)
end

stream = SnakeBridge.to_arrow!(frame)
SnakeBridge.from_arrow!(stream, "pandas", long)

for round <- 1..rounds do
  for s <- sizes do
    sample.("memcpy", s, fn -> :binary.copy(sources[s]) end)
    sample.("to_tensor", s, fn -> %Tensor{} = SnakeBridge.to_tensor!(arrays[s]) end)
    sample.("materialize", s, fn -> {:ok, %Tensor{}} = ZeroCopyRef.materialize(handles[s]) end)
    sample.("page_cache", s, fn -> read_file.(page_cache[s]) end)

    # Timed inside worker A: the copy into its mapped reply segment, alone.
    IO.puts(
      "worker_copy\t#{s}\t#{SnakeBridge.call!("zcbench", "copy_into_segment", [arrays[s]], long)}"
    )

    # tolist: 13 M floats at 100 MB take seconds; three rounds are enough.
    if s < 100 or round <= 3,
      do:
        sample.("tolist", s, fn ->
          [_ | _] = SnakeBridge.method!(arrays[s], "tolist", [], long)
        end)

    sample.("handoff_shm", s, fn ->
      1.0 = SnakeBridge.call!("operator", "getitem", [handles[s], 0], peer)
    end)

    sample.("handoff_beam", s, fn ->
      1.0 = by_segment.(SnakeBridge.to_tensor!(arrays[s]), peer)
    end)

    sample.("share", s, fn ->
      handle = SnakeBridge.share!(arrays[s])
      :ok = SnakeBridge.release(handle)
    end)

    sample.("tensor_arg", s, fn -> 1.0 = by_segment.(tensors[s], peer) end)
    sample.("tensor_arg_pipe", s, fn -> 1.0 = by_pipe.(tensors[s], peer) end)

    sample.("share_tensor", s, fn ->
      handle = SnakeBridge.share!(tensors[s])
      :ok = SnakeBridge.release(handle)
    end)

    :erlang.garbage_collect()
  end

  if round <= 3 do
    sample.("frame_memcpy", 0, fn -> :binary.copy(frame_source) end)
    sample.("frame_arrow", 0, fn -> <<_::binary>> = SnakeBridge.to_arrow!(frame) end)
    sample.("frame_from_arrow", 0, fn -> SnakeBridge.from_arrow!(stream, "pandas", long) end)

    sample.("frame_to_dict", 0, fn ->
      %{} = SnakeBridge.call!("zcbench", "to_dict", [frame], long)
    end)

    :erlang.garbage_collect()
  end
end

for {_s, path} <- page_cache, do: File.rm!(path)
