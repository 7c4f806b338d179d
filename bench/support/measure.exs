# What the call-path benchmarks share: the trivial wrapper they time, how they read CPU
# time and percentiles, and the relay that stands for the pool's hops. Each script
# loads it with `Code.require_file("../support/measure.exs", __DIR__)`.
defmodule Bench.Operator do
  @moduledoc false
  # The exact shape the generator emits for a wrapper (see lib/snakebridge_generated/).
  @d_add %{
    call_type: :call,
    library: "operator",
    python_module: "operator",
    function: "add",
    kwargs: [],
    optional_positional: [],
    idempotent: false
  }
  def add(a, b, opts \\ []), do: SnakeBridge.Runtime.call(@d_add, [a, b], opts)

  @d_concat %{@d_add | function: "concat"}
  def concat(a, b, opts \\ []), do: SnakeBridge.Runtime.call(@d_concat, [a, b], opts)
end

defmodule Bench.Measure do
  @moduledoc false

  def median(xs), do: xs |> Enum.sort() |> Enum.at(div(length(xs), 2))

  def percentile(sorted, p),
    do: Enum.at(sorted, min(length(sorted) - 1, trunc(length(sorted) * p)))

  # Wall time (ns) of each of `n` sequential calls of `fun`.
  def times(n, fun) do
    for _ <- 1..n do
      t0 = System.monotonic_time(:nanosecond)
      fun.()
      System.monotonic_time(:nanosecond) - t0
    end
  end

  # Pins every thread of an OS process to `cpus` (a taskset list such as "0" or "0,1").
  def pin(os_pid, cpus) do
    {_, 0} = System.cmd("taskset", ["-a", "-p", "-c", cpus, to_string(os_pid)])
    :ok
  end

  # Reductions a BEAM process has run so far (0 for no process).
  def reductions(nil), do: 0
  def reductions(pid), do: elem(Process.info(pid, :reductions), 1)

  # Time (µs) the normal schedulers spent running Erlang code and collecting garbage
  # since :msacc started (microstate accounting): the share of the VM's CPU the code
  # controls, without the schedulers' spinning, which varies with the host's load.
  def scheduler_us do
    for %{type: :scheduler, counters: counters} <- :msacc.stats(),
        {state, us} <- counters,
        state in [:emulator, :gc],
        reduce: %{emulator: 0, gc: 0} do
      acc -> Map.update!(acc, state, &(&1 + us))
    end
  end

  # Runs `fun`; returns its result, the CPU time (ns, schedstat) the VM ran meanwhile and
  # that of each OS process in `os_pids`: `{result, vm_ns, [ns, ...]}`.
  def cpu(os_pids, fun) do
    vm = String.to_integer(System.pid())
    vm0 = cpu_ns(vm)
    before = Enum.map(os_pids, &cpu_ns/1)
    result = fun.()
    vm_ns = cpu_ns(vm) - vm0
    {result, vm_ns, Enum.zip_with(os_pids, before, &(cpu_ns(&1) - &2))}
  end

  # Runs `fun` in `n` processes at once; returns their results and the wall time (ns)
  # until the last one ended.
  def concurrently(n, fun) do
    t0 = System.monotonic_time(:nanosecond)
    results = 1..n |> Enum.map(fn _ -> Task.async(fun) end) |> Task.await_many(:infinity)
    {results, System.monotonic_time(:nanosecond) - t0}
  end

  # CPU time (ns) an OS process has run, all its threads, from schedstat; a thread that
  # ends between the listing and the read counts as 0.
  def cpu_ns(os_pid) do
    "/proc/#{os_pid}/task/*/schedstat"
    |> Path.wildcard()
    |> Enum.reduce(0, fn file, acc ->
      case File.read(file) do
        {:ok, text} -> acc + (text |> String.split() |> hd() |> String.to_integer())
        _ -> acc
      end
    end)
  end
end

