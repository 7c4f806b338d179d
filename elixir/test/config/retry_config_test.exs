defmodule SnakeBridge.RetryConfigTest do
  # Retry bounds per library and per function in mix.exs: validated by Config, layered by
  # Retry.for_call/4 (pool, library, function, call).
  use ExUnit.Case, async: true

  alias SnakeBridge.Config
  alias SnakeBridge.Runtime.Retry

  defp load(lib),
    do: Config.load([app: :x, version: "0.1.0", snakebridge: [libraries: [sympy: lib]]], "/tmp")

  test "retry: in a library's declaration is normalized" do
    assert {:ok, %{libraries: [%{retry: retry}]}} =
             load(
               version: "~> 1.13",
               retry: [
                 attempts: 5,
                 max: 2_000,
                 functions: [simplify: [attempts: 2], "core.expand": [base: 0]]
               ]
             )

    assert retry == %{
             bounds: [attempts: 5, max: 2_000],
             functions: %{"simplify" => [attempts: 2], "core.expand" => [base: 0]}
           }

    assert {:ok, %{libraries: [%{retry: %{bounds: [], functions: %{"f" => [attempts: 1]}}}]}} =
             load(version: "~> 1.13", retry: [functions: %{"f" => [attempts: 1]}])

    assert {:ok, %{libraries: [%{retry: nil}]}} = load("~> 1.13")

    # And it reaches the runtime's view of the library (baked, or from the app env).
    {:ok, config} = load(version: "~> 1.13", retry: [attempts: 4])

    assert Config.runtime(config).libraries["sympy"].retry == %{
             bounds: [attempts: 4],
             functions: %{}
           }

    assert Config.runtime_overrides!(libraries: [sympy: [retry: [attempts: 4]]]).libraries[
             "sympy"
           ].retry ==
             %{bounds: [attempts: 4], functions: %{}}
  end

  test "bad bounds are refused, naming the library, the function and the fix" do
    for {bad, wanted} <- [
          {[attempts: 0], "retry: must be a keyword list of attempts: (executions in all, >= 1)"},
          {[attempts: 3, backoff: 5], "retry: must be a keyword list of attempts:"},
          {[base: -1], "got [base: -1]"},
          {[functions: [simplify: [attempts: 0]]],
           "retry: functions: simplify: must be a keyword list"},
          {[functions: [simplify: 3]], "retry: functions: simplify: must be"},
          {[functions: :all], "retry must be a keyword list of attempts:"},
          {[functions: [{1, [attempts: 2]}]], "retry must be a keyword list"},
          {:often, "got :often"},
          {[1, 2], "functions: (function name => the same bounds)"}
        ] do
      assert {:error, message} = load(version: "~> 1.13", retry: bad)
      assert message =~ ~s(snakebridge library "sympy": )
      assert message =~ wanted, inspect(bad)
    end

    assert_raise Config.Error,
                 ~r/config :snakebridge, libraries: snakebridge library "sympy": retry/,
                 fn ->
                   Config.runtime_overrides!(libraries: [sympy: [retry: [attempts: 0]]])
                 end
  end

  test "a call's policy: the pool's, under the library's, under the function's, under the call's" do
    libraries = %{
      "sympy" => %{
        python_module: "sympy",
        retry: %{
          bounds: [attempts: 5, max: 2_000],
          functions: %{
            "simplify" => [attempts: 2],
            "core.expand" => [base: 1],
            "sympy.solvers.solve" => [base: 7]
          }
        }
      },
      "json" => %{python_module: "json", retry: nil}
    }

    pool = %Retry{attempts: 3, base: 10, max: 500}

    call = fn module, function ->
      %{library: module |> String.split(".") |> hd(), python_module: module, function: function}
    end

    # The library's bounds over the pool's.
    assert Retry.for_call(pool, call.("sympy", "factor"), nil, libraries) == %Retry{
             attempts: 5,
             base: 10,
             max: 2_000
           }

    # A function by its name, its path under the library, its full path.
    assert Retry.for_call(pool, call.("sympy", "simplify"), nil, libraries).attempts == 2

    assert Retry.for_call(pool, call.("sympy.core", "expand"), nil, libraries) == %Retry{
             attempts: 5,
             base: 1,
             max: 2_000
           }

    assert Retry.for_call(pool, call.("sympy.solvers", "solve"), nil, libraries).base == 7
    # The call's own retry: wins over all of them.
    assert Retry.for_call(pool, call.("sympy", "simplify"), [attempts: 9], libraries).attempts ==
             9

    # A library without retry:, and a module no library declares: the pool's, then the call's.
    assert Retry.for_call(pool, call.("json", "dumps"), nil, libraries) == pool

    assert Retry.for_call(
             pool,
             %{library: nil, python_module: "x", function: "f"},
             [max: 1],
             libraries
           ) == %{pool | max: 1}
  end

  describe "through a real pool" do
    import SnakeBridge.ClusterCase

    # A node of its own: the declaration is the node's (Settings), not this VM's.
    setup do
      cluster =
        start_nodes(1,
          libraries: [
            sbtest: [
              stdlib: true,
              idempotent: true,
              retry: [
                attempts: 4,
                base: 1,
                max: 2,
                functions: [count_sleep_then_crash: [attempts: 2]]
              ]
            ],
            json: :stdlib
          ],
          pools: [
            default: [
              size: 1,
              circuit: [crashes: 100],
              env: %{"PYTHONPATH" => SnakeBridge.RuntimeCase.support_python()}
            ]
          ]
        )

      on_exit(fn -> stop_nodes(cluster) end)
      {:ok, node: hd(cluster.nodes)}
    end

    defp executions(node, function, args, opts) do
      path = Path.join(System.tmp_dir!(), "sbretry-#{System.unique_integer([:positive])}")

      try do
        assert {:error, %SnakeBridge.Error{type: :worker_crash}} =
                 on(node, SnakeBridge, :call, ["sbtest", function, [path | args], opts])

        byte_size(File.read!(path))
      after
        File.rm(path)
      end
    end

    test "the library's bounds, the function's over them, the call's over both", %{node: node} do
      # count_then_crash has the library's bounds, count_sleep_then_crash its own.
      # (Dynamic calls say idempotent: themselves; generated ones carry the declaration's.)
      idempotent = [snakebridge: [idempotent: true]]
      assert executions(node, "count_then_crash", [], idempotent) == 4
      assert executions(node, "count_sleep_then_crash", [0], idempotent) == 2

      assert executions(node, "count_then_crash", [],
               snakebridge: [idempotent: true, retry: [attempts: 3]]
             ) == 3
    end
  end
end
