defmodule SnakeBridge.Config do
  @moduledoc """
  The project's `snakebridge:` declaration from `mix.exs`, validated and normalized.

  Every Elixir-side consumer (the pre-pass compiler, the Mix tasks, the runtime) reads
  the project through this module so there is one place that knows the option names,
  the defaults and the error messages. `context/1` is the map sent to the Python CLI
  (see `docs/internals.md`, "Project context"); `runtime/0` is the slice the runtime
  client needs.

  Accepted options under `snakebridge:`:

    * `libraries:` (required) — keyword list; each value is a version requirement
      string, `:stdlib`, `:local` (a module of the project's own, found in
      `python_path:`), or a keyword list with `version`, `module_name`,
      `python_module`, `include`, `exclude`, `streaming`, `idempotent`, `allow`
      (`[:subprocess, :dlopen, :pickle, :import, :set_attr]`, default `[]`; `:import`:
      the library may import installed modules that are neither declared, stdlib nor
      its dependencies; `:set_attr`: `SnakeBridge.set_attr/3` may replace one of its
      module attributes), `circuit` (`[crashes: n, window: ms, cool_down: ms,
      max_cool_down: ms]`: this library's crash-barrier limits over the pool's, see
      `SnakeBridge.Circuits`), `retry` (`[attempts: n, base: ms, max: ms, functions:
      [name: [...]]]`: how its idempotent calls are retried after a worker crash, over
      the pool's `retry:`; `functions:` gives single functions their own bounds over
      the library's, by the names `idempotent:` takes; see `SnakeBridge.Runtime.Retry`),
      `stdlib`, `local`
    * `python:` — interpreter path (relative paths are relative to the project root)
    * `python_path:` — project-local Python source directories, relative to the root
      (default `[]`); they go on the workers' and the generator's `PYTHONPATH`
    * `callbacks:` — the Elixir functions Python may call: a list of modules (every
      public function) or `{module, [function names]}`, or a map module => names
    * `docs:` — `[source: :python | :metadata | :hybrid]` (default `:python`): who
      answers docs and search for symbols that are not generated yet
    * `node:` — `:local` (default), `:any` or a node name: where calls may run
    * `max_inflated_bytes:` — the most a compressed request frame may inflate to in a
      worker (default 1 GiB); a frame that declares more is refused, the worker lives
    * `strict:` — boolean, also `SNAKEBRIDGE_STRICT=1`
    * `verbose:` — boolean, also `SNAKEBRIDGE_VERBOSE=1`
    * `generated_dir:` — default `"lib/snakebridge_generated"`
    * `scan:` — keyword list: `paths:` (default `["lib"]`), `exclude:` (glob patterns
      relative to the root), `exs:` (also scan `.exs` files, default `false`)
  """

  defmodule Library do
    @moduledoc """
    One declared Python library, normalized.

    `python_module` is the declared import name, or else the declared name with `-`
    turned into `_` (`python_module_declared: false`): the Python side then takes the
    import name from the installed distribution's metadata when that guess is not
    importable (`scikit-learn` is imported as `sklearn`). `module_name` defaults from
    the same declared-or-guessed name, so the scanner knows it without Python.
    """
    @enforce_keys [:name, :module_name, :python_module]
    defstruct name: nil,
              version: nil,
              stdlib: false,
              local: false,
              module_name: nil,
              python_module: nil,
              python_module_declared: false,
              include: [],
              exclude: [],
              streaming: [],
              idempotent: false,
              allow: [],
              circuit: nil,
              retry: nil

    @type t :: %__MODULE__{
            name: String.t(),
            version: String.t() | nil,
            stdlib: boolean,
            local: boolean,
            module_name: String.t(),
            python_module: String.t(),
            python_module_declared: boolean,
            include: [String.t()],
            exclude: [String.t()],
            streaming: [String.t()],
            idempotent: boolean | [String.t()],
            allow: [SnakeBridge.Config.capability()],
            circuit: keyword | nil,
            retry: SnakeBridge.Runtime.Retry.config() | nil
          }
  end

  defmodule Error do
    @moduledoc "The `snakebridge:` declaration in mix.exs is invalid; the message says how to fix it."
    defexception [:message]
  end

  alias SnakeBridge.Cluster.Lock

  @default_generated_dir "lib/snakebridge_generated"
  @version Mix.Project.config()[:version]
  @top_keys [
    :libraries,
    :python,
    :python_path,
    :callbacks,
    :docs,
    :node,
    :max_inflated_bytes,
    :strict,
    :verbose,
    :generated_dir,
    :scan
  ]
  @library_keys [
    :version,
    :module_name,
    :python_module,
    :include,
    :exclude,
    :streaming,
    :idempotent,
    :allow,
    :circuit,
    :retry,
    :stdlib,
    :local
  ]
  @scan_keys [:paths, :exclude, :exs]
  @capabilities [:subprocess, :dlopen, :pickle, :import, :set_attr]
  @doc_sources [:python, :metadata, :hybrid]

  @typedoc "What a library may do beyond the default audit policy (`allow:`)."
  @type capability :: :subprocess | :dlopen | :pickle | :import | :set_attr
  @typedoc "`callbacks:` normalized: module => every public function, or these names."
  @type callbacks :: %{module => :all | [String.t()]}

  defstruct root: nil,
            libraries: [],
            generated_dir: @default_generated_dir,
            python: nil,
            python_source: :default,
            project_python: nil,
            python_path: [],
            callbacks: %{},
            docs: %{source: :python},
            node: :local,
            max_inflated_bytes: nil,
            strict: false,
            verbose: false,
            skip: false,
            scan_paths: ["lib"],
            scan_exclude: [],
            scan_exs: false,
            mix_env: :dev,
            snakebridge_version: nil

  @type t :: %__MODULE__{
          root: String.t(),
          libraries: [Library.t()],
          generated_dir: String.t(),
          python: String.t(),
          python_source: :env | :config | :default,
          project_python: String.t(),
          python_path: [String.t()],
          callbacks: callbacks,
          docs: %{source: :python | :metadata | :hybrid},
          node: :local | :any | node,
          max_inflated_bytes: pos_integer | nil,
          strict: boolean,
          verbose: boolean,
          skip: boolean,
          scan_paths: [String.t()],
          scan_exclude: [String.t()],
          scan_exs: boolean,
          mix_env: atom,
          snakebridge_version: String.t()
        }

  @doc """
  Loads the current Mix project's configuration. Raises `SnakeBridge.Config.Error` with
  a message naming the offending option and the fix.
  """
  @spec load!() :: t
  def load! do
    load!(Mix.Project.config(), project_root())
  end

  @doc "Like `load!/0` for an explicit project keyword list and root (used by tests)."
  @spec load!(keyword, String.t(), map) :: t
  def load!(project, root, env \\ System.get_env()) do
    case load(project, root, env) do
      {:ok, config} -> config
      {:error, message} -> raise Error, message
    end
  end

  @spec load(keyword, String.t(), map) :: {:ok, t} | {:error, String.t()}
  def load(project, root, env \\ System.get_env()) do
    raw = Keyword.get(project, :snakebridge)
    root = Path.expand(root)

    with {:ok, opts} <- top_level(raw),
         {:ok, libraries} <- libraries(Keyword.get(opts, :libraries)),
         :ok <- unique_modules(libraries),
         {:ok, strict} <- flag(opts, :strict, env, "SNAKEBRIDGE_STRICT"),
         {:ok, verbose} <- flag(opts, :verbose, env, "SNAKEBRIDGE_VERBOSE"),
         {:ok, generated_dir} <- relative_dir(Keyword.get(opts, :generated_dir)),
         {:ok, scan} <- scan(Keyword.get(opts, :scan, [])),
         {:ok, python_path} <- python_path(Keyword.get(opts, :python_path, [])),
         :ok <- local_needs_path(libraries, python_path),
         {:ok, callbacks} <- callbacks(Keyword.get(opts, :callbacks, [])),
         {:ok, docs} <- docs(Keyword.get(opts, :docs, [])),
         {:ok, node} <- node_option(Keyword.get(opts, :node, :local)),
         {:ok, max_inflated} <- max_inflated(Keyword.get(opts, :max_inflated_bytes)),
         {:ok, {python, source}} <- python(Keyword.get(opts, :python), root, env),
         {:ok, {project_python, _}} <- python(Keyword.get(opts, :python), root, %{}) do
      {:ok,
       %__MODULE__{
         root: root,
         libraries: libraries,
         generated_dir: generated_dir,
         python: python,
         python_source: source,
         project_python: project_python,
         python_path: python_path,
         callbacks: callbacks,
         docs: docs,
         node: node,
         max_inflated_bytes: max_inflated,
         strict: strict,
         verbose: verbose,
         skip: env_true?(env, "SNAKEBRIDGE_SKIP"),
         scan_paths: scan.paths,
         scan_exclude: scan.exclude,
         scan_exs: scan.exs,
         mix_env: mix_env(),
         snakebridge_version: snakebridge_version()
       }}
    end
  end

  @doc """
  The project context sent with every Python CLI request (string keys, plain values).
  """
  @spec context(t) :: map
  def context(%__MODULE__{} = config) do
    %{
      "root" => config.root,
      "libraries" => Enum.map(config.libraries, &library_context/1),
      "generated_dir" => config.generated_dir,
      "python_path" => config.python_path,
      "python" => config.python,
      "docs_source" => Atom.to_string(config.docs.source),
      "mix_env" => Atom.to_string(config.mix_env),
      "elixir_version" => System.version(),
      "snakebridge_version" => config.snakebridge_version,
      "strict" => config.strict,
      "verbose" => config.verbose
    }
  end

  defp library_context(%Library{} = lib) do
    %{
      "name" => lib.name,
      "version" => lib.version,
      "stdlib" => lib.stdlib,
      "local" => lib.local,
      "module_name" => lib.module_name,
      "python_module" => lib.python_module,
      "python_module_declared" => lib.python_module_declared,
      "include" => lib.include,
      "exclude" => lib.exclude,
      "streaming" => lib.streaming,
      "idempotent" => lib.idempotent
    }
  end

  @typedoc "One library as the runtime sees it (see `runtime/1`)."
  @type runtime_library :: %{
          python_module: String.t(),
          python_module_declared: boolean,
          module_name: module,
          include: [String.t()],
          exclude: [String.t()],
          streaming: [String.t()],
          idempotent: boolean | [String.t()],
          allow: [capability],
          circuit: keyword | nil,
          retry: SnakeBridge.Runtime.Retry.config() | nil,
          locked: SnakeBridge.Cluster.Lock.locked() | nil
        }

  @typedoc "The runtime slice of the declaration (see `runtime/1`)."
  @type runtime :: %{
          python: String.t(),
          root: String.t(),
          mix_env: atom,
          libraries: %{String.t() => runtime_library},
          callbacks: callbacks,
          python_path: [String.t()],
          docs: %{source: :python | :metadata | :hybrid},
          node: :local | :any | node,
          max_inflated_bytes: pos_integer | nil
        }

  @runtime_keys [:libraries, :callbacks, :python_path, :docs, :node, :max_inflated_bytes]

  @doc """
  What the runtime needs from a loaded declaration, as plain data: this is what
  `SnakeBridge.Config.Bake` compiles into the application, and what
  `SnakeBridge.Runtime.Settings` reads.

  `python` is the project's interpreter (`python:` in mix.exs, else the managed venv),
  without the `SNAKEBRIDGE_PYTHON` override, which the runtime reads itself.
  `python_path` stays relative to `root`. Each library's `locked` is its entry in the
  root's `snakebridge.lock` (`SnakeBridge.Cluster.Lock`), nil when there is no lock.
  """
  @spec runtime(t) :: runtime
  def runtime(%__MODULE__{} = config) do
    %{
      python: config.project_python,
      root: config.root,
      mix_env: config.mix_env,
      libraries: runtime_libraries(config.libraries, Lock.read(config.root)),
      callbacks: config.callbacks,
      python_path: config.python_path,
      docs: config.docs,
      node: config.node,
      max_inflated_bytes: config.max_inflated_bytes
    }
  end

  @doc """
  `runtime/1` of the current Mix project, or `nil` when no Mix project is loaded (a
  release) or it has no `snakebridge:` entry. An invalid entry raises
  `SnakeBridge.Config.Error`.
  """
  @spec runtime() :: runtime | nil
  def runtime do
    if mix_project?() and Mix.Project.config()[:snakebridge] != nil, do: runtime(load!())
  end

  @doc """
  Normalizes runtime options given outside mix.exs (`config :snakebridge, libraries:
  ..., callbacks: ...`), with the same rules and messages as mix.exs. Returns the keys
  given, in the shape of `runtime/1`; raises `SnakeBridge.Config.Error`. Libraries
  given so take their `locked` entries from the `snakebridge.lock` under the options'
  `root:`, if any.
  """
  @spec runtime_overrides!(keyword) :: map
  def runtime_overrides!(options) when is_list(options) do
    for {key, value} <- Keyword.take(options, @runtime_keys), into: %{} do
      result =
        case key do
          :libraries ->
            with {:ok, libs} <- libraries(value),
                 :ok <- unique_modules(libs),
                 do: {:ok, runtime_libraries(libs, Lock.read(options[:root]))}

          :callbacks ->
            callbacks(value)

          :python_path ->
            python_path(value)

          :docs ->
            docs(value)

          :node ->
            node_option(value)

          :max_inflated_bytes ->
            max_inflated(value)
        end

      case result do
        {:ok, normalized} -> {key, normalized}
        {:error, message} -> raise Error, "config :snakebridge, #{key}: " <> message
      end
    end
  end

  defp runtime_libraries(libraries, lock) do
    Map.new(libraries, fn lib ->
      {lib.name,
       %{
         python_module: lib.python_module,
         python_module_declared: lib.python_module_declared,
         module_name: Module.concat([lib.module_name]),
         include: lib.include,
         exclude: lib.exclude,
         streaming: lib.streaming,
         idempotent: lib.idempotent,
         allow: lib.allow,
         circuit: lib.circuit,
         retry: lib.retry,
         locked: Lock.entry(lock, lib.name)
       }}
    end)
  end

  @doc "Whether a Mix project is loaded (a Mix task or its compile), not a release or a script."
  @spec mix_project?() :: boolean
  def mix_project? do
    Code.ensure_loaded?(Mix.Project) and Process.whereis(Mix.ProjectStack) != nil and
      Mix.Project.get() != nil
  end

  @doc """
  The interpreter `mix snakebridge.setup` builds the managed venv with:
  `SNAKEBRIDGE_BOOTSTRAP_PYTHON`, else `python3.11`, else `python3` on PATH.
  """
  @spec bootstrap_python(map) :: {:ok, String.t()} | {:error, String.t()}
  def bootstrap_python(env \\ System.get_env()) do
    case Map.get(env, "SNAKEBRIDGE_BOOTSTRAP_PYTHON") do
      path when is_binary(path) and path != "" ->
        path = Path.expand(path)

        if File.regular?(path) do
          {:ok, path}
        else
          {:error,
           "SNAKEBRIDGE_BOOTSTRAP_PYTHON=#{path} does not exist; point it at a Python 3.11+ interpreter"}
        end

      _ ->
        case System.find_executable("python3.11") || System.find_executable("python3") do
          nil ->
            {:error,
             "no python3.11 or python3 on PATH; install Python 3.11+ or set SNAKEBRIDGE_BOOTSTRAP_PYTHON"}

          path ->
            {:ok, path}
        end
    end
  end

  @doc "The Elixir root module names of the declared libraries (`[\"Numpy\", \"Pd\"]`)."
  @spec library_modules(t) :: [String.t()]
  def library_modules(%__MODULE__{libraries: libs}), do: Enum.map(libs, & &1.module_name)

  @doc "The project root: the directory of the current `mix.exs`."
  @spec project_root() :: String.t()
  def project_root do
    case Mix.Project.project_file() do
      nil -> File.cwd!()
      file -> Path.dirname(file)
    end
  end

  # -- validation ------------------------------------------------------------------

  @example ~s(snakebridge: [libraries: [numpy: "~> 2.0", json: :stdlib]])

  defp top_level(nil),
    do: {:error, "mix.exs has no `snakebridge:` entry in project/0; add e.g. `#{@example}`"}

  defp top_level(opts) do
    cond do
      not Keyword.keyword?(opts) ->
        {:error,
         "`snakebridge:` in mix.exs must be a keyword list, e.g. `#{@example}`; got #{inspect(opts)}"}

      (unknown = Keyword.keys(opts) -- @top_keys) != [] ->
        {:error,
         "unknown option(s) #{inspect(unknown)} under `snakebridge:` in mix.exs; " <>
           "known options: #{Enum.map_join(@top_keys, ", ", &inspect/1)}"}

      true ->
        {:ok, opts}
    end
  end

  defp libraries(nil),
    do: {:error, "`snakebridge:` in mix.exs has no `libraries:`; add e.g. `#{@example}`"}

  defp libraries(libs) when is_list(libs) do
    Enum.reduce_while(libs, {:ok, []}, fn
      {name, spec}, {:ok, acc} when is_atom(name) or is_binary(name) ->
        case library(to_string(name), spec) do
          {:ok, lib} ->
            {:cont, {:ok, [lib | acc]}}

          {:error, msg} ->
            {:halt, {:error, "snakebridge library #{inspect(to_string(name))}: " <> msg}}
        end

      other, _ ->
        {:halt,
         {:error,
          "`snakebridge: [libraries: ...]` entries must be `name: spec`, got #{inspect(other)}"}}
    end)
    |> case do
      {:ok, acc} -> {:ok, Enum.sort_by(acc, & &1.name)}
      error -> error
    end
  end

  defp libraries(other),
    do: {:error, "`snakebridge: [libraries: ...]` must be a keyword list, got #{inspect(other)}"}

  defp library(name, version) when is_binary(version), do: library(name, version: version)
  defp library(name, :stdlib), do: library(name, stdlib: true)
  defp library(name, :local), do: library(name, local: true)

  defp library(name, opts) when is_list(opts) do
    unknown = if Keyword.keyword?(opts), do: Keyword.keys(opts) -- @library_keys, else: nil

    cond do
      unknown == nil ->
        {:error, "options must be a keyword list, got #{inspect(opts)}"}

      unknown != [] ->
        {:error,
         "unknown option(s) #{inspect(unknown)}; known: #{Enum.map_join(@library_keys, ", ", &inspect/1)}"}

      true ->
        build_library(name, opts)
    end
  end

  defp library(_name, other) do
    {:error,
     ~s[expected a version requirement ("~> 2.0"), :stdlib, :local or a keyword list, got #{inspect(other)}]}
  end

  defp build_library(name, opts) do
    stdlib = Keyword.get(opts, :stdlib, false) == true or Keyword.get(opts, :version) == :stdlib
    local = Keyword.get(opts, :local, false) == true or Keyword.get(opts, :version) == :local
    declared = Keyword.has_key?(opts, :python_module)
    python_module = Keyword.get(opts, :python_module, String.replace(name, "-", "_"))

    with :ok <- source_kind(stdlib, local, Keyword.get(opts, :version)),
         {:ok, version} <- version(Keyword.get(opts, :version), stdlib or local),
         {:ok, python_module} <- python_module(python_module),
         {:ok, module_name} <-
           module_name(Keyword.get(opts, :module_name, default_module(python_module))),
         {:ok, include} <- names(opts, :include),
         {:ok, exclude} <- names(opts, :exclude),
         {:ok, streaming} <- names(opts, :streaming),
         {:ok, idempotent} <- idempotent(Keyword.get(opts, :idempotent, false)),
         {:ok, allow} <- allow(Keyword.get(opts, :allow, [])),
         {:ok, circuit} <- circuit(Keyword.get(opts, :circuit)),
         {:ok, retry} <- retry(Keyword.get(opts, :retry)) do
      {:ok,
       %Library{
         name: name,
         version: version,
         stdlib: stdlib,
         local: local,
         module_name: module_name,
         python_module: python_module,
         python_module_declared: declared,
         include: include,
         exclude: exclude,
         streaming: streaming,
         idempotent: idempotent,
         allow: allow,
         circuit: circuit,
         retry: retry
       }}
    end
  end

  # A library comes from PyPI (a version requirement), the standard library, or the
  # project's own python_path: (its content hash is its version): exactly one of them.
  defp source_kind(true, true, _version),
    do: {:error, "is declared both stdlib and local; keep one (`:stdlib` or `:local`)"}

  defp source_kind(stdlib, local, version)
       when (stdlib or local) and is_binary(version),
       do:
         {:error,
          "has version #{inspect(version)} but is declared #{if stdlib, do: ":stdlib", else: ":local"}, " <>
            "which has no version; drop one of them"}

  defp source_kind(_stdlib, _local, _version), do: :ok

  @circuit_keys [:crashes, :window, :cool_down, :max_cool_down]

  defp max_inflated(nil), do: {:ok, nil}
  defp max_inflated(bytes) when is_integer(bytes) and bytes > 0, do: {:ok, bytes}

  defp max_inflated(other),
    do: {:error, "max_inflated_bytes must be a positive integer (bytes), got #{inspect(other)}"}

  defp circuit(nil), do: {:ok, nil}

  defp circuit(opts) when is_list(opts) do
    if Keyword.keyword?(opts) and Keyword.keys(opts) -- @circuit_keys == [] and
         Enum.all?(opts, fn {_key, value} -> is_integer(value) and value > 0 end),
       do: {:ok, opts},
       else: circuit(:invalid, opts)
  end

  defp circuit(other), do: circuit(:invalid, other)

  defp circuit(:invalid, value) do
    {:error,
     "circuit must be a keyword list of crashes:, window:, cool_down:, max_cool_down: " <>
       "(positive integers; times in ms), got #{inspect(value)}"}
  end

  # `retry: [attempts:, base:, max:, functions: [name: [...]]]`, values by Retry's rules.
  defp retry(nil), do: {:ok, nil}

  defp retry(opts) when is_list(opts) do
    if Keyword.keyword?(opts) do
      {functions, bounds} = Keyword.pop(opts, :functions, [])

      with {:ok, _} <- retry_bounds(bounds, "retry"),
           {:ok, by_name} <- retry_functions(functions) do
        {:ok, %{bounds: bounds, functions: by_name}}
      end
    else
      retry_shape(opts)
    end
  end

  defp retry(other), do: retry_shape(other)

  defp retry_bounds(bounds, where) do
    case SnakeBridge.Runtime.Retry.policy(bounds) do
      {:ok, policy} -> {:ok, policy}
      {:error, "retry: " <> message} -> {:error, "#{where}: " <> message}
    end
  end

  defp retry_functions(functions) when is_list(functions) or is_map(functions) do
    Enum.reduce_while(functions, {:ok, %{}}, fn
      {name, bounds}, {:ok, acc} when is_atom(name) or is_binary(name) ->
        case retry_bounds(bounds, "retry: functions: #{name}") do
          {:ok, _} -> {:cont, {:ok, Map.put(acc, to_string(name), bounds)}}
          error -> {:halt, error}
        end

      other, _ ->
        {:halt, retry_shape(other)}
    end)
  end

  defp retry_functions(other), do: retry_shape(other)

  defp retry_shape(value) do
    {:error,
     "retry must be a keyword list of attempts: (executions in all, >= 1), base: and max: " <>
       "(backoff ms, >= 0) and functions: (function name => the same bounds), e.g. " <>
       "[attempts: 5, functions: [solve: [attempts: 2]]]; got #{inspect(value)}"}
  end

  defp version(nil, true), do: {:ok, nil}
  defp version(kind, true) when kind in [:stdlib, :local], do: {:ok, nil}
  defp version(nil, false), do: {:ok, ">= 0.0.0"}

  # The common one-clause forms are checked with a precompiled regex; anything else goes
  # to Version. (Loading Version's modules would be a noticeable share of a no-op compile.)
  @simple_requirement ~r/^(?:~>\s*\d+\.\d+(?:\.\d+)?|(?:>=|==|<=|>|<|!=)?\s*\d+\.\d+\.\d+)$/

  defp version(req, _stdlib) when is_binary(req) do
    if Regex.match?(@simple_requirement, req), do: {:ok, req}, else: full_version(req)
  end

  defp version(other, _),
    do: {:error, ~s(version must be a requirement string like "~> 2.0", got #{inspect(other)})}

  defp full_version(req) do
    case Version.parse_requirement(req) do
      {:ok, _} ->
        {:ok, req}

      :error ->
        {:error, ~s(version #{inspect(req)} is not a valid requirement; write e.g. "~> 2.0")}
    end
  end

  defp python_module(mod) when is_binary(mod) do
    if Regex.match?(~r/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, mod),
      do: {:ok, mod},
      else: {:error, "python_module #{inspect(mod)} is not a dotted Python module name"}
  end

  defp python_module(other),
    do: {:error, ~s(python_module must be a string like "numpy", got #{inspect(other)})}

  # Same rule as snakebridge.codegen.names.module_segment: capitalize each part between
  # underscores, keep the rest of the part as written.
  @doc false
  def default_module(python_module) do
    python_module
    |> String.split(".")
    |> Enum.map_join(".", fn segment ->
      segment
      |> String.split("_", trim: true)
      |> Enum.map_join(&capitalize/1)
    end)
  end

  # ASCII only, like Python identifiers in practice; avoids loading String's Unicode tables.
  defp capitalize(<<first, rest::binary>>) when first in ?a..?z, do: <<first - 32, rest::binary>>
  defp capitalize(part), do: part

  defp module_name(mod) when is_atom(mod) and mod not in [nil, true, false] do
    module_name(mod |> Atom.to_string() |> String.replace_prefix("Elixir.", ""))
  end

  defp module_name(mod) when is_binary(mod) do
    if Regex.match?(~r/^[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*$/, mod),
      do: {:ok, mod},
      else: {:error, "module_name #{inspect(mod)} is not an Elixir module alias like Numpy or Pd"}
  end

  defp module_name(other),
    do: {:error, "module_name must be an alias like `Pd`, got #{inspect(other)}"}

  defp names(opts, key) do
    case Keyword.get(opts, key, []) do
      list when is_list(list) ->
        if Enum.all?(list, &(is_binary(&1) or is_atom(&1))),
          do: {:ok, list |> Enum.map(&to_string/1) |> Enum.uniq() |> Enum.sort()},
          else: {:error, "#{key} must be a list of names, got #{inspect(list)}"}

      other ->
        {:error, "#{key} must be a list of names, got #{inspect(other)}"}
    end
  end

  defp idempotent(flag) when flag in [true, :all], do: {:ok, true}
  defp idempotent(flag) when flag in [false, :none, nil], do: {:ok, false}

  defp idempotent(list) when is_list(list) do
    case names([idempotent: list], :idempotent) do
      {:ok, names} -> {:ok, names}
      error -> error
    end
  end

  defp idempotent(other),
    do:
      {:error,
       "idempotent must be true, false, :all or a list of function names, got #{inspect(other)}"}

  defp allow(list) when is_list(list) do
    case Enum.reject(list, &(&1 in @capabilities)) do
      [] ->
        {:ok, list |> Enum.uniq() |> Enum.sort()}

      unknown ->
        {:error,
         "allow: #{inspect(unknown)} is not a capability; known: " <>
           Enum.map_join(@capabilities, ", ", &inspect/1)}
    end
  end

  defp allow(other),
    do: {:error, "allow must be a list such as [:subprocess], got #{inspect(other)}"}

  defp python_path(dirs) when is_list(dirs) do
    Enum.reduce_while(dirs, {:ok, []}, fn dir, {:ok, acc} ->
      case relative_dir(dir) do
        {:ok, dir} ->
          {:cont, {:ok, [dir | acc]}}

        {:error, _} ->
          {:halt,
           {:error,
            "python_path entries must be directories inside the project, got #{inspect(dir)}"}}
      end
    end)
    |> case do
      {:ok, acc} -> {:ok, acc |> Enum.reverse() |> Enum.uniq()}
      error -> error
    end
  end

  defp python_path(other),
    do:
      {:error,
       ~s(python_path must be a list of directories like ["priv/python"], got #{inspect(other)})}

  defp local_needs_path(libraries, []) do
    case Enum.find(libraries, & &1.local) do
      nil ->
        :ok

      lib ->
        {:error,
         "snakebridge library #{inspect(lib.name)} is declared :local (a Python module of " <>
           "this project), but `python_path:` is empty, so no worker or generator can " <>
           "import it; add the directory that holds #{lib.python_module |> String.split(".") |> hd()}.py " <>
           ~s{under `snakebridge:` in mix.exs, e.g. `python_path: ["priv/python"]`}}
    end
  end

  defp local_needs_path(_libraries, _python_path), do: :ok

  @callbacks_example "callbacks: [MyApp.Tools] or callbacks: [{MyApp.Tools, [:lookup]}]"

  defp callbacks(spec) when is_map(spec), do: callbacks(Map.to_list(spec))

  defp callbacks(spec) when is_list(spec) do
    Enum.reduce_while(spec, {:ok, %{}}, fn item, {:ok, acc} ->
      case callback(item) do
        {:ok, {module, functions}} -> {:cont, {:ok, Map.put(acc, module, functions)}}
        {:error, message} -> {:halt, {:error, message}}
      end
    end)
  end

  defp callbacks(other),
    do: {:error, "callbacks must be a list (#{@callbacks_example}), got #{inspect(other)}"}

  defp callback({module, names}) when is_list(names) do
    with {:ok, module} <- callback_module(module) do
      if names != [] and Enum.all?(names, &function_name?/1),
        do: {:ok, {module, names |> Enum.map(&to_string/1) |> Enum.uniq() |> Enum.sort()}},
        else:
          {:error,
           "callbacks: #{inspect(module)} must list function names, got #{inspect(names)}"}
    end
  end

  defp callback({module, :all}),
    do: with({:ok, m} <- callback_module(module), do: {:ok, {m, :all}})

  defp callback(module) when is_atom(module), do: callback({module, :all})

  defp callback(other),
    do:
      {:error,
       "callbacks: #{inspect(other)} is not a module or {module, [names]} (#{@callbacks_example})"}

  defp callback_module(module) when is_atom(module) and module not in [nil, true, false],
    do: {:ok, module}

  defp callback_module(other),
    do: {:error, "callbacks: #{inspect(other)} is not a module name (#{@callbacks_example})"}

  defp function_name?(name) when is_atom(name), do: function_name?(Atom.to_string(name))

  defp function_name?(name) when is_binary(name),
    do: Regex.match?(~r/^[a-z_][A-Za-z0-9_]*[?!]?$/, name)

  defp function_name?(_), do: false

  defp docs(opts) do
    cond do
      not Keyword.keyword?(opts) ->
        {:error, "docs must be a keyword list like [source: :metadata], got #{inspect(opts)}"}

      (unknown = Keyword.keys(opts) -- [:source]) != [] ->
        {:error, "unknown option(s) #{inspect(unknown)} under `docs:`; known: :source"}

      true ->
        doc_source(Keyword.get(opts, :source, :python))
    end
  end

  defp doc_source(source) when source in @doc_sources, do: {:ok, %{source: source}}

  defp doc_source(other) do
    {:error,
     "docs: [source: ...] must be one of #{Enum.map_join(@doc_sources, ", ", &inspect/1)}, " <>
       "got #{inspect(other)}"}
  end

  defp node_option(node) when node in [:local, :any], do: {:ok, node}

  defp node_option(node) when is_atom(node) and node not in [nil, true, false] do
    if String.contains?(Atom.to_string(node), "@"),
      do: {:ok, node},
      else:
        {:error,
         "node must be :local, :any or a node name like :\"py@host\", got #{inspect(node)}"}
  end

  defp node_option(other),
    do:
      {:error,
       "node must be :local, :any or a node name like :\"py@host\", got #{inspect(other)}"}

  defp unique_modules(libs) do
    libs
    |> Enum.group_by(& &1.module_name, & &1.name)
    |> Enum.find(fn {_mod, names} -> length(names) > 1 end)
    |> case do
      nil ->
        :ok

      {mod, names} ->
        {:error,
         "snakebridge libraries #{Enum.map_join(names, " and ", &inspect/1)} both map to the " <>
           "Elixir module #{mod}; give one of them `module_name:` in mix.exs"}
    end
  end

  defp flag(opts, key, env, var) do
    case Keyword.get(opts, key, false) do
      value when is_boolean(value) ->
        {:ok, value or env_true?(env, var)}

      other ->
        {:error, "`snakebridge: [#{key}: ...]` must be true or false, got #{inspect(other)}"}
    end
  end

  defp env_true?(env, var), do: Map.get(env, var, "") in ["1", "true", "yes"]

  defp relative_dir(nil), do: {:ok, @default_generated_dir}

  defp relative_dir(dir) when is_binary(dir) do
    if Path.type(dir) == :relative and not String.contains?(dir, ".."),
      do: {:ok, dir |> Path.split() |> Path.join()},
      else: {:error, "generated_dir must be a path inside the project, got #{inspect(dir)}"}
  end

  defp relative_dir(other),
    do: {:error, "generated_dir must be a string, got #{inspect(other)}"}

  defp scan(opts) do
    cond do
      not Keyword.keyword?(opts) ->
        {:error, "`snakebridge: [scan: ...]` must be a keyword list, got #{inspect(opts)}"}

      (unknown = Keyword.keys(opts) -- @scan_keys) != [] ->
        {:error,
         "unknown option(s) #{inspect(unknown)} under `snakebridge: [scan: ...]`; known: " <>
           Enum.map_join(@scan_keys, ", ", &inspect/1)}

      true ->
        paths = Keyword.get(opts, :paths, ["lib"])
        exclude = Keyword.get(opts, :exclude, [])
        exs = Keyword.get(opts, :exs, false)

        cond do
          not string_list?(paths) ->
            {:error, "`scan: [paths: ...]` must be a list of directories, got #{inspect(paths)}"}

          not string_list?(exclude) ->
            {:error,
             "`scan: [exclude: ...]` must be a list of glob patterns, got #{inspect(exclude)}"}

          not is_boolean(exs) ->
            {:error, "`scan: [exs: ...]` must be true or false, got #{inspect(exs)}"}

          true ->
            {:ok, %{paths: paths, exclude: exclude, exs: exs}}
        end
    end
  end

  defp string_list?(list), do: is_list(list) and Enum.all?(list, &is_binary/1)

  defp python(configured, root, env) do
    case Map.get(env, "SNAKEBRIDGE_PYTHON") do
      path when is_binary(path) and path != "" ->
        {:ok, {Path.expand(path, root), :env}}

      _ ->
        case configured do
          nil ->
            {:ok, {Path.join([root, ".snakebridge", "venv", "bin", "python"]), :default}}

          path when is_binary(path) ->
            {:ok, {Path.expand(path, root), :config}}

          other ->
            {:error, "`snakebridge: [python: ...]` must be a path string, got #{inspect(other)}"}
        end
    end
  end

  defp mix_env do
    if Code.ensure_loaded?(Mix) and Process.whereis(Mix.State) != nil, do: Mix.env(), else: :prod
  end

  defp snakebridge_version do
    case Application.spec(:snakebridge, :vsn) do
      nil -> @version
      vsn -> List.to_string(vsn)
    end
  end
end
