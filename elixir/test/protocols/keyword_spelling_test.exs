defmodule SnakeBridge.Protocols.KeywordSpellingTest do
  @moduledoc "A Python keyword argument named `snakebridge` is spelled `snakebridge_:`."
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Runtime.Args

  @descriptor %{
    call_type: :call,
    library: "sbproto",
    python_module: "sbproto",
    function: "takes_snakebridge",
    kwargs: ["snakebridge", "other"]
  }

  test "snakebridge_: reaches Python as snakebridge=, beside runtime options" do
    assert {:ok, ["x", 2]} =
             SnakeBridge.call("sbproto", "takes_snakebridge", [],
               snakebridge_: "x",
               other: 2,
               snakebridge: [timeout: 5_000]
             )

    assert {:ok, [nil, 1]} = SnakeBridge.call("sbproto", "takes_snakebridge", [])
    assert {:ok, ["y", 1]} = SnakeBridge.Runtime.call(@descriptor, [], snakebridge_: "y")
  end

  test "the spelling is checked against the function's keywords like any other" do
    assert {:ok, [], [snakebridge: 1], [timeout: 1]} =
             Args.shape(@descriptor, [], snakebridge_: 1, snakebridge: [timeout: 1])

    assert {:error, message} = Args.shape(%{@descriptor | kwargs: ["other"]}, [], snakebridge_: 1)
    assert message =~ "unknown keyword argument(s) snakebridge:"
  end
end
