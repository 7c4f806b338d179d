defmodule SnakeBridge.Runtime.SettingsTest do
  @moduledoc """
  `SnakeBridge.Runtime.Settings`: the one map the runtime reads, from the app env, the
  baked declaration or mix.exs, and the pool options.
  """
  use ExUnit.Case, async: false

  alias SnakeBridge.Config
  alias SnakeBridge.Runtime.Settings

  # Restores every :snakebridge key a test touches.
  defp with_env(pairs, fun) do
    saved = for {key, _} <- pairs, do: {key, Application.fetch_env(:snakebridge, key)}
    Enum.each(pairs, fn {key, value} -> Application.put_env(:snakebridge, key, value) end)

    try do
      fun.()
    after
      for {key, previous} <- saved do
        case previous do
          {:ok, value} -> Application.put_env(:snakebridge, key, value)
          :error -> Application.delete_env(:snakebridge, key)
        end
      end
    end
  end

  describe "pools/0" do
    test "a pool's own size wins over pool_size and the default" do
      with_env([pool_size: 7, pools: [one: [size: 1], two: [timeout: 5]]], fn ->
        pools = Settings.pools()
        assert Keyword.get_values(pools[:one], :size) == [1]
        assert Keyword.get_values(pools[:two], :size) == [7]
        assert pools[:two][:timeout] == 5
        assert pools[:one][:timeout] == 30_000
      end)
    end

    test "without pool_size every pool without a size gets one worker per scheduler" do
      with_env([pools: [one: [size: 1], two: []]], fn ->
        saved = Application.fetch_env(:snakebridge, :pool_size)
        Application.delete_env(:snakebridge, :pool_size)

        try do
          pools = Settings.pools()
          assert pools[:one][:size] == 1
          assert pools[:two][:size] == System.schedulers_online()
        after
          with {:ok, size} <- saved, do: Application.put_env(:snakebridge, :pool_size, size)
        end
      end)
    end

    test "an unknown pool key is refused, naming it, the closest key and every key" do
      with_env([pools: [gpu: [size: 1, spare: 1]]], fn ->
        error = assert_raise ArgumentError, fn -> Settings.pools() end
        assert error.message =~ "config :snakebridge, pools: [gpu: ...]"
        assert error.message =~ ":spare (did you mean :spares?)"
        assert error.message =~ ":pipeline"
      end)

      with_env([pools: [gpu: [colour: :blue]]], fn ->
        error = assert_raise ArgumentError, fn -> Settings.pools() end
        assert error.message =~ "unknown pool key(s) :colour; a pool takes :size"
      end)

      with_env([pools: [gpu: :fast]], fn ->
        assert_raise ArgumentError, ~r/pool options must be a keyword list/, fn ->
          Settings.pools()
        end
      end)
    end

    test "every documented pool key is accepted" do
      opts = Enum.map(SnakeBridge.Runtime.Pool.keys(), &{&1, nil})

      with_env([pools: [all: opts]], fn ->
        assert [all: _] = Settings.pools()
      end)

      assert_raise ArgumentError, ~r/start_link.*:spare \(did you mean :spares\?\)/, fn ->
        SnakeBridge.Runtime.Pool.start_link(name: :never, spare: 1)
      end
    end

    test "global timeouts apply to every pool unless the pool sets its own" do
      with_env([timeout: 9, pools: [a: [], b: [timeout: 3]]], fn ->
        assert Settings.pools()[:a][:timeout] == 9
        assert Settings.pools()[:b][:timeout] == 3
      end)
    end
  end

  describe "load/0" do
    test "the app env declaration goes through Config's rules" do
      with_env(
        [
          libraries: [
            "scikit-learn": [python_module: "sklearn", allow: [:pickle]],
            json: :stdlib
          ],
          callbacks: [SnakeBridge.Runtime.SettingsTest],
          python_path: ["priv/python"],
          docs: [source: :hybrid],
          node: :any,
          root: "/srv/app"
        ],
        fn ->
          settings = Settings.load()

          assert settings.libraries["scikit-learn"] == %{
                   python_module: "sklearn",
                   python_module_declared: true,
                   module_name: Sklearn,
                   include: [],
                   exclude: [],
                   streaming: [],
                   idempotent: false,
                   allow: [:pickle],
                   circuit: nil,
                   retry: nil,
                   locked: nil
                 }

          assert settings.callbacks == %{SnakeBridge.Runtime.SettingsTest => :all}
          assert settings.docs == %{source: :hybrid}
          assert settings.node == :any
          assert settings.root == "/srv/app"
          # PYTHONPATH prefix: snakebridge's worker source, then the project's dirs.
          [worker_src, project_dir] = String.split(settings.python_path, ":")
          assert File.dir?(Path.join(worker_src, "snakebridge"))
          assert project_dir == "/srv/app/priv/python"
          assert {:ok, _python} = settings.python
        end
      )
    end

    test "an invalid app env declaration is refused with the key and the fix" do
      with_env([libraries: [numpy: [allow: [:everything]]]], fn ->
        assert_raise Config.Error,
                     ~r/libraries: .*allow: \[:everything\] is not a capability/,
                     fn ->
                       Settings.load()
                     end
      end)
    end

    test "allow: takes every capability the worker enforces" do
      all = [:subprocess, :dlopen, :pickle, :import, :set_attr]
      assert %{"numpy" => %{allow: allowed}} = Settings.normalize_libraries(numpy: [allow: all])
      assert Enum.sort(allowed) == Enum.sort(all)
    end

    test "normalize_libraries/1 is Config's normalizer; maps pass through" do
      assert %{"a-b" => %{python_module: "a_b", module_name: AB}} =
               Settings.normalize_libraries("a-b": "~> 1.0")

      assert Settings.normalize_libraries(%{"x" => %{python_module: "x"}}) == %{
               "x" => %{python_module: "x"}
             }
    end
  end
end
