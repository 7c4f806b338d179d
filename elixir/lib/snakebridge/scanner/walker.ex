defmodule SnakeBridge.Scanner.Walker do
  @moduledoc """
  Walks one file's AST and collects every static call into a declared library.

  Resolution follows Elixir's own lexical rules (see `SnakeBridge.Scanner.Env`): remote
  calls through full names and aliases, unqualified calls through imports (local
  functions win), pipes add the piped argument, captures carry their arity. Calls inside
  `quote` are not followed (they run in someone else's module at expansion time), nor
  are `apply/3` and modules computed at runtime: those go through `SnakeBridge.call/4`.

  Results are accumulated as:

    * `{:call, module, function, arity, line, column}` — a definite library call; with
      `keywords: true`, `{:call, module, function, arity, line, column, keywords}`,
      `keywords` the names of the literal keyword list the call ends with
      (`Numpy.mean(x, axis: 0)` → `["axis"]`, runtime options under `snakebridge:` not
      counted), or `nil` when it ends otherwise
    * `{:import_all, module, function, arity, line, column, blockers, called}` — an
      unqualified call (`called` is the name as written, bang included) that is a library
      call only if none of the `blockers` (other modules imported wholesale in the same
      scope) defines it; `SnakeBridge.Scanner` settles it.
    * `{:defines, module}` — the file defines a module inside a library's namespace
      (`defmodule Numpy.MyHelpers`); calls to it are the project's, not Python's.
    * `{:exception, module, line, column}` — the code names a library module as an
      exception: `rescue Numpy.Linalg.LinAlgError`, `rescue e in [Sympy.PolynomialError]`,
      a struct `%Numpy.Linalg.LinAlgError{}` (in a pattern or an expression, function
      heads included), `raise`/`reraise`/`assert_raise` with it first, or
      `is_exception(e, Numpy.Linalg.LinAlgError)`. Such a module must be an exception
      module, which only the generator can write.
  """

  alias SnakeBridge.Scanner.{Defs, Env}

  @kernel for(
            mod <- [Kernel, Kernel.SpecialForms],
            kind <- [:functions, :macros],
            {name, arity} <- mod.__info__(kind),
            into: MapSet.new(),
            do: {name, arity}
          )
          |> MapSet.union(
            MapSet.new(
              for name <- [:when, :"::", :->, :\\, :|, :<-, :__cursor__, :super],
                  arity <- 0..3,
                  do: {name, arity}
            )
          )

  # Special forms are never imported from anywhere, whatever their arity.
  @special_forms for(
                   {name, _} <- Kernel.SpecialForms.__info__(:macros),
                   into: MapSet.new(),
                   do: name
                 )
                 |> MapSet.union(MapSet.new([:{}, :%{}, :<<>>, :__block__, :__aliases__]))

  @def_kinds Defs.def_kinds()

  @module_kinds [:defmodule, :defprotocol]
  # Calls whose argument at this index names an exception module.
  @exception_args %{raise: 0, reraise: 0, assert_raise: 0, is_exception: 1}
  @typespec_attrs [:spec, :type, :typep, :opaque, :callback, :macrocallback]

  @doc """
  Walks `ast` with the library `roots`; returns the raw findings in source order.
  Option `keywords: true` adds the literal keyword names to each `:call` finding.
  """
  @spec walk(Macro.t(), [String.t()], keyword) :: [tuple]
  def walk(ast, roots, opts \\ []) do
    env = %{Env.new(roots) | keywords: Keyword.get(opts, :keywords, false)}
    {_env, acc} = node(ast, env, [])
    Enum.reverse(acc)
  end

  # -- sequencing: only statements in the same block see each other's alias/import --

  defp node({:__block__, _, exprs}, env, acc) when is_list(exprs) do
    Enum.reduce(exprs, {env, acc}, fn expr, {env, acc} -> node(expr, env, acc) end)
  end

  # -- modules ------------------------------------------------------------------------

  defp node({kind, _, [name_ast, [{:do, body} | _]]}, env, acc) when kind in @module_kinds do
    {full, outer} = module_name(name_ast, env)
    inner_env = module_env(env, full, body)
    # The project's own module under a library's namespace is not a Python binding.
    acc = if Env.library?(full, env), do: [{:defines, full} | acc], else: acc
    {_, acc} = node(body, inner_env, acc)
    {outer, acc}
  end

  defp node({:defimpl, _, [proto | rest]}, env, acc) do
    {opts, body} =
      case rest do
        [opts, [{:do, body} | _]] -> {opts, body}
        [opts] when is_list(opts) -> {opts, Keyword.get(opts, :do)}
        _ -> {[], nil}
      end

    proto_name = Env.expand(proto, env) || "Protocol"

    full =
      case Keyword.get(opts, :for) do
        nil -> Enum.join([proto_name, env.module || "Any"], ".")
        target -> Enum.join([proto_name, Env.expand(target, env) || "Any"], ".")
      end

    {_, acc} = node(body, module_env(env, full, body), acc)
    {env, acc}
  end

  # -- definitions: the head is not a call; the body is a new scope -------------------

  defp node({:defdelegate, meta, [head, opts]}, env, acc) when is_list(opts) do
    acc = delegate(head, opts, meta, env, acc)
    {_, acc} = node(opts, env, acc)
    {env, acc}
  end

  defp node({kind, _, [head | body]}, env, acc) when kind in @def_kinds do
    acc = head_defaults(head, env, acc)
    acc = head_structs(head, env, acc)
    {_, acc} = node(body, env, acc)
    {env, acc}
  end

  # -- environment changes --------------------------------------------------------------

  defp node({:alias, _, [target | opts]}, env, acc) do
    {alias_target(target, List.first(opts) || [], env), acc}
  end

  defp node({:require, _, [target, opts]}, env, acc) when is_list(opts) do
    case {Env.expand(target, env), Keyword.get(opts, :as)} do
      {full, {:__aliases__, _, [short]}} when is_binary(full) ->
        {Env.put_alias(env, short, full), acc}

      _ ->
        {env, acc}
    end
  end

  defp node({:import, _, [target | opts]}, env, acc) do
    {import_target(target, List.first(opts) || [], env), acc}
  end

  # `use X` usually imports X (and, for ExUnit.Case, the assertion and callback modules):
  # count them as wholesale imports, so `assert` under `import Numpy` stays ExUnit's.
  defp node({:use, _, [target | opts]}, env, acc) do
    acc = walk_all(opts, env, acc)

    case Env.expand(target, env) do
      nil ->
        {env, acc}

      module ->
        env =
          module
          |> used_imports()
          |> Enum.reject(&Env.library?(&1, env))
          |> Enum.reduce(env, fn mod, env ->
            Env.put_import(env, %{module: mod, library: false, only: nil, except: MapSet.new()})
          end)

        {env, acc}
    end
  end

  # -- not followed, by design ---------------------------------------------------------

  defp node({:quote, _, _}, env, acc), do: {env, acc}

  defp node({:@, _, [{name, _, args}]}, env, acc) when is_atom(name) do
    cond do
      name in @typespec_attrs -> {env, acc}
      is_list(args) -> {env, walk_all(args, env, acc)}
      true -> {env, acc}
    end
  end

  # Binary segments: `x::size(8)` — the type side holds modifiers, not calls.
  defp node({:<<>>, _, segments}, env, acc) when is_list(segments) do
    acc =
      Enum.reduce(segments, acc, fn
        {:"::", _, [expr, _type]}, acc -> walk_one(expr, env, acc)
        expr, acc -> walk_one(expr, env, acc)
      end)

    {env, acc}
  end

  # -- exception modules ----------------------------------------------------------------

  # The `rescue` clauses of a `try`, or of a function body (`def f do ... rescue ... end`).
  defp node({:rescue, [{:->, _, [_, _]} | _] = clauses}, env, acc) do
    acc =
      Enum.reduce(clauses, acc, fn
        {:->, _, [[pattern], body]}, acc ->
          acc = pattern |> rescued() |> Enum.reduce(acc, &exception_ref(&1, env, &2))
          walk_one(body, env, acc)

        other, acc ->
          walk_one(other, env, acc)
      end)

    {env, acc}
  end

  defp node({:%, _, [target, {:%{}, _, fields}]}, env, acc) when is_list(fields) do
    {env, walk_all(fields, env, exception_ref(target, env, acc))}
  end

  defp node({name, meta, args}, env, acc)
       when is_map_key(@exception_args, name) and is_list(args) and args != [] do
    acc =
      case Enum.at(args, Map.fetch!(@exception_args, name)) do
        {:__aliases__, _, _} = target -> exception_ref(target, env, acc)
        _ -> acc
      end

    call(name, args, meta, env, acc, 0)
  end

  # -- pipes and captures ---------------------------------------------------------------

  defp node({:|>, _, [left, right]}, env, acc) do
    acc = walk_one(left, env, acc)

    case right do
      {{:., _, [_, _]} = dot, meta, args} when is_list(args) ->
        remote(dot, meta, args, env, acc, 1)

      {name, meta, args} when is_atom(name) and is_list(args) ->
        {env, acc} = call(name, args, meta, env, acc, 1)
        {env, acc}

      {name, meta, ctx} when is_atom(name) and is_atom(ctx) ->
        call(name, [], meta, env, acc, 1)

      other ->
        {env, walk_one(other, env, acc)}
    end
  end

  defp node({:&, _, [{:/, _, [callee, arity]}]}, env, acc) when is_integer(arity) do
    case callee do
      {{:., meta, [target, fun]}, _, []} when is_atom(fun) ->
        {env, found(Env.library_target(target, env), fun, arity, meta, env, acc, nil)}

      {name, meta, ctx} when is_atom(name) and (is_atom(ctx) or ctx == []) ->
        {env, local(name, arity, meta, env, acc, nil)}

      _ ->
        {env, acc}
    end
  end

  # -- calls ----------------------------------------------------------------------------

  defp node({{:., _, [_, fun]} = dot, meta, args}, env, acc)
       when is_atom(fun) and is_list(args) do
    remote(dot, meta, args, env, acc, 0)
  end

  defp node({{:., _, _} = dot, _meta, args}, env, acc) when is_list(args) do
    {env, walk_all([dot | args], env, acc)}
  end

  defp node({:->, _, [params, body]}, env, acc) do
    acc = walk_one(params, env, acc)
    {env, walk_one(body, env, acc)}
  end

  defp node({name, meta, args}, env, acc) when is_atom(name) and is_list(args) do
    call(name, args, meta, env, acc, 0)
  end

  defp node({name, _meta, ctx}, env, acc) when is_atom(name) and is_atom(ctx), do: {env, acc}

  defp node({left, right}, env, acc) do
    {env, acc |> then(&walk_one(left, env, &1)) |> then(&walk_one(right, env, &1))}
  end

  defp node(list, env, acc) when is_list(list), do: {env, walk_all(list, env, acc)}

  defp node({fun, _meta, args}, env, acc) when is_list(args) do
    {env, walk_all([fun | args], env, acc)}
  end

  defp node(_literal, env, acc), do: {env, acc}

  # -- helpers --------------------------------------------------------------------------

  defp walk_one(ast, env, acc) do
    {_, acc} = node(ast, env, acc)
    acc
  end

  defp walk_all(list, env, acc), do: Enum.reduce(list, acc, &walk_one(&1, env, &2))

  defp remote({:., dot_meta, [target, fun]}, meta, args, env, acc, extra) do
    # Report where the expression starts (the module alias), as an editor would mark it.
    meta =
      case target do
        {:__aliases__, alias_meta, _} -> if(alias_meta[:line], do: alias_meta, else: meta)
        _ -> if Keyword.has_key?(meta, :line), do: meta, else: dot_meta
      end

    acc =
      Env.library_target(target, env)
      |> found(fun, length(args) + extra, meta, env, acc, literal_keywords(args))

    acc = if match?({:__aliases__, _, _}, target), do: acc, else: walk_one(target, env, acc)
    {env, walk_all(args, env, acc)}
  end

  defp found(module, fun, arity, meta, env, acc, keywords) do
    if Env.library?(module, env) do
      [call_finding(module, strip_bang(fun), arity, meta, env, keywords) | acc]
    else
      acc
    end
  end

  defp call_finding(module, fun, arity, meta, %{keywords: true}, keywords),
    do: {:call, module, fun, arity, meta[:line], meta[:column], keywords}

  defp call_finding(module, fun, arity, meta, _env, _keywords),
    do: {:call, module, fun, arity, meta[:line], meta[:column]}

  # `f(x, axis: 0)`: the call's last argument is a literal keyword list.
  defp literal_keywords(args) do
    case List.last(args) do
      [_ | _] = last ->
        if Enum.all?(last, &match?({key, _} when is_atom(key), &1)),
          do: for({key, _} <- last, key != :snakebridge, do: Atom.to_string(key))

      _ ->
        nil
    end
  end

  defp call(name, args, meta, env, acc, extra) do
    acc = local(name, length(args) + extra, meta, env, acc, literal_keywords(args))
    {env, walk_all(args, env, acc)}
  end

  # An unqualified call: a local function wins; then an import that names it (`only:`);
  # then a wholesale import of a library, unless Kernel or another wholesale import
  # could be the one that provides it.
  defp local(name, arity, meta, env, acc, keywords) do
    key = {name, arity}

    cond do
      env.imports == [] -> acc
      MapSet.member?(env.locals, key) -> acc
      true -> imported(key, meta, env, acc, keywords)
    end
  end

  defp imported({name, arity} = key, meta, env, acc, keywords) do
    case explicit(env.imports, key) do
      module when is_binary(module) ->
        [call_finding(module, strip_bang(name), arity, meta, env, keywords) | acc]

      nil ->
        # Most unqualified calls are Kernel's (`elem`, `is_list`, `if`): settle those first.
        if MapSet.member?(@kernel, key) or MapSet.member?(@special_forms, name) do
          acc
        else
          case wholesale(env.imports, key, nil, []) do
            {nil, _blockers} ->
              acc

            {module, blockers} ->
              [
                {:import_all, module, strip_bang(name), arity, meta[:line], meta[:column],
                 blockers, name}
                | acc
              ]
          end
        end
    end
  end

  # A library import whose `only:` names the call.
  defp explicit([], _key), do: nil

  defp explicit([%{library: true, only: only, module: module} | rest], key) when only != nil do
    if MapSet.member?(only, key), do: module, else: explicit(rest, key)
  end

  defp explicit([_ | rest], key), do: explicit(rest, key)

  # The first wholesale library import offering the call, and the other imports that
  # offer it too (any of them may be the real provider).
  defp wholesale([], _key, found, blockers), do: {found, Enum.reverse(blockers)}

  defp wholesale([spec | rest], key, found, blockers) do
    cond do
      not offers?(spec, key) -> wholesale(rest, key, found, blockers)
      not spec.library -> wholesale(rest, key, found, [spec.module | blockers])
      found == nil and spec.only == nil -> wholesale(rest, key, spec.module, blockers)
      true -> wholesale(rest, key, found, blockers)
    end
  end

  defp used_imports("ExUnit.Case"),
    do: ["ExUnit.Case", "ExUnit.Assertions", "ExUnit.Callbacks", "ExUnit.DocTest"]

  defp used_imports(module), do: [module]

  defp offers?(%{only: nil, except: except}, key), do: not MapSet.member?(except, key)
  defp offers?(%{only: only}, key), do: MapSet.member?(only, key)

  defp strip_bang(fun) do
    name = Atom.to_string(fun)
    if String.ends_with?(name, "!"), do: binary_part(name, 0, byte_size(name) - 1), else: name
  end

  defp module_name(name_ast, env) do
    case {name_ast, env.module} do
      {{:__aliases__, _, [first | _] = segments}, outer} when is_atom(first) and outer != nil ->
        if Map.has_key?(env.aliases, first) do
          {Env.expand(name_ast, env), env}
        else
          # `defmodule Bar` inside `Foo` is `Foo.Bar`, and `Bar` becomes an alias of it.
          nested = Enum.join([outer | Enum.map(segments, &Atom.to_string/1)], ".")
          {nested, Env.put_alias(env, first, outer <> "." <> Atom.to_string(first))}
        end

      _ ->
        {Env.expand(name_ast, env) || env.module, env}
    end
  end

  defp module_env(env, full, body) do
    %{env | module: full, locals: Defs.in_body(body)}
  end

  defp head_defaults({:when, _, [head | guards]}, env, acc) do
    acc = head_defaults(head, env, acc)
    walk_all(guards, env, acc)
  end

  defp head_defaults({_name, _, args}, env, acc) when is_list(args) do
    Enum.reduce(args, acc, fn
      {:\\, _, [_pattern, default]}, acc -> walk_one(default, env, acc)
      _pattern, acc -> acc
    end)
  end

  defp head_defaults(_, _env, acc), do: acc

  # Structs matched in a function head (`def handle(%Numpy.Linalg.LinAlgError{} = e)`).
  defp head_structs(head, env, acc) do
    {_, acc} =
      Macro.prewalk(head, acc, fn
        {:%, _, [target, {:%{}, _, _}]} = ast, acc -> {ast, exception_ref(target, env, acc)}
        ast, acc -> {ast, acc}
      end)

    acc
  end

  defp rescued({:in, _, [_var, targets]}) when is_list(targets), do: targets
  defp rescued({:in, _, [_var, target]}), do: [target]
  defp rescued(target), do: [target]

  defp exception_ref({:__aliases__, meta, _} = target, env, acc) do
    case Env.library_target(target, env) do
      nil -> acc
      module -> [{:exception, module, meta[:line], meta[:column]} | acc]
    end
  end

  defp exception_ref(_other, _env, acc), do: acc

  defp delegate(head, opts, meta, env, acc) do
    with target when is_binary(target) <- Env.expand(Keyword.get(opts, :to), env),
         true <- Env.library?(target, env) do
      as = Keyword.get(opts, :as)

      for {name, arity} <- Defs.head_arities(head), reduce: acc do
        acc ->
          fun = if is_atom(as) and as != nil, do: as, else: name
          [call_finding(target, strip_bang(fun), arity, meta, env, nil) | acc]
      end
    else
      _ -> acc
    end
  end

  defp alias_target({{:., _, [base, :{}]}, _, children}, _opts, env) do
    case Env.expand(base, env) do
      nil ->
        env

      base ->
        Enum.reduce(children, env, fn
          {:__aliases__, _, segs}, env when is_list(segs) ->
            if Enum.all?(segs, &is_atom/1) do
              full = Enum.join([base | Enum.map(segs, &Atom.to_string/1)], ".")
              Env.put_alias(env, List.last(segs), full)
            else
              env
            end

          _, env ->
            env
        end)
    end
  end

  defp alias_target(target, opts, env) do
    with full when is_binary(full) <- Env.expand(target, env) do
      case Keyword.get(opts, :as) do
        {:__aliases__, _, [short]} when is_atom(short) -> Env.put_alias(env, short, full)
        nil -> Env.put_alias(env, Env.last_segment(full), full)
        _ -> env
      end
    else
      _ -> env
    end
  end

  defp import_target(target, opts, env) do
    with module when is_binary(module) <- Env.expand(target, env) do
      opts = if Keyword.keyword?(opts), do: opts, else: []

      only =
        case Keyword.get(opts, :only) do
          list when is_list(list) -> pairs(list)
          _ -> nil
        end

      spec = %{
        module: module,
        library: Env.library?(module, env),
        only: only,
        except: pairs(Keyword.get(opts, :except, []))
      }

      Env.put_import(env, spec)
    else
      _ -> env
    end
  end

  defp pairs(list) when is_list(list) do
    for {name, arity} <- list,
        is_atom(name),
        is_integer(arity),
        into: MapSet.new(),
        do: {name, arity}
  end

  defp pairs(_), do: MapSet.new()
end
