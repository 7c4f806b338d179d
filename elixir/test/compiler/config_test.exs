defmodule SnakeBridge.ConfigTest do
  @moduledoc "The `snakebridge:` declaration: normalization, the context map, and clear errors."
  use ExUnit.Case, async: false

  alias SnakeBridge.Config

  @root "/tmp/sb_config_app"

  defp load(opts, env \\ %{}), do: Config.load([snakebridge: opts], @root, env)

  test "the forms of a library declaration normalize into the documented context" do
    {:ok, config} =
      load(
        libraries: [
          numpy: "~> 2.0",
          sympy: [version: "~> 1.13", idempotent: :all],
          pandas: [version: "~> 2.2", module_name: Pd, exclude: ["eval"], streaming: [:read_csv]],
          json: :stdlib,
          scikit_learn: [python_module: "sklearn", idempotent: [:fit, "predict"]]
        ]
      )

    context = Config.context(config)
    assert context["root"] == @root
    assert context["generated_dir"] == "lib/snakebridge_generated"
    assert context["python"] == Path.join(@root, ".snakebridge/venv/bin/python")
    assert context["strict"] == false and context["verbose"] == false
    assert context["snakebridge_version"] == Mix.Project.config()[:version]
    assert context["elixir_version"] == System.version()

    by_name = Map.new(context["libraries"], &{&1["name"], &1})
    assert Enum.map(context["libraries"], & &1["name"]) == Enum.sort(Map.keys(by_name))

    assert by_name["numpy"] == %{
             "name" => "numpy",
             "version" => "~> 2.0",
             "stdlib" => false,
             "local" => false,
             "module_name" => "Numpy",
             "python_module" => "numpy",
             "python_module_declared" => false,
             "include" => [],
             "exclude" => [],
             "streaming" => [],
             "idempotent" => false
           }

    assert by_name["sympy"]["idempotent"] == true
    assert by_name["pandas"]["module_name"] == "Pd"
    assert by_name["pandas"]["exclude"] == ["eval"]
    assert by_name["pandas"]["streaming"] == ["read_csv"]
    assert %{"stdlib" => true, "version" => nil, "module_name" => "Json"} = by_name["json"]
    assert by_name["scikit_learn"]["module_name"] == "Sklearn"
    assert by_name["scikit_learn"]["python_module_declared"] == true
    assert by_name["scikit_learn"]["idempotent"] == ["fit", "predict"]
    assert Config.library_modules(config) == ["Json", "Numpy", "Pd", "Sklearn", "Sympy"]
  end

  test "a project-local module: `:local` or `local: true`, with python_path:" do
    {:ok, config} =
      load(
        python_path: ["priv/python"],
        libraries: [tools: :local, helpers: [local: true, module_name: MyHelpers]]
      )

    by_name = Map.new(Config.context(config)["libraries"], &{&1["name"], &1})
    assert Config.context(config)["python_path"] == ["priv/python"]

    assert %{"local" => true, "stdlib" => false, "version" => nil, "module_name" => "Tools"} =
             by_name["tools"]

    assert %{"local" => true, "module_name" => "MyHelpers", "python_module" => "helpers"} =
             by_name["helpers"]

    assert load(libraries: [tools: :local]) ==
             {:error,
              ~s(snakebridge library "tools" is declared :local (a Python module of this ) <>
                ~s(project\), but `python_path:` is empty, so no worker or generator can ) <>
                ~s(import it; add the directory that holds tools.py under `snakebridge:` in ) <>
                ~s(mix.exs, e.g. `python_path: ["priv/python"]`)}
  end

  test "interpreter resolution: env, then python:, then the managed venv" do
    {:ok, c} = load(libraries: [numpy: "~> 2.0"], python: "py/bin/python")
    assert {c.python, c.python_source} == {Path.join(@root, "py/bin/python"), :config}

    {:ok, c} =
      load([libraries: [numpy: "~> 2.0"], python: "py/bin/python"], %{
        "SNAKEBRIDGE_PYTHON" => "/opt/py"
      })

    assert {c.python, c.python_source} == {"/opt/py", :env}

    {:ok, c} = load(libraries: [numpy: "~> 2.0"])
    assert c.python_source == :default
  end

  test "environment flags" do
    {:ok, c} =
      load([libraries: [], strict: false], %{
        "SNAKEBRIDGE_STRICT" => "1",
        "SNAKEBRIDGE_SKIP" => "1",
        "SNAKEBRIDGE_VERBOSE" => "true"
      })

    assert {c.strict, c.skip, c.verbose} == {true, true, true}
    {:ok, c} = load(libraries: [], strict: true)
    assert {c.strict, c.skip, c.verbose} == {true, false, false}
  end

  test "scan options" do
    {:ok, c} =
      load(libraries: [], scan: [paths: ["lib", "apps"], exclude: ["lib/old/**"], exs: true])

    assert {c.scan_paths, c.scan_exclude, c.scan_exs} == {["lib", "apps"], ["lib/old/**"], true}
  end

  errors = [
    {nil, "no `snakebridge:` entry"},
    {[librarys: []], "unknown option(s) [:librarys] under `snakebridge:`"},
    {[], "has no `libraries:`"},
    {[libraries: [numpy: 2]], ~s(snakebridge library "numpy": expected a version requirement)},
    {[libraries: [numpy: "2.0"]], ~s(version "2.0" is not a valid requirement)},
    {[libraries: [numpy: [versoin: "~> 2.0"]]], "unknown option(s) [:versoin]; known: :version"},
    {[libraries: [numpy: [module_name: "numpy"]]],
     "module_name \"numpy\" is not an Elixir module alias"},
    {[libraries: [numpy: [exclude: "eval"]]], "exclude must be a list of names"},
    {[libraries: [numpy: [idempotent: :sometimes]]], "idempotent must be true, false, :all"},
    {[libraries: [numpy: "~> 2.0", np: [python_module: "numpy", module_name: Numpy]]],
     ~s(libraries "np" and "numpy" both map to the Elixir module Numpy)},
    {[libraries: [], strict: "yes"], "`snakebridge: [strict: ...]` must be true or false"},
    {[libraries: [], generated_dir: "/abs"], "generated_dir must be a path inside the project"},
    {[libraries: [], scan: [path: ["lib"]]],
     "unknown option(s) [:path] under `snakebridge: [scan: ...]`"},
    {[libraries: [], python: 3], "`snakebridge: [python: ...]` must be a path string"},
    {[libraries: [numpy: [allow: [:network]]]], "allow: [:network] is not a capability"},
    {[libraries: [numpy: [allow: :pickle]]], "allow must be a list"},
    {[libraries: [], python_path: "priv/python"], "python_path must be a list"},
    {[libraries: [], python_path: ["/abs"]], "python_path entries must be directories inside"},
    {[libraries: [], python_path: ["../up"]], "python_path entries must be directories inside"},
    {[libraries: [], callbacks: ["MyApp.Tools"]], ~s(callbacks: "MyApp.Tools" is not a module)},
    {[libraries: [], callbacks: [{MyApp.Tools, []}]], "must list function names"},
    {[libraries: [], callbacks: [{MyApp.Tools, ["Bad Name"]}]], "must list function names"},
    {[libraries: [], callbacks: MyApp.Tools], "callbacks must be a list"},
    {[libraries: [], docs: :metadata], "docs must be a keyword list"},
    {[libraries: [], docs: [source: :html]], "docs: [source: ...] must be one of"},
    {[libraries: [], docs: [sauce: :python]], "unknown option(s) [:sauce] under `docs:`"},
    {[libraries: [], node: :elsewhere], "node must be :local, :any or a node name"},
    {[libraries: [], node: "py@host"], "node must be :local, :any or a node name"},
    {[libraries: [tools: :local]], ~s(`python_path:` is empty, so no worker or generator)},
    {[libraries: [tools: [local: true, stdlib: true]], python_path: ["py"]],
     "is declared both stdlib and local"},
    {[libraries: [tools: [local: true, version: "~> 1.0"]], python_path: ["py"]],
     ~s(has version "~> 1.0" but is declared :local, which has no version)}
  ]

  for {{opts, message}, i} <- Enum.with_index(errors) do
    @opts opts
    @message message
    test "error #{i}: #{message}" do
      project = if @opts == nil, do: [], else: [snakebridge: @opts]
      assert {:error, error} = Config.load(project, @root, %{})
      assert error =~ @message
    end
  end

  test "load!/3 raises Config.Error with the message" do
    assert_raise Config.Error, ~r/has no `libraries:`/, fn ->
      Config.load!([snakebridge: []], @root, %{})
    end
  end

  test "bootstrap interpreter: env first, then python3.11/python3 on PATH" do
    assert {:error, msg} =
             Config.bootstrap_python(%{"SNAKEBRIDGE_BOOTSTRAP_PYTHON" => "/nope/python"})

    assert msg =~ "/nope/python"
    python = Path.expand("../../../.venv/bin/python", __DIR__)
    assert Config.bootstrap_python(%{"SNAKEBRIDGE_BOOTSTRAP_PYTHON" => python}) == {:ok, python}
    assert {:ok, found} = Config.bootstrap_python(%{})
    assert Path.basename(found) in ["python3.11", "python3"]
  end

  test "runtime/0 for the current Mix project" do
    # The snakebridge project itself declares no libraries, so point at a temp project.
    root = Path.join(System.tmp_dir!(), "sb_runtime_cfg_#{System.unique_integer([:positive])}")
    File.mkdir_p!(root)
    on_exit(fn -> File.rm_rf!(root) end)

    File.write!(Path.join(root, "mix.exs"), """
    defmodule SbRuntimeCfg#{System.unique_integer([:positive])}.MixProject do
      use Mix.Project
      def project, do: [app: :sb_runtime_cfg, version: "0.1.0", build_path: Path.join(__DIR__, "_build"),
        snakebridge: [libraries: [numpy: "~> 2.0", sympy: [version: "~> 1.13", idempotent: ["simplify"]]]]]
    end
    """)

    # Pushed by hand rather than with Mix.Project.in_project/4, which changes the working
    # directory under test files that may still be loading.
    file = Path.join(root, "mix.exs")
    # Compiling a mix.exs pushes its project (`use Mix.Project` does it after compile).
    Code.compile_file(file)

    runtime =
      try do
        Config.runtime()
      after
        Mix.Project.pop()
      end

    assert %{
             libraries: %{"numpy" => numpy, "sympy" => sympy},
             callbacks: %{},
             python_path: [],
             docs: %{source: :python},
             node: :local
           } = runtime

    assert runtime.python == Path.join(runtime.root, ".snakebridge/venv/bin/python")
    assert runtime.mix_env == Mix.env()

    assert numpy == %{
             python_module: "numpy",
             python_module_declared: false,
             module_name: Numpy,
             include: [],
             exclude: [],
             streaming: [],
             idempotent: false,
             allow: [],
             circuit: nil,
             retry: nil,
             locked: nil
           }

    assert sympy.idempotent == ["simplify"]
    assert Path.basename(runtime.root) == Path.basename(root)
  end

  test "runtime/0 in a project without a snakebridge: entry (this one) is nil" do
    assert Config.runtime() == nil
  end

  test "the second-wave options normalize into the runtime map" do
    {:ok, config} =
      load(
        libraries: [
          "scikit-learn": [version: "~> 1.5", python_module: "sklearn", module_name: Sklearn],
          sympy: [version: "~> 1.13", exclude: ["sympify"], allow: [:pickle, :subprocess]],
          Pillow: ">= 10.0.0",
          faulthandler: :stdlib
        ],
        python_path: ["priv/python", "lib/py/", "priv/python"],
        callbacks: [MyApp.Tools, {MyApp.Other, [:score, "lookup", :score]}],
        docs: [source: :metadata],
        node: :py@host
      )

    runtime = Config.runtime(config)
    assert runtime.python_path == ["priv/python", "lib/py"]
    assert runtime.callbacks == %{MyApp.Tools => :all, MyApp.Other => ["lookup", "score"]}
    assert runtime.docs == %{source: :metadata}
    assert runtime.node == :py@host
    assert runtime.libraries["sympy"].allow == [:pickle, :subprocess]
    assert runtime.libraries["sympy"].exclude == ["sympify"]
    assert runtime.libraries["scikit-learn"].python_module == "sklearn"
    assert runtime.libraries["scikit-learn"].module_name == Sklearn
    # Undeclared import names: the declared name, `-` as `_`; the Python side resolves it.
    assert %{python_module: "Pillow", python_module_declared: false, module_name: Pillow} =
             runtime.libraries["Pillow"]

    assert runtime.libraries["faulthandler"].python_module == "faulthandler"

    {:ok, config} = load(libraries: [], callbacks: %{MyApp.Tools => [:lookup]})
    assert config.callbacks == %{MyApp.Tools => ["lookup"]}
    {:ok, config} = load(libraries: [])

    assert {config.callbacks, config.python_path, config.docs, config.node} ==
             {%{}, [], %{source: :python}, :local}
  end

  test "runtime/1 leaves SNAKEBRIDGE_PYTHON to the runtime" do
    {:ok, config} = load([libraries: []], %{"SNAKEBRIDGE_PYTHON" => "/opt/py"})
    assert config.python == "/opt/py"
    assert Config.runtime(config).python == Path.join(@root, ".snakebridge/venv/bin/python")
  end

  test "runtime_overrides!/1 applies the mix.exs rules to the app env, naming the key" do
    assert %{libraries: %{"json" => %{python_module: "json"}}, node: :any} =
             Config.runtime_overrides!(libraries: [json: :stdlib], node: :any, pool_size: 3)

    assert_raise Config.Error, ~r/config :snakebridge, docs: .*:html/, fn ->
      Config.runtime_overrides!(docs: [source: :html])
    end
  end
end
