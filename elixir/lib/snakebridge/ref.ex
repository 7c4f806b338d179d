defmodule SnakeBridge.Ref do
  @moduledoc """
  A handle to a Python object that has no faithful Elixir value (a numpy array, a sympy
  expression, an iterator...). Pass it to later calls as any argument.

  A ref is bound to its session and to the worker that holds the object: calls that
  use it go to that worker, on its BEAM node (`node`), from whichever node of a
  cluster they are made (see `SnakeBridge.Cluster`); a ref used from another session,
  after its session ended, after `SnakeBridge.release/1`, after its worker died or
  while its node is unreachable gives a `:ref_lost` error.
  `id` is 128 random bits, so refs cannot be guessed.

  `type` is the Python class (`"numpy.ndarray"`) and `repr` a short `repr()` taken when
  the ref was made; `inspect/1` shows both. `to_string/1` asks Python for `str(obj)`.

  `Enum` functions iterate the object in Python (lazily, like `SnakeBridge.stream/4`); a
  `dict` subclass (a `Counter`, an `OrderedDict`) yields `{key, value}` pairs, as the
  Elixir map it would otherwise be does, and every other object what Python's `iter()`
  yields (a networkx edge view: its edges). `Enum.member?/2` agrees: a dict's
  `{key, value}` pair, else Python's `in`. `Enum.count/1` is Python's `len()`.

  Refs implement `Access`: `df["city"]`, `arr[1]`, `arr[{0, 1}]` (a tuple is a
  multi-dimensional index), `arr[{SnakeBridge.slice(0, 2), SnakeBridge.slice(nil, nil, 2)}]`
  (numpy's `arr[0:2, ::2]`), `get_in(obj, ["a", "b"])` call Python's `obj[key]`; a
  missing key or index (`KeyError`, `IndexError`) gives `nil`, as for maps, and
  `SnakeBridge.get_item!/2` raises instead. `put_in(obj["k"], v)` is `obj["k"] = v`
  (the object changes in place and the same ref comes back) and `pop_in/2` is
  `del obj["k"]`. Elixir ranges index inclusively (see `SnakeBridge.Slice`).
  """
  @enforce_keys [:id, :session, :worker]
  defstruct [:id, :session, :worker, :pool, :node, :type, :repr]

  alias SnakeBridge.Runtime.Ops

  @behaviour Access

  @impl Access
  def fetch(%__MODULE__{} = ref, key), do: Ops.fetch(ref, key)

  @impl Access
  def get_and_update(%__MODULE__{} = ref, key, fun) do
    current =
      case Ops.fetch(ref, key) do
        {:ok, value} -> value
        :error -> nil
      end

    case fun.(current) do
      {get, new} ->
        ok!(Ops.set_item(ref, key, new))
        {get, ref}

      :pop ->
        pop(ref, key)
    end
  end

  @impl Access
  def pop(%__MODULE__{} = ref, key) do
    case Ops.fetch(ref, key) do
      {:ok, value} ->
        ok!(Ops.del_item(ref, key))
        {value, ref}

      :error ->
        {nil, ref}
    end
  end

  defp ok!(:ok), do: :ok
  defp ok!({:error, error}), do: SnakeBridge.Error.raise!(error)

  @type t :: %__MODULE__{
          id: String.t(),
          session: String.t(),
          worker: String.t(),
          pool: atom,
          node: node | nil,
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
    alias SnakeBridge.Runtime.Ops

    def count(ref) do
      case Ops.run("len", [ref]) do
        {:ok, n} when is_integer(n) -> {:ok, n}
        _ -> {:error, __MODULE__}
      end
    end

    # Agrees with reduce/3: a dict's {key, value} pair, else Python's `in`.
    def member?(ref, value) do
      case Ops.run("member", [ref, value]) do
        {:ok, found} when is_boolean(found) -> {:ok, found}
        _ -> {:error, __MODULE__}
      end
    end

    def slice(_ref), do: {:error, __MODULE__}

    def reduce(ref, acc, fun),
      do: Enumerable.reduce(SnakeBridge.Runtime.iterate(ref, []), acc, fun)
  end
end
