defmodule Mix.Tasks.Compile.Snakebridge do
  @shortdoc "Generates missing SnakeBridge bindings before Elixir compiles"
  @moduledoc """
  The SnakeBridge pre-pass, as a Mix compiler. Put it first:

      compilers: [:snakebridge] ++ Mix.compilers()

  It scans the project's sources for calls into the Python libraries declared under
  `snakebridge: [libraries: ...]`, and when a call has no binding in
  `lib/snakebridge_generated/` (or the declarations, the lock or the Python environment
  changed) asks the Python CLI to generate it; Elixir's compiler then compiles the
  generated source in the same `mix compile`. When nothing relevant changed it starts
  no OS process.

  ## Options and environment

    * `--force` — rescan every file and regenerate (`mix compile --force` passes it)
    * `--verbose` or `SNAKEBRIDGE_VERBOSE=1` — explain each decision
    * `SNAKEBRIDGE_STRICT=1` or `snakebridge: [strict: true]` — never start Python; fail
      with one diagnostic per call that has no committed binding (for CI)
    * `SNAKEBRIDGE_SKIP=1` — skip the pre-pass entirely

  `mix clean` removes this compiler's cache.
  """

  use Mix.Task.Compiler

  alias SnakeBridge.Scanner.{Cache, Prepass}

  # Loaded in one batch (in parallel, one code-path search) rather than one by one as
  # first called: on a no-op compile, module loading is a visible share of the time.
  @modules [
    SnakeBridge.Config,
    SnakeBridge.Scanner.Prepass,
    SnakeBridge.Scanner.Cache,
    SnakeBridge.Scanner.Files,
    SnakeBridge.Scanner.Stamp,
    SnakeBridge.Scanner.Bindings
  ]

  @impl true
  def run(argv) do
    :code.ensure_modules_loaded(@modules)

    {opts, _rest, _invalid} =
      OptionParser.parse(argv, switches: [force: :boolean, verbose: :boolean])

    run_opts =
      if opts[:verbose] do
        case SnakeBridge.Config.load(Mix.Project.config(), SnakeBridge.Config.project_root()) do
          {:ok, config} -> [config: %{config | verbose: true}]
          {:error, _} -> []
        end
      else
        []
      end

    {status, diagnostics} = Prepass.run([force: opts[:force] == true] ++ run_opts)
    Prepass.print(diagnostics)
    SnakeBridge.Config.Bake.write_project()
    {status, diagnostics}
  end

  @impl true
  def manifests, do: [Cache.path()]

  @impl true
  def clean, do: Cache.clean(Cache.path())
end
