defmodule SnakeBridge.Runtime.PolicyTest do
  @moduledoc "The library declaration reaches the worker: exclude:, allow: and set_attr."
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Error

  setup do
    pool =
      start_pool(:"policy_#{System.unique_integer([:positive])}",
        libraries: [
          json: [stdlib: true, exclude: ["loads"]],
          sbtest: [stdlib: true, allow: [:set_attr]],
          numpy: "~> 2.0"
        ]
      )

    {:ok, opts: [snakebridge: [pool: pool]]}
  end

  test "exclude: is enforced by the worker for dynamic calls", %{opts: opts} do
    assert {:error,
            %Error{
              type: :not_allowed,
              reason: :excluded,
              policy: %{event: nil, library: "json", option: nil},
              message: message
            }} = SnakeBridge.call("json", "loads", ["[1]"], opts)

    assert message =~ "exclude: \"loads\"" or message =~ "exclude: 'loads'"
    assert {:ok, "[1]"} = SnakeBridge.call("json", "dumps", [[1]], opts)
  end

  test "set_attr on a module attribute follows allow:", %{opts: opts} do
    assert {:error, %Error{type: :not_allowed, message: message, reason: reason, policy: policy}} =
             SnakeBridge.Runtime.call(
               %{
                 call_type: :set_attr,
                 library: "json",
                 python_module: "json",
                 function: "dumps",
                 kwargs: :any
               },
               [1],
               opts
             )

    assert message =~ "allow: [:set_attr]"
    assert reason == :set_attr
    assert policy == %{event: "set_attr", library: "json", option: [allow: [:set_attr]]}
    assert {:ok, "[1]"} = SnakeBridge.call("json", "dumps", [[1]], opts)
  end

  test "the audit policy refuses a process start naming the option", %{opts: opts} do
    marker = Path.join(System.tmp_dir!(), "sb_audit_#{System.unique_integer([:positive])}")

    assert {:error,
            %Error{
              type: :not_allowed,
              reason: :subprocess,
              policy: %{event: "os.system", library: "numpy", option: [allow: [:subprocess]]},
              message: message
            }} =
             SnakeBridge.call(
               "numpy.testing",
               "runstring",
               ["import os; os.system('touch #{marker}')", %{}],
               opts
             )

    assert message =~ "os.system"
    assert message =~ "allow: [:subprocess]"
    refute File.exists?(marker)
  end

  test "every refusal names its rule", %{opts: opts} do
    refused = fn result ->
      assert {:error, %Error{type: :not_allowed, reason: reason, policy: policy}} = result
      {reason, policy}
    end

    assert {:undeclared, %{event: nil, option: nil}} =
             refused.(SnakeBridge.call("os", "system", ["true"], opts))

    assert {:forbidden, %{event: nil}} =
             refused.(SnakeBridge.call("sbtest", "leak_eval", [], opts))

    assert {:internal, _} = refused.(SnakeBridge.get("json", "__loader__", opts))
  end
end
