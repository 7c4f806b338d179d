defmodule SnakeBridge.Scanner.Prepass do
  @moduledoc """
  The pre-pass decision: scan, compare with the committed bindings, and hand the rest
  to Python only when something is actually missing or stale.

  This is the body of `mix compile.snakebridge`, `mix snakebridge.scan` and
  `mix snakebridge.generate`. On a compile where nothing relevant changed it reads one
  cache file, stats the source files, and returns `:noop` without starting any OS
  process. Python is started (the `generate` CLI command, over `SnakeBridge.CLIPort`)
  when a detected call has no binding in `lib/snakebridge_generated/`, when the library
  declarations, the lock or the Python environment changed since the last generation
  (see `SnakeBridge.Scanner.Stamp`), on `--force`, or when asked explicitly. Strict mode
  never starts Python: a missing binding is an error diagnostic instead.
  """

  alias Mix.Task.Compiler.Diagnostic
  alias SnakeBridge.{CLIPort, Config, ModuleNames, Scanner}
  alias SnakeBridge.Scanner.{Bindings, Cache, Files, Manifest, Stamp}

  @type status :: :ok | :noop | :error
  @type scan :: %{
          detections: [Scanner.detection()] | nil,
          findings: [{String.t(), [Scanner.finding()]}],
          root: String.t(),
          paths: [String.t()],
          problems: [map],
          reparsed: [String.t()],
          files: non_neg_integer
        }

  @doc """
  Runs the pre-pass. Options: `:force` (rescan everything, regenerate with force),
  `:generate` (`:auto` default, or `:always` for `mix snakebridge.generate`),
  `:config` and `:cache_path` (default: the current Mix project's).
  """
  @spec run(keyword) :: {status, [Diagnostic.t()]}
  def run(opts \\ []) do
    case load_config(opts) do
      {:ok, config} -> run_with(config, opts)
      {:error, diagnostic} -> {:error, [diagnostic]}
    end
  end

  defp load_config(opts) do
    case Keyword.fetch(opts, :config) do
      {:ok, config} ->
        {:ok, config}

      :error ->
        try do
          {:ok, Config.load!()}
        rescue
          e in Config.Error ->
            {:error, diagnostic(:error, e.message, mix_exs(Config.project_root()), nil)}
        end
    end
  end

  defp run_with(config, opts) do
    mode = Keyword.get(opts, :generate, :auto)

    if config.skip and mode == :auto do
      say(config, "SNAKEBRIDGE_SKIP=1: pre-pass skipped")
      {:noop, []}
    else
      cache_path = Keyword.get_lazy(opts, :cache_path, &Cache.path/0)
      cache = Cache.load(cache_path, cache_key(config))

      # A damaged manifest fails the compile first, strict or not: a generation would
      # otherwise stumble on it, and the committed bookkeeping is wrong either way.
      case Manifest.check(config.root, cache.manifest, cache.written_at) do
        {:ok, known} -> run_checked(config, opts, cache, known, cache_path)
        {:error, diagnostic} -> {:error, [diagnostic]}
      end
    end
  end

  defp run_checked(config, opts, cache, manifest, cache_path) do
    manifest_dirty = manifest != cache.manifest
    cache = %{cache | manifest: manifest}

    cache =
      if Keyword.get(opts, :force, false),
        do: %{cache | sources: %{}, generated: %{}},
        else: cache

    {scan, cache, scan_dirty} = scan(config, cache, resolve: false)

    # A library that would replace an existing module is refused before anything else.
    case ModuleNames.collisions(config, scan.findings) do
      [] ->
        run_scanned(config, opts, cache, cache_path, {scan, scan_dirty, manifest_dirty})

      messages ->
        {:error, Enum.map(messages, &diagnostic(:error, &1, mix_exs(config.root), nil))}
    end
  end

  defp run_scanned(config, opts, cache, cache_path, {scan, scan_dirty, manifest_dirty}) do
    force = Keyword.get(opts, :force, false)
    mode = Keyword.get(opts, :generate, :auto)
    {bindings, binding_problems, cache, gen_dirty} = bindings(config, cache)

    # Same sources, same bindings: the uncovered calls and the keyword mistakes are the
    # ones found last time, and resolving every call again would be most of the cost of
    # a no-op.
    {scan, missing, keywords} =
      if scan_dirty or gen_dirty or force or cache.summary == nil or mode == :always do
        scan = resolved(scan)
        {scan, uncovered(scan.detections, bindings), keyword_errors(config, scan)}
      else
        {scan, cache.summary, cache.keywords}
      end

    state = %{
      config: config,
      cache: %{cache | summary: missing, keywords: keywords},
      cache_path: cache_path,
      dirty:
        scan_dirty or gen_dirty or manifest_dirty or cache.summary != missing or
          cache.keywords != keywords,
      scan: scan,
      missing: missing,
      problems: binding_problems,
      force: force,
      mode: mode,
      stamp: stamps(config)
    }

    if config.verbose do
      scan = resolved(scan)

      say(
        config,
        "scanned #{scan.files} files (#{length(scan.reparsed)} parsed), " <>
          "#{length(scan.detections)} calls, #{length(missing_keys(missing))} without a binding"
      )
    end

    if config.strict and mode == :auto, do: strict(state), else: decide(state)
  end

  @doc """
  Scans the project's sources incrementally. Returns `{scan, cache, cache_changed?}`;
  `scan.detections` holds every resolved call (see `SnakeBridge.Scanner`).
  With `resolve: false` the detections are left for `resolved/1` to compute.
  """
  @spec scan(Config.t(), Cache.t(), keyword) :: {scan, Cache.t(), boolean}
  def scan(%Config{} = config, %Cache{} = cache, opts \\ []) do
    roots = Config.library_modules(config)
    {files, dirs} = Files.list(config, cache.dirs, cache.written_at)

    {sources, reparsed, rechecked} =
      Cache.refresh(cache.sources, files, config.root, cache.written_at, fn rel, content ->
        Scanner.findings(content, roots, rel)
      end)

    {ok, problems} =
      Enum.reduce(files, {[], []}, fn rel, {ok, problems} ->
        case Map.get(sources, rel) do
          {_, _, {:ok, []}} -> {ok, problems}
          {_, _, {:ok, findings}} -> {[{rel, findings} | ok], problems}
          {_, _, {:error, error}} -> {ok, [Map.put(error, :file, rel) | problems]}
          nil -> {ok, problems}
        end
      end)

    scan = %{
      detections: nil,
      findings: Enum.reverse(ok),
      problems: Enum.reverse(problems),
      reparsed: reparsed,
      files: length(files),
      root: config.root,
      paths: files
    }

    scan = if Keyword.get(opts, :resolve, true), do: resolved(scan), else: scan

    dirty =
      rechecked > 0 or map_size(sources) != map_size(cache.sources) or dirs != cache.dirs or
        Files.racy?(dirs, cache.written_at)

    {scan, %{cache | sources: sources, dirs: dirs}, dirty}
  end

  @doc "The scan with `detections` computed from its per-file findings."
  @spec resolved(scan) :: scan
  def resolved(%{detections: nil, findings: findings} = scan),
    do: %{scan | detections: Scanner.resolve(findings, exports(scan))}

  def resolved(scan), do: scan

  # Who else may provide an unqualified call under `import Numpy`: a module imported
  # wholesale next to it. Loaded modules answer for themselves; a project module that is
  # not compiled yet (first compile) is found by its `defmodule` in the scanned sources.
  defp exports(scan) do
    unloaded =
      for {_file, findings} <- scan.findings,
          {:import_all, _, _, _, _, _, blockers, _called} <- findings,
          blocker <- blockers,
          not Code.ensure_loaded?(Module.concat([blocker])),
          uniq: true,
          do: blocker

    defined = project_defs(scan, unloaded)

    fn module, fun, arity ->
      Scanner.exported?(module, fun, arity) or
        MapSet.member?(defined, {module, Atom.to_string(fun), arity})
    end
  end

  defp project_defs(_scan, []), do: MapSet.new()

  defp project_defs(scan, modules) do
    patterns = Enum.map(modules, &("defmodule " <> &1))

    for rel <- scan.paths,
        {:ok, source} <- [File.read(Path.join(scan.root, rel))],
        :binary.match(source, patterns) != :nomatch,
        {:ok, defs} <- [Bindings.parse(source, rel)],
        {module, _fun, _arity} = def <- defs,
        module in modules,
        into: MapSet.new(),
        do: def
  end

  defp bindings(config, cache) do
    files = Bindings.files(config.root, config.generated_dir)

    {generated, _changed, rechecked} =
      Cache.refresh(cache.generated, files, config.root, cache.written_at, fn rel, content ->
        Bindings.parse(content, rel)
      end)

    {set, problems} =
      Enum.reduce(files, {MapSet.new(), []}, fn rel, {set, problems} ->
        case Map.get(generated, rel) do
          {_, _, {:ok, defs}} -> {Enum.into(defs, set), problems}
          {_, _, {:error, message}} -> {set, [{rel, message} | problems]}
          nil -> {set, problems}
        end
      end)

    dirty = rechecked > 0 or map_size(generated) != map_size(cache.generated)
    {set, Enum.reverse(problems), %{cache | generated: generated}, dirty}
  end

  defp uncovered(detections, bindings) do
    Enum.reject(detections, &MapSet.member?(bindings, {&1.module, &1.function, &1.arity}))
  end

  defp missing_keys(missing) do
    missing |> Enum.map(&{&1.module, &1.function, &1.arity}) |> Enum.uniq() |> Enum.sort()
  end

  # -- strict: report, never start Python ------------------------------------------------

  defp strict(state) do
    %{config: config, cache: cache, scan: scan} = state

    parse_errors =
      Enum.map(scan.problems, fn p ->
        diagnostic(
          :error,
          "cannot parse (strict mode): #{p.message}",
          abs(config, p.file),
          position(p)
        )
      end)

    binding_errors =
      Enum.map(state.problems, fn {rel, message} ->
        diagnostic(
          :error,
          "generated bindings do not parse: #{message}; run `mix snakebridge.repair`",
          abs(config, rel),
          nil
        )
      end)

    missing_errors =
      state.missing
      |> Enum.group_by(&{&1.module, &1.function, &1.arity})
      |> Enum.sort()
      |> Enum.map(fn {{mod, fun, arity}, [first | rest]} ->
        also =
          case rest do
            [] ->
              ""

            _ ->
              " (also used at #{Enum.map_join(Enum.take(rest, 5), ", ", &"#{&1.file}:#{&1.line}")})"
          end

        what =
          if Enum.any?([first | rest], &Map.get(&1, :exception, false)),
            do: "#{mod} (named as an exception) has no committed exception module",
            else: "#{mod}.#{fun}/#{arity} has no committed binding"

        diagnostic(
          :error,
          "#{what}#{also}. Strict mode does not " <>
            "start Python: run `mix snakebridge.generate` without strict mode and commit " <>
            "#{generated_file(config, mod)}, .snakebridge/manifest.json and snakebridge.lock",
          abs(config, first.file),
          position(first)
        )
      end)

    decl_errors =
      if cache.stamp != nil and elem(cache.stamp, 0) != elem(state.stamp, 0) do
        [
          diagnostic(
            :error,
            "the `snakebridge: [libraries: ...]` declarations in mix.exs changed since the " <>
              "bindings were generated; run `mix snakebridge.generate` without strict mode " <>
              "and commit the result",
            mix_exs(config.root),
            nil
          )
        ]
      else
        []
      end

    if cache.stamp != nil and elem(cache.stamp, 1) != elem(state.stamp, 1) do
      say(config, "strict: snakebridge.lock or the Python environment changed; not regenerating")
    end

    errors =
      parse_errors ++
        binding_errors ++ missing_errors ++ decl_errors ++ keyword_diagnostics(state)

    if state.dirty or cache.stamp == nil,
      do: save(state, %{state.cache | stamp: cache.stamp || state.stamp})

    case errors do
      [] ->
        say(config, "strict: every detected call has a committed binding")
        {:noop, []}

      errors ->
        {:error, errors}
    end
  end

  # -- non-strict: generate when needed ----------------------------------------------

  defp decide(state) do
    %{config: config, cache: cache} = state
    keys = missing_keys(state.missing)
    new_missing = keys -- cache.last_missing
    stamp_changed = cache.stamp != nil and cache.stamp != state.stamp

    reasons =
      Enum.reject(
        [
          state.mode == :always && "generation requested",
          state.force && "--force",
          new_missing != [] &&
            "#{length(new_missing)} call(s) without a binding: " <>
              Enum.map_join(Enum.take(new_missing, 5), ", ", fn {m, f, a} -> "#{m}.#{f}/#{a}" end),
          stamp_changed && "#{Stamp.describe(config)} changed since the last generation"
        ],
        &(&1 == false)
      )

    parse_warnings =
      for p <- state.scan.problems, p.file in state.scan.reparsed do
        diagnostic(
          :warning,
          "skipped, does not parse: #{p.message}",
          abs(config, p.file),
          position(p)
        )
      end

    parse_warnings =
      parse_warnings ++
        Enum.map(state.problems, fn {rel, message} ->
          diagnostic(
            :warning,
            "generated bindings do not parse (#{message}); their calls count as missing. " <>
              "Run `mix snakebridge.repair` or restore the file from git",
            abs(config, rel),
            nil
          )
        end)

    cond do
      reasons == [] and failed_again?(state) ->
        say(
          config,
          "the last generation failed and nothing it depends on changed: its errors again, " <>
            "Python not started (`mix compile --force` retries anyway)"
        )

        if state.dirty, do: save(state, cache)
        {_missing, errors} = cache.failed

        {:error,
         parse_warnings ++
           Enum.map(errors, &from_python(&1, config)) ++ keyword_diagnostics(state)}

      reasons == [] and cache.failed != nil ->
        say(config, "generating: the last generation failed and its inputs changed")
        {status, diagnostics} = generate(state)
        {status, parse_warnings ++ diagnostics}

      reasons == [] ->
        say(config, "nothing to generate; Python not started")

        if cache.stamp == nil or state.dirty,
          do: save(state, %{cache | stamp: cache.stamp || state.stamp})

        with_keywords(:noop, parse_warnings ++ replay(cache.last_diagnostics, config), state)

      new_missing == [] and not state.force and state.mode == :auto and
          not File.exists?(config.python) ->
        say(config, "#{Enum.join(reasons, "; ")}, but #{config.python} does not exist; skipped")
        if state.dirty, do: save(state, cache)
        with_keywords(:noop, parse_warnings, state)

      true ->
        say(config, "generating: " <> Enum.join(reasons, "; "))
        {status, diagnostics} = generate(state)
        {status, parse_warnings ++ diagnostics}
    end
  end

  defp generate(state) do
    state = %{state | scan: resolved(state.scan)}
    %{config: config, cache: cache} = state

    payload =
      config
      |> Config.context()
      |> Map.put("detections", Enum.map(state.scan.detections, &detection_payload/1))
      |> Map.put("force", state.force)

    case CLIPort.run(config.python, "generate", payload, verbose: config.verbose) do
      {:ok, code, data} ->
        diagnostics =
          data
          |> Map.get("diagnostics", [])
          |> List.wrap()
          |> Enum.filter(&is_map/1)

        failure =
          if code != 0 and not Enum.any?(diagnostics, &(&1["severity"] == "error")) do
            [
              %{
                "severity" => "error",
                "message" =>
                  "snakebridge generate failed (exit #{code}): " <>
                    to_string(data["error"] || "see the output above") <>
                    if(data["traceback"], do: "\n" <> to_string(data["traceback"]), else: ""),
                "file" => nil,
                "line" => nil
              }
            ]
          else
            []
          end

        all = diagnostics ++ failure
        # The bindings changed: the keyword check runs again on what is generated now.
        cache = %{record(state, cache, data, all) | keywords: keyword_errors(config, state.scan)}
        save(state, cache)
        structs = Enum.map(all, &from_python(&1, config)) ++ keyword_diagnostics(config, cache)

        status =
          if code != 0 or Enum.any?(structs, &(&1.severity == :error)), do: :error, else: :ok

        {status, structs}

      {:error, message} ->
        save(state, cache)
        {:error, [diagnostic(:error, message, mix_exs(config.root), nil)]}
    end
  end

  # A literal keyword list at a call site, checked against the generated binding with
  # the rule the call applies at run time (`SnakeBridge.Scanner.Bindings`): a name the
  # Python callable does not take is an error at file:line naming the valid ones, on
  # every compile until the call or the binding changes. No Python needed.
  defp keyword_errors(config, scan),
    do: Bindings.keyword_errors(scan.detections, config.root, config.generated_dir)

  defp keyword_diagnostics(%{config: config, cache: cache}),
    do: keyword_diagnostics(config, cache)

  defp keyword_diagnostics(config, cache) do
    Enum.map(cache.keywords, &diagnostic(:error, &1.message, abs(config, &1.file), position(&1)))
  end

  defp with_keywords(status, diagnostics, state) do
    case keyword_diagnostics(state) do
      [] -> {status, diagnostics}
      errors -> {:error, diagnostics ++ errors}
    end
  end

  # After Python answered on purpose, remember the new stamp and what is still missing,
  # so the next compile does not start Python again for a symbol Python said it cannot
  # bind. Its errors are remembered with the calls still missing: until those calls or
  # the stamp change, every compile fails with the same errors (without Python). A
  # crash (an "error" in the reply) records nothing: the next compile retries.
  defp record(state, cache, data, diagnostics) do
    if Map.has_key?(data, "error") do
      cache
    else
      {bindings, _problems, cache, _} = bindings(state.config, cache)
      missing = uncovered(state.scan.detections, bindings)

      {errors, others} = Enum.split_with(diagnostics, &(&1["severity"] == "error"))

      %{
        cache
        | stamp: stamps(state.config),
          summary: missing,
          last_missing: missing_keys(missing),
          last_diagnostics: others,
          failed: if(errors == [], do: nil, else: {missing, errors})
      }
    end
  end

  defp failed_again?(%{cache: %{failed: {missing, _errors}}, missing: missing, mode: :auto}),
    do: true

  defp failed_again?(_state), do: false

  defp replay(diagnostics, config) do
    if config.verbose, do: Enum.map(diagnostics, &from_python(&1, config)), else: []
  end

  @doc "The detection as the `generate` command receives it (string keys, no bang)."
  @spec detection_payload(Scanner.detection()) :: map
  def detection_payload(d) do
    %{
      "module" => d.module,
      "function" => d.function,
      "arity" => d.arity,
      "file" => d.file,
      "line" => d.line
    }
  end

  # -- helpers ---------------------------------------------------------------------

  defp stamps(config) do
    context = Config.context(config)

    decl = :erlang.md5(:erlang.term_to_binary([context["libraries"], context["generated_dir"]]))

    {decl, Stamp.compute(config)}
  end

  defp cache_key(config), do: {Config.library_modules(config), config.scan_exs}

  defp save(state, cache), do: Cache.save(cache, state.cache_path)

  defp generated_file(config, module) do
    lib =
      config.libraries
      |> Enum.filter(
        &(module == &1.module_name or String.starts_with?(module, &1.module_name <> "."))
      )
      |> Enum.max_by(&byte_size(&1.module_name), fn -> nil end)

    Path.join(config.generated_dir, "#{(lib && lib.name) || "<library>"}.ex")
  end

  defp from_python(map, config) do
    severity =
      case map["severity"] do
        "error" -> :error
        "warning" -> :warning
        "hint" -> :hint
        _ -> :information
      end

    file = if is_binary(map["file"]), do: abs(config, map["file"]), else: mix_exs(config.root)
    line = if is_integer(map["line"]) and map["line"] > 0, do: map["line"], else: nil
    diagnostic(severity, to_string(map["message"]), file, line)
  end

  defp diagnostic(severity, message, file, position) do
    %Diagnostic{
      compiler_name: "snakebridge",
      file: file,
      position: position,
      message: message,
      severity: severity
    }
  end

  defp position(%{line: line, column: column}) when is_integer(line) and is_integer(column),
    do: {line, column}

  defp position(%{line: line}) when is_integer(line), do: line
  defp position(_), do: nil

  defp abs(config, rel), do: Path.expand(rel, config.root)
  defp mix_exs(root), do: Path.join(root, "mix.exs")

  defp say(config, message) do
    if config.verbose, do: Mix.shell().info("snakebridge: " <> message)
  end

  @doc "Prints diagnostics the way Elixir's compiler prints its own."
  @spec print([Diagnostic.t()]) :: :ok
  def print(diagnostics) do
    Enum.each(diagnostics, fn %Diagnostic{} = d ->
      location =
        case d.position do
          {line, col} -> "#{Path.relative_to_cwd(d.file)}:#{line}:#{col}"
          line when is_integer(line) -> "#{Path.relative_to_cwd(d.file)}:#{line}"
          _ -> Path.relative_to_cwd(d.file || "mix.exs")
        end

      case d.severity do
        :error ->
          Mix.shell().error([:red, "error: ", :reset, d.message, "\n  ", location, "\n"])

        :warning ->
          Mix.shell().info([:yellow, "warning: ", :reset, d.message, "\n  ", location, "\n"])

        _ ->
          Mix.shell().info([d.message, "\n  ", location, "\n"])
      end
    end)
  end
end
