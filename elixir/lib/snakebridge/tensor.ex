defmodule SnakeBridge.Tensor do
  @moduledoc """
  A numeric array as raw bytes: what a numpy array (or a torch tensor, a pandas column...)
  becomes in Elixir without being converted element by element, and what becomes a numpy
  array in Python without a copy when passed as an argument.

  `data` holds the elements in row-major (C) order and the machine's native byte order,
  `type` is an Nx type tuple and `shape` a tuple of dimensions. That is exactly Nx's
  binary layout, so with Nx in your project the conversions are one line each:

      nx = data |> Nx.from_binary(type) |> Nx.reshape(shape)
      %SnakeBridge.Tensor{data: Nx.to_binary(nx), type: Nx.type(nx), shape: Nx.shape(nx)}

  (`SnakeBridge.Tensor.Nx.to_nx/1` and `from_nx/1` do this, and are compiled only when
  Nx is a dependency.) Without Nx, `to_list/1`, `to_flat_list/1` and `from_list/2` read
  and build tensors in plain Elixir.

  Types: `{:s, 8 | 16 | 32 | 64}` (numpy int8..int64), `{:u, 8 | 16 | 32 | 64}` (uint8..
  uint64), `{:f, 16 | 32 | 64}` (float16..float64), `{:c, 64 | 128}` (complex64,
  complex128: real and imaginary parts interleaved; elements are `{re, im}` tuples in
  the list functions). numpy `bool` arrives as `{:u, 8}` holding 0 and 1, as Nx's own
  comparisons do, and goes back to Python as `uint8`. Floats that the BEAM cannot hold
  are `:nan`, `:infinity` and `:neg_infinity`, as everywhere in SnakeBridge and Nx.

  `SnakeBridge.to_tensor/2` and `SnakeBridge.column/3` return tensors. A tensor passed
  as an argument to any call arrives in Python as a numpy array that views the
  request's bytes, without a copy. That array is read-only: a function that writes into
  its argument (`arr.sort()`, `out=`) raises `ValueError: assignment destination is
  read-only`. For a writable copy, make one in Python: `Numpy.array(tensor)` (or
  `SnakeBridge.call("numpy", "array", [tensor])`) returns a ref to a writable array.
  """

  @enforce_keys [:data, :type, :shape]
  defstruct [:data, :type, :shape]

  @type tensor_type ::
          {:s, 8 | 16 | 32 | 64}
          | {:u, 8 | 16 | 32 | 64}
          | {:f, 16 | 32 | 64}
          | {:c, 64 | 128}
  @type t :: %__MODULE__{data: binary, type: tensor_type, shape: tuple}
  @type element :: number | :nan | :infinity | :neg_infinity | {number, number}

  @types [
    {:s, 8},
    {:s, 16},
    {:s, 32},
    {:s, 64},
    {:u, 8},
    {:u, 16},
    {:u, 32},
    {:u, 64},
    {:f, 16},
    {:f, 32},
    {:f, 64},
    {:c, 64},
    {:c, 128}
  ]

  @doc "Every tensor type, as Nx spells them."
  @spec types() :: [tensor_type]
  def types, do: @types

  @doc """
  A tensor from its bytes, type and shape, checking that they agree.

      iex> SnakeBridge.Tensor.new(<<1.0::float-native-64, 2.0::float-native-64>>, {:f, 64}, {2})
      {:ok, %SnakeBridge.Tensor{data: <<1.0::float-native-64, 2.0::float-native-64>>, type: {:f, 64}, shape: {2}}}
  """
  @spec new(binary, tensor_type, tuple) :: {:ok, t} | {:error, String.t()}
  def new(data, type, shape) when is_binary(data) do
    with :ok <- check_type(type),
         :ok <- check_shape(shape) do
      expected = size(shape) * element_bytes(type)

      if byte_size(data) == expected do
        {:ok, %__MODULE__{data: data, type: type, shape: shape}}
      else
        {:error,
         "the data has #{byte_size(data)} bytes, but type #{inspect(type)} with shape " <>
           "#{inspect(shape)} needs #{expected}"}
      end
    end
  end

  def new(data, _type, _shape),
    do: {:error, "tensor data is a binary, not #{inspect(data, limit: 5)}"}

  @doc "Like `new/3`, but raises `ArgumentError`."
  @spec new!(binary, tensor_type, tuple) :: t
  def new!(data, type, shape) do
    case new(data, type, shape) do
      {:ok, tensor} -> tensor
      {:error, message} -> raise ArgumentError, message
    end
  end

  @doc """
  A tensor from a list of numbers, or nested lists of equal length (one level per
  dimension), in `type`.

      iex> SnakeBridge.Tensor.from_list([[1, 2], [3, 4]], {:s, 16}).shape
      {2, 2}
  """
  @spec from_list(list, tensor_type) :: t
  def from_list(list, type) when is_list(list) do
    case check_type(type) do
      :ok -> :ok
      {:error, message} -> raise ArgumentError, message
    end

    shape = shape_of(list)
    data = for x <- List.flatten(list), into: <<>>, do: encode(x, type)
    %__MODULE__{data: data, type: type, shape: shape}
  end

  @doc "The elements as nested lists, one level per dimension (a number for shape `{}`)."
  @spec to_list(t) :: element | list
  def to_list(%__MODULE__{shape: shape} = tensor) do
    nest(to_flat_list(tensor), Tuple.to_list(shape))
  end

  @doc "The elements in row-major order, as one list."
  @spec to_flat_list(t) :: [element]
  def to_flat_list(%__MODULE__{data: data, type: type}) do
    step = element_bytes(type)
    for <<bits::binary-size(step) <- data>>, do: decode(bits, type)
  end

  @doc "The number of elements of a shape (or a tensor)."
  @spec size(t | tuple) :: non_neg_integer
  def size(%__MODULE__{shape: shape}), do: size(shape)
  def size(shape) when is_tuple(shape), do: shape |> Tuple.to_list() |> Enum.reduce(1, &(&1 * &2))

  @doc "Bytes per element of a type."
  @spec element_bytes(tensor_type) :: pos_integer
  def element_bytes({_kind, bits}), do: div(bits, 8)

  defp check_type(type) when type in @types, do: :ok

  defp check_type(type),
    do:
      {:error,
       "#{inspect(type)} is not a tensor type; valid types: " <>
         Enum.map_join(@types, ", ", &inspect/1)}

  defp check_shape(shape) when is_tuple(shape) do
    if Enum.all?(Tuple.to_list(shape), &(is_integer(&1) and &1 >= 0)),
      do: :ok,
      else: shape_error(shape)
  end

  defp check_shape(shape), do: shape_error(shape)

  defp shape_error(shape),
    do: {:error, "a shape is a tuple of non-negative integers like {2, 3}, not #{inspect(shape)}"}

  defp shape_of([first | _] = list) when is_list(first) do
    inner = Enum.map(list, &shape_of/1)

    if Enum.all?(inner, &(&1 == hd(inner))),
      do: List.to_tuple([length(list) | Tuple.to_list(hd(inner))]),
      else: raise(ArgumentError, "nested lists of different shapes: #{inspect(inner)}")
  end

  defp shape_of(list) when is_list(list) do
    if Enum.any?(list, &is_list/1),
      do: raise(ArgumentError, "a list mixes numbers and lists"),
      else: {length(list)}
  end

  defp nest([x], []), do: x
  defp nest(flat, [_dim]), do: flat

  defp nest(flat, [dim | rest]) do
    case Enum.reduce(rest, 1, &(&1 * &2)) do
      0 -> List.duplicate(nest([], rest), dim)
      chunk -> flat |> Enum.chunk_every(chunk) |> Enum.map(&nest(&1, rest))
    end
  end

  defp encode(x, {:s, bits}) when is_integer(x), do: <<x::signed-native-size(bits)>>
  defp encode(x, {:u, bits}) when is_integer(x) and x >= 0, do: <<x::unsigned-native-size(bits)>>
  defp encode(x, {:f, bits}), do: float(x, bits)
  defp encode({re, im}, {:c, bits}), do: float(re, div(bits, 2)) <> float(im, div(bits, 2))

  defp encode(x, type),
    do: raise(ArgumentError, "#{inspect(x)} is not a value of type #{inspect(type)}")

  defp float(x, bits) when is_number(x), do: <<x * 1.0::float-native-size(bits)>>
  defp float(special, bits), do: <<special_bits(special, bits)::unsigned-native-size(bits)>>

  # IEEE 754 bit patterns of the values Erlang floats cannot hold (quiet NaN).
  defp special_bits(:nan, 16), do: 0x7E00
  defp special_bits(:nan, 32), do: 0x7FC00000
  defp special_bits(:nan, 64), do: 0x7FF8000000000000
  defp special_bits(:infinity, 16), do: 0x7C00
  defp special_bits(:infinity, 32), do: 0x7F800000
  defp special_bits(:infinity, 64), do: 0x7FF0000000000000

  defp special_bits(:neg_infinity, bits),
    do: Bitwise.bor(special_bits(:infinity, bits), Bitwise.bsl(1, bits - 1))

  defp special_bits(x, bits),
    do: raise(ArgumentError, "#{inspect(x)} is not a value of type {:f, #{bits}}")

  defp decode(bits, {:s, size}) do
    <<x::signed-native-size(size)>> = bits
    x
  end

  defp decode(bits, {:u, size}) do
    <<x::unsigned-native-size(size)>> = bits
    x
  end

  defp decode(bits, {:f, size}), do: read_float(bits, size)

  defp decode(bits, {:c, size}) do
    half = div(size, 16)
    <<re::binary-size(half), im::binary-size(half)>> = bits
    {read_float(re, div(size, 2)), read_float(im, div(size, 2))}
  end

  defp read_float(bits, size) do
    case bits do
      <<x::float-native-size(size)>> ->
        x

      _nan_or_infinity ->
        <<u::unsigned-native-size(size)>> = bits
        mantissa = Bitwise.band(u, Bitwise.bsl(1, mantissa_bits(size)) - 1)
        negative = Bitwise.bsr(u, size - 1) == 1

        cond do
          mantissa != 0 -> :nan
          negative -> :neg_infinity
          true -> :infinity
        end
    end
  end

  defp mantissa_bits(16), do: 10
  defp mantissa_bits(32), do: 23
  defp mantissa_bits(64), do: 52

  defimpl Inspect do
    def inspect(%{type: type, shape: shape, data: data}, _opts) do
      "#SnakeBridge.Tensor<#{Kernel.inspect(type)} #{Kernel.inspect(shape)}, " <>
        "#{byte_size(data)} bytes>"
    end
  end