defmodule Bench.Relay do
  @moduledoc false
  # The pool's route without the pool's bookkeeping: a GenServer owns an echo port
  # (opened by `open`, a 0-arity function run in the relay, so the relay owns it),
  # writes each caller's frame and hands the reply bytes back undecoded. Beside the
  # plain echo it measures what the caller -> process -> port -> process -> caller hops
  # cost.
  use GenServer

  def start_link(open), do: GenServer.start_link(__MODULE__, open)
  def os_pid(relay), do: GenServer.call(relay, :os_pid)

  def echo(relay, term) do
    :erlang.binary_to_term(GenServer.call(relay, {:echo, :erlang.term_to_binary(term)}), [:safe])
  end

  @impl true
  def init(open), do: {:ok, {open.(), nil}}

  @impl true
  def handle_call(:os_pid, _from, {port, _} = state),
    do: {:reply, elem(Port.info(port, :os_pid), 1), state}

  def handle_call({:echo, frame}, from, {port, nil}) do
    Port.command(port, frame)
    {:noreply, {port, from}}
  end

  @impl true
  def handle_info({port, {:data, data}}, {port, from}) do
    GenServer.reply(from, data)
    {:noreply, {port, nil}}
  end
end

defmodule Bench.PipelinedRelay do
  @moduledoc false
  # The floor under the pool's throughput: one process owning `n` echo ports, as the pool
  # owns its workers, writing each caller's frame at once (no depth limit, a stricter
  # floor than the pool's) and handing the echoed bytes back undecoded to the caller that
  # has waited longest on that port; ports are taken in turn.
  use GenServer

  def start_link(open, n), do: GenServer.start_link(__MODULE__, {open, n})
  def os_pids(relay), do: GenServer.call(relay, :os_pids)

  def echo(relay, term) do
    :erlang.binary_to_term(GenServer.call(relay, {:echo, :erlang.term_to_binary(term)}), [:safe])
  end

  @impl true
  def init({open, n}) do
    ports = for _ <- 1..n, do: open.()
    {:ok, %{ports: List.to_tuple(ports), waiting: Map.new(ports, &{&1, :queue.new()}), next: 0}}
  end

  @impl true
  def handle_call(:os_pids, _from, state) do
    {:reply, for(port <- Tuple.to_list(state.ports), do: elem(Port.info(port, :os_pid), 1)),
     state}
  end

  def handle_call({:echo, frame}, from, %{ports: ports, next: next} = state) do
    port = elem(ports, next)
    Port.command(port, frame)
    waiting = Map.update!(state.waiting, port, &:queue.in(from, &1))
    {:noreply, %{state | waiting: waiting, next: rem(next + 1, tuple_size(ports))}}
  end

  @impl true
  def handle_info({port, {:data, data}}, state) do
    {{:value, from}, queue} = :queue.out(Map.fetch!(state.waiting, port))
    GenServer.reply(from, data)
    {:noreply, %{state | waiting: Map.put(state.waiting, port, queue)}}
  end
end

defmodule Bench.Setup do
  @moduledoc false
  @echo Path.expand("../runtime/echo_port.py", __DIR__)

  # Restarts :snakebridge on SNAKEBRIDGE_PYTHON with the operator library, no ledger,
  # `pools` and any other settings in `env`; returns the interpreter once every worker of
  # those pools is ready.
  def start(pools, env \\ []) do
    python = System.fetch_env!("SNAKEBRIDGE_PYTHON")
    Application.stop(:snakebridge)
    settings = [python: python, libraries: [operator: :stdlib], ledger: false, pools: pools]
    for {key, value} <- settings ++ env, do: Application.put_env(:snakebridge, key, value)
    {:ok, _} = Application.ensure_all_started(:snakebridge)

    for {pool, _} <- pools do
      Stream.repeatedly(fn -> SnakeBridge.Runtime.Pool.info(pool).workers end)
      |> Enum.find(fn workers -> Enum.all?(workers, &(&1.status == :ready)) end)
    end

    python
  end

  def workers(pool), do: for(w <- SnakeBridge.Runtime.Pool.info(pool).workers, do: w.os_pid)

  # The raw `{packet, 4}` echo (echo_port.py); `["--pipe-bytes", n]` gives its pipes the
  # capacity the worker's have.
  def echo_port(python, args \\ []) do
    Port.open({:spawn_executable, python}, [:binary, {:packet, 4}, args: [@echo | args]])
  end
end
