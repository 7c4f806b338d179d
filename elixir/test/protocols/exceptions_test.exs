defmodule SnakeBridge.Exceptions.Sbproto do
  # What the generator writes for a library whose exception classes the code names.
  @moduledoc false
  def __exceptions__, do: %{"sbproto.LibError" => SnakeBridge.Protocols.Sbproto.LibError}

  def __exception_mro__ do
    %{
      SnakeBridge.Protocols.Sbproto.LibError => [
        "sbproto.LibError",
        "ValueError",
        "Exception",
        "BaseException"
      ]
    }
  end
end

defmodule SnakeBridge.Protocols.Sbproto.LibError do
  @moduledoc false
  defexception [:message, :error]

  @impl true
  def exception(opts), do: struct!(__MODULE__, SnakeBridge.Error.exception_fields(opts))
end

defmodule SnakeBridge.Protocols.ExceptionsTest do
  @moduledoc """
  Library exceptions by name: bang variants raise the module of the most specific Python
  class that has one (generated registry, then the builtin modules), matched on the
  worker's MRO.
  """
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Error
  alias SnakeBridge.Protocols.Sbproto.LibError

  defp fail!(name), do: SnakeBridge.call!("sbproto", "fail", [name, "boom"])

  test "a class with a generated module raises it: rescue by name" do
    error =
      try do
        fail!("LibError")
      rescue
        e in LibError -> e
      end

    assert %LibError{error: %Error{type: :value_error, python_type: "sbproto.LibError"}} = error
    assert error.message =~ "sbproto.LibError: boom"
    assert ["sbproto.LibError", "ValueError", "Exception", "BaseException"] = error.error.mro
  end

  test "a subclass raises its closest base that has a module" do
    assert_raise LibError, ~r/sbproto.SubLibError: boom/, fn -> fail!("SubLibError") end
  end

  test "a ValueError subclass without a module still raises SnakeBridge.ValueError" do
    assert_raise SnakeBridge.ValueError, ~r/sbproto.OtherError: boom/, fn ->
      fail!("OtherError")
    end

    assert_raise SnakeBridge.ValueError, ~r/LinAlgError/, fn ->
      SnakeBridge.call!("numpy.linalg", "inv", [[[1.0, 2.0], [2.0, 4.0]]])
    end
  end

  test "python_class?/2 tests the whole family, whatever module was raised" do
    for name <- ["LibError", "SubLibError", "OtherError"] do
      exception = catch_error(fail!(name))
      assert Error.python_class?(exception, "ValueError")
      assert Error.python_class?(exception, "Exception")
      refute Error.python_class?(exception, "KeyError")
    end

    {:error, error} = SnakeBridge.call("sbproto", "fail", ["SubLibError", "x"])
    assert Error.python_class?(error, "sbproto.LibError")
  end
end
