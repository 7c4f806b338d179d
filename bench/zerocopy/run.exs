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

# Minor page faults of this OS process so far (field 10 of /proc/self/stat): a fresh
# destination binary costs one per 4 KiB page on first touch, a recycled one none.
faults = fn ->
  stat = File.read!("/proc/self/stat")
  {at, 1} = stat |> :binary.matches(")") |> List.last()
  stat |> binary_part(at + 2, byte_size(stat) - at - 2) |> String.split() |> Enum.at(7)
end

# Whether a new binary's pages are touched already depends on the allocator: it reuses
# a segment freed by an allocation of the same kind (same scheduler type) when it is
# cached. A warm sample therefore runs its work once untimed, drops the result and
# collects garbage first, so the destination is the segment just freed; a cold sample
# keeps its result until the end of the size's turn, so every destination is fresh.
# The fault count of each sample shows which it got.
sample_as = fn row, s, fun, mode ->
  if mode == :warm, do: fun.()
  :erlang.garbage_collect()
  before = String.to_integer(faults.())
  {micros, result} = :timer.tc(fun)
  after_ = String.to_integer(faults.())
  if mode == :cold, do: Process.put(:held, [result | Process.get(:held, [])])
  IO.puts("#{row}\t#{s}\t#{micros / 1.0e6}\t#{after_ - before}")
end

# Before a cold sample: its own work runs (results kept) until a run comes with untouched
# pages, so the allocator instance it draws from (a dirty I/O scheduler's for a file
# read, a normal scheduler's for a copy) has no cached segment of that size left.
drain = fn s, fun ->
  Enum.find(1..16, fn _ ->
    before = String.to_integer(faults.())
    Process.put(:held, [fun.() | Process.get(:held, [])])
    String.to_integer(faults.()) - before > div(s * mb, 4096) * 9 / 10
  end)
end

sample = fn row, s, fun -> sample_as.(row, s, fun, :plain) end
warm = fn row, s, fun -> sample_as.(row, s, fun, :warm) end

cold = fn row, s, fun ->
  drain.(s, fun)
  sample_as.(row, s, fun, :cold)
end

# Worker A's segment behind handles[s] (workers place theirs in /dev/shm itself).
segment_of = fn s -> Path.join("/dev/shm", handles[s].id) end

# The BEAM's read of a tmpfs file, four ways: one raw pread (what to_tensor/2 does),
# through a file server process (not raw), File.read/1 (prim_file's read_file), and
# raw preads of 1 MiB kept as an iolist (not joined: joining is one more copy).
pread_chunks = fn file, size ->
  Enum.map(0..(size - 1)//mb, fn at ->
    {:ok, part} = :file.pread(file, at, mb)
    part
  end)
end

read_with = fn path, modes, read ->
  {:ok, file} = :file.open(path, [:read, :binary | modes])
  result = read.(file)
  :ok = :file.close(file)
  result
end

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
    warm.("memcpy", s, fn -> :binary.copy(sources[s]) end)
    warm.("to_tensor", s, fn -> %Tensor{} = SnakeBridge.to_tensor!(arrays[s]) end)
    warm.("materialize", s, fn -> {:ok, %Tensor{}} = ZeroCopyRef.materialize(handles[s]) end)
    warm.("page_cache", s, fn -> read_file.(page_cache[s]) end)

    warm.("read_nonraw", s, fn ->
      {:ok, _} = read_with.(segment_of.(s), [], &:file.pread(&1, 0, s * mb))
    end)

    warm.("read_file", s, fn -> {:ok, _} = File.read(segment_of.(s)) end)

    warm.("read_chunks", s, fn ->
      [_ | _] = read_with.(segment_of.(s), [:raw], &pread_chunks.(&1, s * mb))
    end)

    # The same three as above, each into a fresh destination.
    cold.("memcpy_cold", s, fn -> :binary.copy(sources[s]) end)
    cold.("to_tensor_cold", s, fn -> %Tensor{} = SnakeBridge.to_tensor!(arrays[s]) end)

    cold.("materialize_cold", s, fn ->
      {:ok, %Tensor{}} = ZeroCopyRef.materialize(handles[s])
    end)

    Process.delete(:held)

    # Timed inside worker A: the copy into its mapped reply segment, alone.
    IO.puts(
      "worker_copy\t#{s}\t#{SnakeBridge.call!("zcbench", "copy_into_segment", [arrays[s]], long)}"
    )

    # Timed inside worker A: the kernel's read of /dev/shm and of the page cache into a
    # touched buffer, against a memcpy into the same buffer.
    [copy, tmpfs, ext4] =
      SnakeBridge.call!(
        "zcbench",
        "warm_reads",
        [segment_of.(s), page_cache[s], s * mb],
        long
      )

    for {row, t} <- [py_memcpy: copy, py_tmpfs: tmpfs, py_ext4: ext4],
        do: IO.puts("#{row}\t#{s}\t#{t}")

    # tolist: 13 M floats at 100 MB take seconds; three rounds are enough.
    if s < 100 or round <= 3,
      do:
        sample.("tolist", s, fn ->
          [_ | _] = SnakeBridge.method!(arrays[s], "tolist", [], long)
        end)

    # The hand-off against worker B's floor, a trivial call on it: 5 pairs in turn. The
    # first calls after a long one on worker A (tolist, just before) are slower on this
    # shared CPU whatever they carry; pairing puts both rows in the same conditions.
    for _pair <- 1..5 do
      sample.("peer_trivial", s, fn ->
        1.0 = SnakeBridge.call!("operator", "getitem", [[1.0], 0], peer)
      end)

      sample.("handoff_shm", s, fn ->
        1.0 = SnakeBridge.call!("operator", "getitem", [handles[s], 0], peer)
      end)
    end

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

# What Bulk.placed/3 adds to a call that has no tensor among its arguments (the runtime
# wraps every call on this node in it): interleaved rounds of 100k calls of a function
# directly and through placed/3, the call's wire arguments as the runtime passes them.
wire_args = [1, "x", 2.5, [1, 2, 3]]
wire_kwargs = %{"axis" => 0, "keepdims" => true}
direct = fn args, kwargs -> {args, kwargs} end
n = 100_000

extra =
  for _round <- 1..rounds do
    {plain, _} = :timer.tc(fn -> for _ <- 1..n, do: direct.(wire_args, wire_kwargs) end)

    {wrapped, _} =
      :timer.tc(fn -> for _ <- 1..n, do: Bulk.placed(wire_args, wire_kwargs, direct) end)

    (wrapped - plain) * 1000 / n
  end
  |> Enum.sort()

IO.puts(
  "info\tplaced/3 on a call without tensors\t#{Float.round(Enum.at(extra, div(length(extra), 2)), 1)} ns " <>
    "per call over calling directly (#{Float.round(hd(extra), 1)} to #{Float.round(List.last(extra), 1)}; " <>
    "#{rounds} rounds of #{n} calls, 4 args and 2 kwargs)"
)
