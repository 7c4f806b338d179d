defmodule SnakeBridge.Scanner do
  @moduledoc """
  Finds every static call into a declared Python library in Elixir source.

  Uses Elixir's own parser (`Code.string_to_quoted/2`), so what it sees is exactly what
  the compiler will see; `SnakeBridge.Scanner.Walker` resolves aliases, imports, pipes
  and captures. A detection is a map:

      %{module: "Numpy.Linalg", function: "solve", arity: 2,
        file: "lib/a.ex", line: 3, column: 12}

  `function` never carries the bang: `Numpy.mean!(x)` is `mean/1` (the generator emits
  both variants). A call written with a qualified name that ends with a literal keyword
  list also has `keywords:`, the names in it (`Numpy.mean(x, axis: 0)` → `["axis"]`),
  which the pre-pass checks against the binding (`SnakeBridge.Scanner.Bindings`). Not detected, by design: calls inside `quote`, `apply/3`, modules
  computed at runtime — those go through `SnakeBridge.call/4` and the ledger.

  A library module the code names as an exception (`rescue Numpy.Linalg.LinAlgError`,
  `%Numpy.Linalg.LinAlgError{}`, `raise`, see `SnakeBridge.Scanner.Walker`) is the
  detection of its `exception/1` (which every Elixir exception module defines), marked
  `exception: true`: the generator writes that module as a `defexception` of the Python
  exception class.
  """

  alias SnakeBridge.Scanner.Walker

  @type detection :: %{
          required(:module) => String.t(),
          required(:function) => String.t(),
          required(:arity) => non_neg_integer,
          required(:file) => String.t() | nil,
          required(:line) => pos_integer | nil,
          required(:column) => pos_integer | nil,
          optional(:keywords) => [String.t()],
          optional(:exception) => true
        }

  @type finding ::
          {:call, String.t(), String.t(), non_neg_integer, pos_integer | nil, pos_integer | nil,
           [String.t()] | nil}
          | {:import_all, String.t(), String.t(), non_neg_integer, pos_integer | nil,
             pos_integer | nil, [String.t()], atom}
          | {:defines, String.t()}
          | {:exception, String.t(), pos_integer | nil, pos_integer | nil}

  @type parse_error :: %{line: pos_integer, column: pos_integer | nil, message: String.t()}

  @doc """
  Scans one source string. `roots` are the library root modules (`["Numpy", "Sympy"]`).

  Returns raw findings (see `SnakeBridge.Scanner.Walker`): these are what the per-file
  cache stores, because whether an unqualified call under `import Numpy` is Numpy's
  depends on other modules and is settled by `resolve/2`.
  """
  @spec findings(String.t(), [String.t()], String.t()) ::
          {:ok, [finding]} | {:error, parse_error}
  def findings(source, roots, file \\ "nofile") do
    if roots == [] or not mentions?(source, roots) do
      # No root module name appears in the text, so no alias or import can reach one.
      {:ok, []}
    else
      case Code.string_to_quoted(source,
             file: file,
             columns: true,
             emit_warnings: false,
             warn_on_unnecessary_quotes: false
           ) do
        {:ok, ast} -> {:ok, Walker.walk(ast, roots, keywords: true)}
        {:error, error} -> {:error, parse_error(error)}
      end
    end
  end

  @doc "Scans one source string and resolves it: the detections of a single file."
  @spec scan_source(String.t(), [String.t()], String.t()) ::
          {:ok, [detection]} | {:error, parse_error}
  def scan_source(source, roots, file \\ "nofile") do
    with {:ok, findings} <- findings(source, roots, file) do
      {:ok, resolve([{file, findings}])}
    end
  end

  @doc """
  Turns per-file findings into detections, sorted by file, line, column.

  An unqualified call under a wholesale `import` of a library module counts unless one
  of the other modules imported wholesale in that scope is loaded and exports the same
  name and arity (`exports` may be given to decide that without loading code).
  """
  @spec resolve([{String.t(), [finding]}], (String.t(), atom, non_neg_integer -> boolean)) ::
          [detection]
  def resolve(files, exports \\ &exported?/3) do
    defined =
      for {_file, findings} <- files,
          {:defines, module} <- findings,
          into: MapSet.new(),
          do: module

    # Files come sorted; sorting within each file is enough (and cheap).
    files
    |> Enum.sort_by(&elem(&1, 0))
    |> Enum.flat_map(fn {file, findings} ->
      findings
      |> Enum.flat_map(fn finding ->
        case detection(finding, file, exports) do
          nil -> []
          detection -> if MapSet.member?(defined, detection.module), do: [], else: [detection]
        end
      end)
      |> Enum.sort_by(&{&1.line, &1.column, &1.module, &1.function, &1.arity})
      |> Enum.dedup()
    end)
  end

  defp detection({:call, module, fun, arity, line, column, keywords}, file, _exports) do
    detection = %{
      module: module,
      function: fun,
      arity: arity,
      file: file,
      line: line,
      column: column
    }

    if keywords == nil, do: detection, else: Map.put(detection, :keywords, keywords)
  end

  defp detection({:defines, _module}, _file, _exports), do: nil

  defp detection({:exception, module, line, column}, file, _exports) do
    %{
      module: module,
      function: "exception",
      arity: 1,
      file: file,
      line: line,
      column: column,
      exception: true
    }
  end

  defp detection({:import_all, module, fun, arity, line, column, blockers, called}, file, exports) do
    if Enum.any?(blockers, &exports.(&1, called, arity)) do
      nil
    else
      %{module: module, function: fun, arity: arity, file: file, line: line, column: column}
    end
  end

  # `fun` is the name as called (bang included): the blocker must define exactly that.
  @doc false
  def exported?(module, fun, arity) do
    mod = Module.concat([module])

    Code.ensure_loaded?(mod) and
      (function_exported?(mod, fun, arity) or macro_exported?(mod, fun, arity))
  end

  defp mentions?(source, roots) do
    :binary.match(source, roots) != :nomatch
  end

  defp parse_error({meta, message, token}) do
    {line, column} =
      case meta do
        line when is_integer(line) -> {line, nil}
        meta when is_list(meta) -> {Keyword.get(meta, :line, 1), Keyword.get(meta, :column)}
        _ -> {1, nil}
      end

    message =
      case message do
        {prefix, suffix} -> IO.iodata_to_binary([prefix, token, suffix])
        message -> IO.iodata_to_binary([message, token])
      end

    %{line: line, column: column, message: String.trim(message)}
  end
end
