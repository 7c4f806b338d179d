defmodule SnakeBridge.Config.BakeTest do
  @moduledoc "The declaration compiled into the application, and read back without Mix."
  use ExUnit.Case, async: false

  alias SnakeBridge.Config
  alias SnakeBridge.Config.Bake

  # A compile run in this VM by an earlier test (the pre-pass tests bake their temp
  # project) leaves the module loaded; so does each test here: neither may leak.
  defp unload do
    :code.purge(Bake.module())
    :code.delete(Bake.module())
    :code.purge(Bake.module())
  end

  setup do
    ebin = Path.join(System.tmp_dir!(), "sb_bake_#{System.unique_integer([:positive])}")
    unload()

    on_exit(fn ->
      unload()
      File.rm_rf!(ebin)
    end)

    {:ok, ebin: ebin}
  end

  defp config(opts), do: Config.load!([snakebridge: opts], "/srv/app", %{})

  test "write/2 compiles the runtime map; read/0 returns it; same input, same bytes", %{
    ebin: ebin
  } do
    config =
      config(
        libraries: [numpy: "~> 2.0", json: :stdlib, "scikit-learn": [python_module: "sklearn"]],
        callbacks: [{MyApp.Tools, [:lookup]}],
        python_path: ["priv/python"],
        docs: [source: :metadata]
      )

    assert Bake.write(config, ebin) == :ok
    beam = Path.join(ebin, "Elixir.SnakeBridge.Config.Baked.beam")
    bytes = File.read!(beam)
    assert Bake.read() == Config.runtime(config)
    assert Bake.read().libraries["scikit-learn"].python_module == "sklearn"

    # Unchanged declaration: the file is not rewritten.
    assert Bake.write(config, ebin) == :unchanged
    assert File.read!(beam) == bytes
    assert Bake.compile(Config.runtime(config)) == bytes

    # A changed declaration replaces the file and the loaded module.
    changed = config(libraries: [numpy: "~> 2.0"])
    assert Bake.write(changed, ebin) == :ok
    assert Map.keys(Bake.read().libraries) == ["numpy"]
  end

  test "read/0 is nil where nothing was baked (this project)" do
    assert Bake.read() == nil
  end

  test "the baked declaration is what Settings.load/0 uses when the app env is silent", %{
    ebin: ebin
  } do
    Bake.write(config(libraries: [json: :stdlib], node: :any, docs: [source: :hybrid]), ebin)
    settings = SnakeBridge.Runtime.Settings.load()
    # test_helper.exs sets `libraries` in the app env, which wins; the rest is baked.
    assert settings.node == :any
    assert settings.docs == %{source: :hybrid}
    assert Map.has_key?(settings.libraries, "numpy")
  end
end
