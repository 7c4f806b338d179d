defmodule Mix.Tasks.Snakebridge.Doctor do
  @shortdoc "Says whether the project is ready, and how to fix what is not"
  @moduledoc """
  One screen: the declared libraries and their installed versions, the Python
  interpreter and uv, whether `snakebridge.lock` matches the environment, and whether the
  generated code matches the manifest, with the command that fixes each problem. Exits
  non-zero when something needs fixing. Last, the crash barrier: each library's
  circuit limits and the crashes a `:dev` run recorded (`SnakeBridge.Circuits`).

      mix snakebridge.doctor
      mix snakebridge.doctor --node py1@host-a [--cookie COOKIE]

  `--node` asks a running node for its circuits instead of reading the `:dev` record:
  what every pool there counts now, over Erlang distribution (`:erpc`). This VM
  becomes a distributed node for it (named `snakebridge_doctor_<pid>`, short or long
  names as the target's host says) unless it is one already; the cookie is `--cookie`,
  else `~/.erlang.cookie`. A node that cannot be reached fails the doctor, naming
  what to check.

  When the project's Python interpreter does not exist yet, this task says so itself
  (the fix is `mix snakebridge.setup`); otherwise it is a thin shell over the Python
  command `snakebridge doctor`.
  """
  use Mix.Task

  alias SnakeBridge.Config

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    config = Config.load!()
    {live, argv} = split_argv(argv)
    {section, ok?} = crash_barrier(config, live)

    if File.exists?(config.python) do
      payload = Mix.Tasks.Snakebridge.Verify.bindings_payload(config)

      try do
        SnakeBridge.CLIPort.run_task("doctor", argv, payload)
      after
        print(section)
      end

      unless ok?, do: exit({:shutdown, 1})
      :ok
    else
      shell = Mix.shell()
      shell.info("SnakeBridge doctor: #{config.root}")
      shell.info("")

      shell.error(
        "  [fail] Python: #{config.python} does not exist (#{source(config.python_source)})"
      )

      shell.info("         fix: mix snakebridge.setup")

      for lib <- config.libraries do
        shell.info(
          "  [ -- ] #{lib.name} #{lib.version || if(lib.local, do: "(local)", else: "(stdlib)")}: " <>
            "not checked without Python"
        )
      end

      print(section)
      exit({:shutdown, 1})
    end
  end

  @doc false
  # --node and --cookie are this task's; everything else goes to the Python doctor.
  @spec split_argv([String.t()]) :: {keyword, [String.t()]}
  def split_argv(argv), do: live_options(argv, [])

  defp live_options(["--node", name | rest], acc), do: put_live(:node, name, rest, acc)
  defp live_options(["--cookie", cookie | rest], acc), do: put_live(:cookie, cookie, rest, acc)
  defp live_options(["--node=" <> name | rest], acc), do: put_live(:node, name, rest, acc)
  defp live_options(["--cookie=" <> cookie | rest], acc), do: put_live(:cookie, cookie, rest, acc)
  defp live_options([arg | rest], acc), do: live_options(rest, [arg | acc])
  defp live_options([], acc), do: {[], Enum.reverse(acc)}

  defp put_live(key, value, rest, acc) do
    {live, argv} = live_options(rest, acc)
    {Keyword.put(live, key, value), argv}
  end

  defp crash_barrier(config, live) do
    case live[:node] do
      nil ->
        {SnakeBridge.Circuits.doctor_lines(config), true}

      name ->
        case live_section(name, live[:cookie]) do
          {:ok, lines} ->
            {SnakeBridge.Circuits.doctor_lines(config, {name, lines}), true}

          {:error, message} ->
            {SnakeBridge.Circuits.doctor_lines(config, {name, ["  [fail] " <> message]}), false}
        end
    end
  end

  @doc """
  The live part of the crash-barrier section: connects this VM to node `name` (making it
  a distributed node first if needed, with `cookie` when given) and reads the circuits
  there. `{:ok, lines}` or `{:error, message}` naming what to check.
  """
  @spec live_section(String.t(), String.t() | nil) :: {:ok, [String.t()]} | {:error, String.t()}
  def live_section(name, cookie) do
    with {:ok, node, host} <- node_name(name),
         :ok <- distribute(host),
         :ok <- set_cookie(node, cookie),
         :ok <- connect(node, cookie) do
      SnakeBridge.Circuits.live_lines(node)
    end
  end

  defp node_name(name) do
    case String.split(name, "@") do
      [short, host] when short != "" and host != "" -> {:ok, String.to_atom(name), host}
      _ -> {:error, "--node #{name}: a node name is name@host, like py1@host-a"}
    end
  end

  defp distribute(host) do
    if Node.alive?() do
      :ok
    else
      # Long names when the target's host is a full name or an address, as it must match.
      long? = String.contains?(host, ".")
      base = "snakebridge_doctor_#{System.pid()}"
      # A loopback target is reached from a node named on the same loopback host.
      name = if long? and loopback?(host), do: :"#{base}@#{host}", else: String.to_atom(base)

      case Node.start(name, if(long?, do: :longnames, else: :shortnames)) do
        {:ok, _} ->
          :ok

        {:error, reason} ->
          {:error,
           "could not make this VM a distributed node to reach #{host} " <>
             "(#{inspect(reason)}); start epmd (`epmd -daemon`), or run the doctor as a named " <>
             "node: `elixir --sname doctor -S mix snakebridge.doctor --node ...`"}
      end
    end
  end

  defp loopback?(host) do
    case :inet.getaddr(String.to_charlist(host), :inet) do
      {:ok, {127, _, _, _}} -> true
      _ -> false
    end
  end

  defp set_cookie(_node, nil), do: :ok
  defp set_cookie(node, cookie), do: Node.set_cookie(node, String.to_atom(cookie)) && :ok

  defp connect(node, cookie) do
    if Node.connect(node) == true do
      :ok
    else
      {:error,
       "node #{node} cannot be reached from #{node()}: check that it runs, that its host's " <>
         "epmd is reachable, and that it uses the same cookie (" <>
         if(cookie, do: "--cookie was given", else: "this VM's is ~/.erlang.cookie; pass --cookie") <>
         ")"}
    end
  end

  defp print(lines) do
    Mix.shell().info("")
    Enum.each(lines, &Mix.shell().info/1)
  end

  defp source(:env), do: "from SNAKEBRIDGE_PYTHON"
  defp source(:config), do: "from `python:` in mix.exs"
  defp source(:default), do: "the managed environment"
end
