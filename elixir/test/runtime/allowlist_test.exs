defmodule SnakeBridge.Runtime.AllowlistTest do
  @moduledoc "Hostile calls: nothing outside the declared libraries may run or be imported."
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Error

  setup do
    marker = Path.join(System.tmp_dir!(), "sb_pwned_#{System.unique_integer([:positive])}")
    on_exit(fn -> File.rm(marker) end)
    {:ok, marker: marker}
  end

  defp refused(result) do
    assert {:error, %Error{type: :not_allowed, message: message}} = result
    assert message =~ "allowlist"
    message
  end

  test "an undeclared library is refused before anything runs", %{marker: marker} do
    message = refused(SnakeBridge.call("os", "system", ["touch #{marker}"]))
    assert message =~ "declare it"
    refused(SnakeBridge.call("subprocess", "run", [["touch", marker]]))
    refute File.exists?(marker)
  end

  test "an undeclared module is never imported" do
    refused(SnakeBridge.call("sqlite3", "connect", [":memory:"]))
    assert {:ok, false} = SnakeBridge.call("sbtest", "imported", ["sqlite3"])
  end

  test "attributes that resolve to an undeclared module are refused", %{marker: marker} do
    # sbtest imports os; json imports codecs and re: none of them is declared.
    refused(SnakeBridge.call("sbtest", "os.system", ["touch #{marker}"]))
    refused(SnakeBridge.call("json", "codecs.open", [marker, "w"]))
    refused(SnakeBridge.call("json.decoder", "re.compile", ["x"]))
    refused(SnakeBridge.get("sbtest", "os"))
    refute File.exists?(marker)
  end

  test "results that are undeclared modules or their functions are refused" do
    refused(SnakeBridge.call("sbtest", "get_os"))
    refused(SnakeBridge.call("sbtest", "get_system"))
  end

  test "interpreter internals are out of reach", %{marker: marker} do
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [1])
    assert {:error, %Error{type: :not_allowed}} = SnakeBridge.attr(box, "__class__")

    assert {:error, %Error{type: :not_allowed}} =
             SnakeBridge.call("sbtest", "shout.__globals__", [])

    assert {:error, %Error{type: :not_allowed}} = SnakeBridge.method(box, "__init__", [2])
    assert {:error, %Error{type: :not_allowed}} = SnakeBridge.call("sbtest", "__builtins__", [])
    refute File.exists?(marker)
  end

  test "a declared module cannot be left through a relative path" do
    refused(
      SnakeBridge.Runtime.call(
        %{
          call_type: :call,
          library: "json",
          python_module: "os",
          function: "system",
          kwargs: :any
        },
        ["true"]
      )
    )
  end

  test "allowed protocol dunders still work" do
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [1])
    assert {:ok, 3} = SnakeBridge.method(box, "__len__")
  end
end
