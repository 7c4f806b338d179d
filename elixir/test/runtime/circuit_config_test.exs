defmodule SnakeBridge.Runtime.CircuitConfigTest do
  @moduledoc """
  Crash-barrier limits per library (`circuit:` in the library's declaration), circuits
  visible through `SnakeBridge.Circuits`, and the `:dev` crash record the doctor reads.
  """
  use SnakeBridge.RuntimeCase, async: true

  import ExUnit.CaptureLog

  alias SnakeBridge.{Circuits, Config, Error}
  alias SnakeBridge.Runtime.{Circuit, Pool}

  defp pool_name, do: :"circuit_cfg_#{System.unique_integer([:positive])}"

  test "circuit: in a library's declaration is validated" do
    base = [app: :x, version: "0.1.0"]
    load = fn lib -> Config.load(base ++ [snakebridge: [libraries: [sbtest: lib]]], "/tmp") end

    assert {:ok, %{libraries: [%{circuit: [crashes: 1, cool_down: 5]}]}} =
             load.(stdlib: true, circuit: [crashes: 1, cool_down: 5])

    assert {:ok, %{libraries: [%{circuit: nil}]}} = load.(stdlib: true)

    for bad <- [[crashes: 0], [crashes: "3"], [burst: 2], :often, [1, 2]] do
      assert {:error, message} = load.(stdlib: true, circuit: bad)
      assert message =~ "circuit must be a keyword list of crashes:, window:"
    end
  end

  test "limits per library win over the pool's, matched by module" do
    pool = %{crashes: 3, window: 60_000, cool_down: 10_000, max_cool_down: 600_000}

    by_module =
      Circuit.library_limits(
        %{
          "a" => %{python_module: "mylib", circuit: [crashes: 1]},
          "b" => %{python_module: "mylib.sub", circuit: [cool_down: 5]},
          "c" => %{python_module: "other", circuit: nil}
        },
        pool
      )

    assert Circuit.limits_for(by_module, "mylib.f", pool).crashes == 1
    assert Circuit.limits_for(by_module, "mylib.sub.g", pool) == %{pool | cool_down: 5}
    assert Circuit.limits_for(by_module, "mylibrary.f", pool) == pool
    assert Circuit.limits_for(by_module, "other.f", pool) == pool
  end

  test "a library declared with circuit: [crashes: 1] opens on its first crash; list/0 shows it" do
    name = pool_name()

    start_pool(name,
      libraries: [
        sbtest: [stdlib: true, circuit: [crashes: 1, cool_down: 60_000]],
        json: :stdlib
      ],
      circuit: [crashes: 5]
    )

    capture_log(fn ->
      assert {:error, %Error{type: :worker_crash, reason: :segfault}} =
               SnakeBridge.call("sbtest", "segfault", [], snakebridge: [pool: name])

      assert {:error, %Error{type: :circuit_open, message: message}} =
               SnakeBridge.call("sbtest", "segfault", [], snakebridge: [pool: name])

      assert message =~ "1 times"
    end)

    assert [%{function: "sbtest.segfault", state: :open, crashes: 1, limits: limits}] =
             Pool.circuits(name)

    assert limits == %{crashes: 1, window: 60_000, cool_down: 60_000, max_cool_down: 600_000}
    wait_ready(name)
    assert {:ok, "[1]"} = SnakeBridge.call("json", "dumps", [[1]], snakebridge: [pool: name])
  end

  test "a :dev pool records its circuits for the doctor" do
    root = Path.join(System.tmp_dir!(), "sb_crash_record_#{System.unique_integer([:positive])}")
    File.mkdir_p!(root)
    on_exit(fn -> File.rm_rf!(root) end)

    report = [
      %{function: "m.f", state: :open, reason: :segfault, crashes: 3, retry_in_ms: 9_000},
      %{function: "m.g", state: :closed, reason: {:exit, 7}, crashes: 1, retry_in_ms: nil}
    ]

    assert Circuits.record(:default, report, %{mix_env: :test, root: root}) == :ok
    assert Circuits.recorded(root) == %{}
    assert Circuits.record(:default, report, %{mix_env: :dev, root: root}) == :ok
    assert Circuits.record(:other, [], %{mix_env: :dev, root: root}) == :ok

    assert %{"default" => %{"circuits" => [f, g]}, "other" => %{"circuits" => []}} =
             Circuits.recorded(root)

    assert f == %{
             "function" => "m.f",
             "state" => "open",
             "reason" => "segfault",
             "crashes" => 3,
             "retry_in_ms" => 9_000
           }

    assert g["reason"] == "exit status 7"

    {:ok, config} =
      Config.load(
        [
          app: :x,
          version: "0.1.0",
          snakebridge: [libraries: [m: [stdlib: true, circuit: [crashes: 1]], json: :stdlib]]
        ],
        root
      )

    lines = Circuits.doctor_lines(config)
    assert "Crash barrier:" in lines
    assert Enum.any?(lines, &(&1 =~ "m: circuit opens after 1 crashes in 60000 ms"))
    assert Enum.any?(lines, &(&1 =~ "json: circuit opens after 3 crashes" and &1 =~ "the pool's"))
    assert Enum.any?(lines, &(&1 =~ "[open] m.f (pool default): 3 crashes, last segfault"))

    # A damaged record is no record.
    File.write!(Circuits.record_path(root), "junk")
    assert Circuits.recorded(root) == %{}
  end

  test "max_inflated_bytes: is validated and reaches the runtime settings" do
    base = [app: :x, version: "0.1.0"]

    load = fn opts ->
      Config.load(base ++ [snakebridge: [libraries: [json: :stdlib]] ++ opts], "/tmp")
    end

    assert {:ok, config} = load.(max_inflated_bytes: 65_536)
    assert Config.runtime(config).max_inflated_bytes == 65_536
    assert {:ok, config} = load.([])
    assert Config.runtime(config).max_inflated_bytes == nil

    for bad <- [0, -1, "1GB", 1.5] do
      assert {:error, message} = load.(max_inflated_bytes: bad)
      assert message =~ "max_inflated_bytes must be a positive integer (bytes)"
    end

    assert %{max_inflated_bytes: 4096} = Config.runtime_overrides!(max_inflated_bytes: 4096)
  end
end
