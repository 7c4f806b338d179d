defmodule SnakeBridge.Ref do
  @moduledoc """
  A handle to a Python object that has no faithful Elixir value (a numpy array, a sympy
  expression, an iterator...). Pass it to later calls as any argument.

  A ref is bound to its session and to the worker that holds the object: calls that
  use it go to that worker; a ref used from another session, after its session ended,
  after `SnakeBridge.release/1`, or after its worker died gives a `:ref_lost` error.
  `id` is 128 random bits, so refs cannot be guessed.

  `type` is the Python class (`"numpy.ndarray"`) and `repr` a short `repr()` taken when
  the ref was made; `inspect/1` shows both. `to_string/1` asks Python for `str(obj)`;
  `Enum` functions iterate the object in Python (lazily, like `SnakeBridge.stream/4`).
  """
  @enforce_keys [:id, :session, :worker]
  defstruct [:id, :session, :worker, :pool, :type, :repr]

  @type t :: %__MODULE__{
          id: String.t(),
          session: String.t(),
          worker: String.t(),
          pool: atom,
          type: String.t(),
          repr: String.t()
        }

  defimpl Inspect do
    def inspect(%{type: type, repr: repr}, _opts) do
      "#SnakeBridge.Ref<#{type} #{repr}>"
    end
  end

  defimpl String.Chars do
    def to_string(ref), do: SnakeBridge.Runtime.ref_call!(ref, :to_string, nil, [])
  end

  defimpl Enumerable do
    def count(ref) do
      case SnakeBridge.Runtime.ref_call(ref, :method, "__len__", []) do
        {:ok, n} when is_integer(n) -> {:ok, n}
        _ -> {:error, __MODULE__}
      end
    end

    def member?(_ref, _value), do: {:error, __MODULE__}
    def slice(_ref), do: {:error, __MODULE__}

    def reduce(ref, acc, fun),
      do: Enumerable.reduce(SnakeBridge.Runtime.iterate(ref, []), acc, fun)
  end
end
