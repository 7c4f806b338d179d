defmodule SnakeBridge.Tensor.NxAdapterTest do
  @moduledoc """
  Nx cannot be installed here, so this evaluates the adapter's source from `tensor.ex`
  (its `if Code.ensure_loaded?(Nx)` block, as written) with a stand-in `Nx` that has Nx's
  documented signatures and keeps the binary as Nx's binary backend does, then checks
  the adapter that appears. Synchronous: it defines and removes modules.
  """
  use ExUnit.Case, async: false

  @source Path.expand("../../lib/snakebridge/tensor.ex", __DIR__)
  @adapter SnakeBridge.Tensor.Nx

  defp adapter_block do
    {:__block__, _, nodes} = @source |> File.read!() |> Code.string_to_quoted!()
    [block] = for {:if, _, _} = node <- nodes, do: node
    block
  end

  setup do
    defmodule Elixir.Nx do
      def from_binary(data, {_kind, bits} = type),
        do: %{data: data, type: type, shape: {div(byte_size(data) * 8, bits)}}

      def reshape(tensor, shape), do: %{tensor | shape: shape}
      def to_binary(tensor), do: tensor.data
      def type(tensor), do: tensor.type
      def shape(tensor), do: tensor.shape
    end

    Code.eval_quoted(adapter_block(), [], file: @source)

    on_exit(fn ->
      for module <- [@adapter, Nx] do
        :code.purge(module)
        :code.delete(module)
      end
    end)
  end

  test "to_nx reads the binary with the tensor's type and reshapes it; from_nx reverses it" do
    tensor = SnakeBridge.Tensor.from_list([[1.0, 2.0], [3.0, 4.0]], {:f, 64})
    nx = apply(@adapter, :to_nx, [tensor])
    assert nx == %{data: tensor.data, type: {:f, 64}, shape: {2, 2}}
    assert apply(@adapter, :from_nx, [nx]) == tensor
  end

  test "from_nx refuses types numpy has no equivalent for" do
    assert_raise ArgumentError, ~r/Nx.as_type/, fn ->
      apply(@adapter, :from_nx, [%{data: <<0, 0>>, type: {:bf, 16}, shape: {1}}])
    end
  end
end
