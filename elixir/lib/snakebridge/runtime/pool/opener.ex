defmodule SnakeBridge.Runtime.Pool.Opener do
  @moduledoc """
  Opens a port in a short-lived helper process and hands it over to the caller.

  Why: `Port.open/2` of a Python worker blocks the process that calls it while the OS
  forks and execs (0.1 to 4 ms on a loaded machine), and a pool process that did that
  itself would keep every other caller's reply waiting behind it. The helper does the
  blocking part; the pool takes the finished port with `take/2`, which costs it one
  message round trip.

  The handover keeps every message of the port, in order: until `take/2`, the port's
  output, `exit_status` and exit signal go to the helper (it traps exits, so an early
  death of the worker cannot take the pool down). `take/2` makes the caller the port's
  owner (`Port.connect/2` also links it), and the helper then unlinks itself and returns
  what it had received, which the caller handles before anything the port sends it
  directly. A caller that dies before taking the port takes it along: the helper is
  linked to it and closes the port.
  """

  @doc """
  Runs `open` (it returns `{port, info}`) in a helper linked to the caller. The caller
  then receives `{:opened, ref, helper, port, info}` (hand it to `take/2`), or
  `{:open_failed, ref, message}` if `open` raised. Returns `ref`.
  """
  @spec open((() -> {port, term})) :: reference
  def open(open) do
    owner = self()
    ref = make_ref()
    spawn_link(fn -> run(owner, ref, open) end)
    ref
  end

  @doc """
  Becomes the owner of `port`, opened by `helper`: returns the port's messages the
  helper received first, oldest first, for the caller to handle before its own mailbox.
  """
  @spec take(pid, port) :: [tuple]
  def take(helper, port) do
    try do
      Port.connect(port, self())
    rescue
      # Closed already: its exit is among the messages the helper holds.
      ArgumentError -> :ok
    end

    # The monitor's ref tags the reply: a helper killed meanwhile cannot leave the caller
    # waiting (its port, linked to it, went with it).
    ref = Process.monitor(helper)
    send(helper, {:flush, ref, self()})

    receive do
      {^ref, early} ->
        Process.demonitor(ref, [:flush])
        early

      {:DOWN, ^ref, :process, ^helper, _reason} ->
        []
    end
  end

  defp run(owner, ref, open) do
    Process.flag(:trap_exit, true)

    case safely(open) do
      {:ok, {port, info}} ->
        send(owner, {:opened, ref, self(), port, info})
        hand_over(owner, port)

      {:error, message} ->
        send(owner, {:open_failed, ref, message})
    end
  end

  defp safely(open) do
    {:ok, open.()}
  rescue
    error -> {:error, Exception.message(error)}
  end

  defp hand_over(owner, port) do
    receive do
      {:flush, ref, ^owner} ->
        Process.unlink(port)
        send(owner, {ref, early(port, [])})

      {:EXIT, ^owner, _reason} ->
        close(port)
    end
  end

  defp early(port, acc) do
    receive do
      {^port, _} = message -> early(port, [message | acc])
      {:EXIT, ^port, _} = message -> early(port, [message | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end

  defp close(port) do
    Port.close(port)
  rescue
    ArgumentError -> :ok
  end
end
