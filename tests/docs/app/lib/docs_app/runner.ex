defmodule DocsApp.Runner do
  @moduledoc """
  Runs the Elixir examples of the documentation, page by page, in this app's VM: the
  same generated bindings, pool and workers a user's app has.

  The input (written by `tests/docs/test_docs.py`) is a list of pages, each
  `%{"page" => "docs/guides/values.md", "blocks" => [block]}` with a block
  `%{"line" => fence_line, "kind" => kind, "code" => source}`. What each kind means is
  documented for writers in docs/guides/README.md:

    * `"run"`: evaluated top-level expression by top-level expression. The blocks of a
      page run in order in one process, so later blocks see the variables, aliases and
      imports of earlier ones and the refs of their session; each page starts afresh. A
      `#=>` comment after an expression is what that expression must give (see
      `DocsApp.Expect`).
    * `"mix.exs"`: a `def project do ... end` fragment. It is compiled, and the
      `snakebridge:` entry it returns must be accepted by `SnakeBridge.Config.load/3`.
    * `"illustrative"`: not run, but it must parse.

  The output is one result per block, in input order:
  `%{"page", "line", "ok" => boolean, "message" => text}`.
  """

  alias DocsApp.Expect

  # One block may call a cold worker several times on a loaded machine.
  @block_timeout 180_000

  @doc "Entry point: `mix run -e 'DocsApp.Runner.main([input, output])'`."
  def main([input, output]) do
    pages = input |> File.read!() |> :erlang.binary_to_term()
    results = Enum.flat_map(pages, &run_page/1)
    File.write!(output, :erlang.term_to_binary(results))
  end

  @doc """
  Runs one page's blocks in a fresh process (its own session) and returns their results.
  A block that does not finish within the timeout fails, and so do the page's later
  blocks, which may depend on it.
  """
  def run_page(%{"page" => page, "blocks" => blocks}) do
    parent = self()
    tag = make_ref()

    {pid, monitor} =
      spawn_monitor(fn ->
        Enum.reduce(blocks, {[], Code.env_for_eval(file: page)}, fn block, state ->
          {result, state} = run_block(page, block, state)
          send(parent, {tag, result})
          state
        end)
      end)

    results = collect(blocks, page, tag, pid, monitor, [])
    Process.demonitor(monitor, [:flush])
    results
  end

  defp collect([], _page, _tag, _pid, _monitor, acc), do: Enum.reverse(acc)

  defp collect([block | rest] = blocks, page, tag, pid, monitor, acc) do
    receive do
      {^tag, result} ->
        collect(rest, page, tag, pid, monitor, [result | acc])

      {:DOWN, ^monitor, :process, ^pid, reason} ->
        finish(blocks, page, "the page's process exited: #{inspect(reason)}", acc)
    after
      @block_timeout ->
        Process.exit(pid, :kill)

        message =
          "did not finish within #{div(@block_timeout, 1000)} s (this block or an earlier one)"

        finish([block | rest], page, message, acc)
    end
  end

  defp finish(blocks, page, message, acc) do
    Enum.reverse(acc) ++ Enum.map(blocks, &result(page, &1, {:error, message}))
  end

  defp result(page, %{"line" => line}, outcome) do
    case outcome do
      :ok -> %{"page" => page, "line" => line, "ok" => true, "message" => ""}
      {:error, message} -> %{"page" => page, "line" => line, "ok" => false, "message" => message}
    end
  end

  # -- one block -------------------------------------------------------------------

  defp run_block(page, %{"kind" => kind, "code" => code} = block, state) do
    # Line numbers in messages are the Markdown file's: the code starts below the fence.
    first_line = block["line"] + 1

    {outcome, state} =
      case kind do
        "run" -> run_code(code, page, first_line, state)
        "mix.exs" -> {check_project(code, page, first_line), state}
        "illustrative" -> {parses(code, page, first_line), state}
      end

    {result(page, block, outcome), state}
  end

  defp parses(code, page, line) do
    case Code.string_to_quoted(code, file: page, line: line) do
      {:ok, _} -> :ok
      {:error, error} -> {:error, syntax_error(page, error)}
    end
  end

  defp syntax_error(page, {meta, message, token}) do
    message = if is_binary(message), do: message, else: inspect(message)
    "#{page}:#{meta[:line]}: syntax error: #{message}#{token}"
  end

  defp run_code(code, page, line, {binding, env}) do
    case Code.string_to_quoted_with_comments(code, file: page, line: line, columns: true) do
      {:error, error} ->
        {{:error, syntax_error(page, error)}, {binding, env}}

      {:ok, quoted, comments} ->
        expressions = top_level(quoted)

        case Expect.attach(expressions, comments) do
          {:error, {comment_line, message}} ->
            {{:error, "#{page}:#{comment_line}: #{message}"}, {binding, env}}

          {:ok, steps} ->
            run_steps(steps, page, {binding, env})
        end
    end
  end

  defp top_level({:__block__, _, expressions}), do: expressions
  defp top_level(expression), do: [expression]

  defp run_steps([], _page, state), do: {:ok, state}

  defp run_steps([{expression, expected} | rest], page, {binding, env} = state) do
    line = Expect.first_line(expression)

    outcome =
      try do
        {:value, Code.eval_quoted_with_env(expression, binding, env)}
      catch
        kind, reason -> {:raised, kind, reason, __STACKTRACE__}
      end

    case {outcome, expected} do
      {{:value, {_value, binding, env}}, nil} ->
        run_steps(rest, page, {binding, env})

      {{:value, {value, binding, env}}, {expected_line, text}} ->
        case Expect.compare(text, value) do
          :ok ->
            run_steps(rest, page, {binding, env})

          {:error, message} ->
            {{:error, "#{page}:#{expected_line}: #{message}"}, {binding, env}}
        end

      {{:raised, kind, reason, stack}, {expected_line, text}} ->
        case Expect.compare_raised(text, kind, reason) do
          :ok ->
            run_steps(rest, page, state)

          {:error, message} ->
            {{:error, "#{page}:#{expected_line}: #{message}\n" <> format(kind, reason, stack)},
             state}
        end

      {{:raised, kind, reason, stack}, nil} ->
        {{:error, "#{page}:#{line}: raised\n" <> format(kind, reason, stack)}, state}
    end
  end

  defp format(kind, reason, stack) do
    # The frames below the example are the runner's own.
    stack = Enum.take_while(stack, fn {module, _, _, _} -> module != __MODULE__ end)
    Exception.format(kind, reason, stack)
  end

  # -- mix.exs fragments ---------------------------------------------------------

  defp check_project(code, page, line) do
    module = Module.concat(DocsApp.Snippet, "Project#{line}")

    with {:ok, quoted} <- quoted(code, page, line),
         {:ok, project} <- compile_project(module, quoted, page, line) do
      case SnakeBridge.Config.load(project, File.cwd!(), %{}) do
        {:ok, _config} ->
          :ok

        {:error, message} ->
          {:error, "#{page}:#{line}: SnakeBridge.Config refuses it: #{message}"}
      end
    end
  end

  defp quoted(code, page, line) do
    case Code.string_to_quoted(code, file: page, line: line) do
      {:ok, quoted} -> {:ok, quoted}
      {:error, error} -> {:error, syntax_error(page, error)}
    end
  end

  defp compile_project(module, quoted, page, line) do
    Code.eval_quoted(quote(do: defmodule(unquote(module), do: unquote(quoted))), [], file: page)

    if function_exported?(module, :project, 0) do
      {:ok, module.project()}
    else
      {:error, "#{page}:#{line}: a mix.exs example must define project/0"}
    end
  rescue
    error -> {:error, "#{page}:#{line}: does not compile: " <> Exception.message(error)}
  end
end
