defmodule SnakeBridge.Release do
  @moduledoc """
  Ships the project's Python environment, interpreter included, inside a Mix release,
  and finds it again when the release runs, so a release needs neither Mix, nor the
  project directory, nor a Python, nor a setup step on the target. One line in mix.exs:

      releases: [
        my_app: [steps: [:assemble, &SnakeBridge.Release.step/1]]
      ]

  `step/1` runs the Python command `snakebridge release` on the project's interpreter
  (see `snakebridge.commands.release` for what is copied and what the target still
  needs), then records the result in `<release>/snakebridge/release.config` and adds
  `snakebridge/` to the release's overlays (so a later `:tar` step packs it).

  At run time `SnakeBridge.Runtime.Settings` takes the interpreter and the
  `python_path:` directories from `shipped/0`, found relative to the release root
  (`:code.root_dir/0`), so the release directory can be moved or copied anywhere.
  `SNAKEBRIDGE_PYTHON` and `config :snakebridge, python: ...` still win over it. The
  library declaration itself travels in the compiled app (`SnakeBridge.Config.Bake`).
  """

  alias SnakeBridge.{CLIPort, Config}

  @dir "snakebridge"
  @config_file "release.config"

  @typedoc "What a release ships (`shipped/0`); paths are absolute."
  @type shipped :: %{
          root: String.t(),
          python: String.t(),
          python_path: [String.t()],
          interpreter: :uv_managed | :located,
          base_python: String.t()
        }

  @doc "A release step: copies the Python environment into `release.path`."
  @spec step(Mix.Release.t()) :: Mix.Release.t()
  def step(%{path: path} = release) do
    config = Config.load!()
    vsn = to_string(Application.spec(:snakebridge, :vsn))

    payload =
      config
      |> Config.context()
      |> Map.merge(%{
        "argv" => [],
        "release_dir" => path,
        "python_source" => Path.join([path, "lib", "snakebridge-#{vsn}", "priv", "python"])
      })

    case CLIPort.run(config.python, "release", payload, verbose: config.verbose) do
      {:ok, 0, data} ->
        record(path, data)
        %{release | overlays: Enum.uniq([@dir | release.overlays])}

      {:ok, _code, data} ->
        Mix.raise("snakebridge: the release step failed: #{data["error"] || "see above"}")

      {:error, message} ->
        Mix.raise("snakebridge: the release step failed: " <> message)
    end
  end

  @doc false
  # Writes what the Python command reported as Erlang terms (read back by shipped/1).
  @spec record(String.t(), map) :: :ok
  def record(path, data) do
    term = %{
      python: data["python"],
      python_path: data["python_path"],
      interpreter: interpreter(data["interpreter"]),
      base_python: data["base_python"]
    }

    content = :io_lib.format("~p.~n", [term])
    File.write!(Path.join([path, @dir, @config_file]), content)
  end

  # Where the copied interpreter came from, for the record.
  defp interpreter("uv-managed"), do: :uv_managed
  defp interpreter("located"), do: :located

  @doc """
  The environment shipped with the running release, or `nil` outside a release (or in
  one built without `step/1`).
  """
  @spec shipped() :: shipped | nil
  def shipped, do: shipped(to_string(:code.root_dir()))

  @doc false
  @spec shipped(String.t()) :: shipped | nil
  def shipped(release_root) do
    root = Path.join(release_root, @dir)

    case :file.consult(String.to_charlist(Path.join(root, @config_file))) do
      {:ok, [%{python: python, python_path: dirs} = term]} ->
        %{
          root: root,
          python: Path.join(root, python),
          python_path: Enum.map(dirs, &Path.join(root, &1)),
          interpreter: term.interpreter,
          base_python: term.base_python
        }

      _ ->
        nil
    end
  end
end
