defmodule SnakeBridge.Scanner.Bindings do
  @moduledoc """
  Which bindings the committed generated source defines, read from the source itself.

  The pre-pass needs to know whether `Numpy.Linalg.solve/2` already has a binding
  without starting Python and without reading JSON (the manifest is Python's), so it
  parses `lib/snakebridge_generated/*.ex` with Elixir's parser and collects the public
  functions of every (nested) module. A detection is covered when the generated source
  defines that module, function and arity.
  """

  alias SnakeBridge.Runtime.Args
  alias SnakeBridge.Scanner.Defs

  @type binding :: {module :: String.t(), function :: String.t(), arity :: non_neg_integer}

  @doc "Every `.ex` file under the generated directory, relative to the root."
  @spec files(String.t(), String.t()) :: [String.t()]
  def files(root, generated_dir) do
    # A plain directory walk: cheaper than `Path.wildcard/1` on a no-op compile.
    root |> Path.join(generated_dir) |> ex_files(generated_dir) |> Enum.sort()
  end

  defp ex_files(dir, rel) do
    case File.ls(dir) do
      {:ok, names} ->
        Enum.flat_map(names, fn name ->
          path = Path.join(dir, name)

          cond do
            String.starts_with?(name, ".") -> []
            String.ends_with?(name, ".ex") and File.regular?(path) -> [Path.join(rel, name)]
            File.dir?(path) -> ex_files(path, Path.join(rel, name))
            true -> []
          end
        end)

      {:error, _} ->
        []
    end
  end

  @doc """
  The bindings one generated source defines, or `{:error, message}` when it does not
  parse (someone edited it by hand, or a merge left conflict markers).
  """
  @spec parse(String.t(), String.t()) :: {:ok, [binding]} | {:error, String.t()}
  def parse(source, file) do
    case Code.string_to_quoted(source, file: file, emit_warnings: false) do
      {:ok, ast} ->
        {:ok, ast |> modules(nil, []) |> Enum.sort()}

      {:error, {meta, message, token}} ->
        line = if is_list(meta), do: Keyword.get(meta, :line, 1), else: meta
        {:error, "line #{line}: #{IO.iodata_to_binary([format(message), token])}"}
    end
  end

  defp format({prefix, suffix}), do: [prefix, suffix]
  defp format(message), do: message

  defp modules(ast, outer, acc) do
    Enum.reduce(Defs.statements(ast), acc, fn
      {:defmodule, _, [{:__aliases__, _, segments}, [{:do, body} | _]]}, acc ->
        name =
          Enum.join(
            if(outer, do: [outer], else: []) ++ Enum.map(segments, &Atom.to_string/1),
            "."
          )

        acc =
          for {fun, arity} <- Defs.in_body(body, public: true), reduce: acc do
            acc -> [{name, Atom.to_string(fun), arity} | acc]
          end

        modules(body, name, acc)

      _other, acc ->
        acc
    end)
  end

  @doc """
  Unknown keywords, and required parameters a keyword list was meant to name but does
  not, at call sites, without Python (strict mode): for each detection
  carrying `keywords:` (the literal keyword names its call ends with), the generated
  descriptor of its binding decides, through `SnakeBridge.Runtime.Args`, the same
  check a call makes at run time. Returns `%{file, line, column, message}` maps.
  """
  @spec keyword_errors([map], String.t(), String.t()) :: [map]
  def keyword_errors(detections, root, generated_dir) do
    case Enum.filter(detections, &match?([_ | _], Map.get(&1, :keywords))) do
      [] ->
        []

      checked ->
        known = root |> files(generated_dir) |> Enum.reduce(%{}, &read_descriptors(root, &1, &2))

        for d <- checked,
            {descriptor, arities} <- [Map.get(known, {d.module, d.function})],
            d.arity in arities,
            message = unknown_keywords(descriptor, arities, d.arity, d.keywords),
            message != nil do
          %{file: d.file, line: d.line, column: Map.get(d, :column), message: message}
        end
    end
  end

  defp read_descriptors(root, rel, acc) do
    with {:ok, source} <- File.read(Path.join(root, rel)),
         {:ok, ast} <- Code.string_to_quoted(source, file: rel, emit_warnings: false) do
      descriptors(ast, nil, acc)
    else
      _ -> acc
    end
  end

  defp descriptors(ast, outer, acc) do
    Enum.reduce(Defs.statements(ast), acc, fn
      {:defmodule, _, [{:__aliases__, _, segments}, [{:do, body} | _]]}, acc ->
        name = Enum.join(List.wrap(outer) ++ Enum.map(segments, &Atom.to_string/1), ".")
        defs = Defs.in_body(body, public: true)

        acc =
          for {:def, _, [head, [do: call]]} <- Defs.statements(body),
              [{fun, _} | _] <- [Defs.head_arities(head)],
              pairs when is_list(pairs) <- [descriptor(call)],
              reduce: acc do
            acc ->
              arities = for {f, a} <- defs, f == fun, do: a
              Map.put(acc, {name, Atom.to_string(fun)}, {Map.new(pairs), Enum.sort(arities)})
          end

        descriptors(body, name, acc)

      _other, acc ->
        acc
    end)
  end

  # The descriptor a generated function hands to the runtime: the map literal among the
  # arguments of its one call (`SnakeBridge.Runtime.call(%{...}, args, opts)`).
  defp descriptor({{:., _, [{:__aliases__, _, [:SnakeBridge, :Runtime]}, _]}, _, args})
       when is_list(args) do
    Enum.find_value(args, fn
      {:%{}, _, pairs} -> if Keyword.keyword?(pairs), do: pairs
      _ -> nil
    end)
  end

  defp descriptor(_other), do: nil

  # The call as the generated function would hand it to the runtime (placeholders for
  # the values), shaped by Args: its unknown-keyword or missing-required error, if any.
  # At the full arity the keyword list is `opts`; below it the wrapper passes `opts` as
  # left out, and a flexible one (optional positionals or `*args`) takes a keyword list
  # after its required arguments as `opts` itself (`Args.split_varargs/2`).
  defp unknown_keywords(descriptor, arities, arity, keywords) do
    kw = Enum.map(keywords, &{String.to_atom(&1), nil})
    hole = fn n -> List.duplicate(:value, max(n, 0)) end
    ref = if Map.get(descriptor, :call_type) == :method, do: 1, else: 0
    required = ref + Map.get(descriptor, :required, 0)

    flexible =
      Map.get(descriptor, :varargs) == true or
        length(Map.get(descriptor, :positional, [])) > Map.get(descriptor, :required, 0)

    {args, opts} =
      cond do
        arity == List.last(arities) -> {hole.(arity - 1), kw}
        flexible and arity > required -> Args.split_varargs(hole.(arity - 1), [kw])
        true -> {hole.(arity - 1) ++ [kw], Args.python_default()}
      end

    case Args.shape(descriptor, args, opts) do
      {:error, "unknown keyword" <> _ = message} -> message
      {:error, "missing required" <> _ = message} -> message
      _ -> nil
    end
  end
end
