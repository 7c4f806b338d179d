defmodule SnakeBridge.Runtime.CallbacksGuideTest do
  @moduledoc """
  Runs the `minimize` example of docs/guides/callbacks.md as it is written there, in a
  fresh VM whose default pool is configured the way an app configures it.
  """
  use SnakeBridge.RuntimeCase, async: true

  @guide Path.expand("../../../docs/guides/callbacks.md", __DIR__)

  defp example(name) do
    [_, rest] =
      String.split(File.read!(@guide), "<!-- example: #{name} -->\n```elixir\n", parts: 2)

    [code, _] = String.split(rest, "\n```\n", parts: 2)
    code
  end

  test "the guide's minimize example converges" do
    code = example("minimize")
    assert code =~ "scipy.optimize"
    ebin = Path.expand("../../_build/test/lib/snakebridge/ebin", __DIR__)

    script = """
    Application.put_env(:snakebridge, :python, #{inspect(python())})
    Application.put_env(:snakebridge, :libraries, scipy: "~> 1.13", numpy: "~> 2.0")
    Application.put_env(:snakebridge, :ledger, false)
    Application.put_env(:snakebridge, :pools, default: [size: 1])
    {:ok, _} = Application.ensure_all_started(:snakebridge)
    #{code}
    x = SnakeBridge.method!(result["x"], "tolist")
    true = result["success"]
    true = Enum.all?(x, &(abs(&1 - 1.0) < 1.0e-5))
    IO.puts("GUIDE_OK " <> inspect(x))
    """

    {out, status} = System.cmd("elixir", ["-pa", ebin, "-e", script], stderr_to_stdout: true)

    assert status == 0, out
    assert out =~ "GUIDE_OK [1.0" or out =~ "GUIDE_OK [0.99999"
  end
end