end

if Code.ensure_loaded?(Nx) do
  defmodule SnakeBridge.Tensor.Nx do
    @moduledoc """
    `SnakeBridge.Tensor` <-> `Nx.Tensor`, without touching the elements: both use the
    same binary layout and type tuples. Compiled only when Nx is a dependency.
    """

    @doc "The `Nx.Tensor` of a `SnakeBridge.Tensor` (Nx's binary backend; no per-element work)."
    def to_nx(%SnakeBridge.Tensor{data: data, type: type, shape: shape}) do
      data |> Nx.from_binary(type) |> Nx.reshape(shape)
    end

    @doc """
    The `SnakeBridge.Tensor` of an `Nx.Tensor`, to pass to Python as a numpy array. Types
    numpy has no equivalent for (`{:bf, 16}`, ...) are refused: `Nx.as_type/2` first.
    """
    def from_nx(tensor) do
      type = Nx.type(tensor)

      unless type in SnakeBridge.Tensor.types() do
        raise ArgumentError,
              "Nx type #{inspect(type)} has no numpy equivalent; convert it first " <>
                "(Nx.as_type(tensor, {:f, 32}))"
      end

      %SnakeBridge.Tensor{data: Nx.to_binary(tensor), type: type, shape: Nx.shape(tensor)}
    end
  end
end
