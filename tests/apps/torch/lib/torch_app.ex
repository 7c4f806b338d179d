defmodule TorchApp do
  @moduledoc "Calls as PyTorch's documentation writes them (pytorch.org/docs/stable)."
  # Tensor arithmetic as PyTorch writes it: t * 2 + 1
  use SnakeBridge.Operators

  alias Torch.Tensor

  def cases do
    t = Torch.tensor!([[1.0, -1.0], [1.0, 2.0]])

    [
      # torch.sum(t); torch.sum(t, dim=0); torch.sum(t, 1, keepdim=True)
      {"sum", fn -> Torch.sum!(t) |> Tensor.item!() end},
      {"sum_dim", fn -> Torch.sum!(t, dim: 0) |> Tensor.tolist!() end},
      {"sum_dim_pos", fn -> Torch.sum!(t, 1, keepdim: true) |> Tensor.tolist!() end},
      # values, indices = torch.max(t, dim=0)
      {"max_dim",
       fn ->
         # a named tuple (torch.return_types.max): fields by name
         result = Torch.max!(t, dim: 0)
         {Tensor.tolist!(result["values"]), Tensor.tolist!(result["indices"])}
       end},
      {"max", fn -> Torch.max!(t) |> Tensor.item!() end},
      # torch.zeros(2, 3); torch.ones(2); torch.arange(5); torch.arange(1, 4)
      {"zeros", fn -> Torch.zeros!(2, 3) |> Tensor.tolist!() end},
      {"ones", fn -> Torch.ones!(2) |> Tensor.tolist!() end},
      {"arange", fn -> Torch.arange!(5) |> Tensor.tolist!() end},
      {"arange_start", fn -> Torch.arange!(1, 4) |> Tensor.tolist!() end},
      # torch.manual_seed(0); torch.rand(2).shape
      {"matmul", fn -> Torch.matmul!(t, Torch.tensor!([[1.0], [0.0]])) |> Tensor.tolist!() end},
      # torch.cat((x, x), 0)
      {"cat", fn -> Torch.cat!({Torch.ones!(1), Torch.zeros!(1)}, 0) |> Tensor.tolist!() end},
      # t.shape / t.dtype; t.reshape(4)
      {"reshape", fn -> t |> Tensor.reshape!(4) |> Tensor.tolist!() end},
      {"mean_dim", fn -> Torch.mean!(t, dim: 1) |> Tensor.tolist!() end},

      # torch.tensor([[1, 2], [3, 4]]).tolist(); torch.argmax(t); torch.linspace(0, 1, steps=5)
      {"tensor_int", fn -> Torch.tensor!([[1, 2], [3, 4]]) |> Tensor.tolist!() end},
      {"argmax", fn -> Torch.argmax!(t) |> Tensor.item!() end},
      {"linspace", fn -> Torch.linspace!(0, 1, steps: 5) |> Tensor.tolist!() end},
      # torch.eye(2); torch.transpose(t, 0, 1); t.shape
      {"eye", fn -> Torch.eye!(2) |> Tensor.tolist!() end},
      {"transpose", fn -> Torch.transpose!(t, 0, 1) |> Tensor.tolist!() end},
      {"abs", fn -> Torch.abs!(t) |> Tensor.tolist!() end},

      # torch.stack([a, b]); torch.nn.Linear(2, 3).weight.shape; t.view(-1)
      {"stack",
       fn -> Torch.stack!([Torch.tensor!([1, 2]), Torch.tensor!([3, 4])]) |> Tensor.tolist!() end},
      {"linear_weight",
       fn ->
         Torch.Nn.Linear.new!(2, 3) |> Torch.Nn.Linear.weight!() |> Tensor.tolist!() |> length()
       end},
      {"view", fn -> t |> Tensor.view!(-1) |> Tensor.tolist!() end},
      # torch.where(t > 0, t, 0.0)
      {"where", fn -> Torch.where!(Torch.gt!(t, 0), t, 0.0) |> Tensor.tolist!() end},

      # Bulk data: t.numpy().tobytes() with its dtype and shape, as Nx reads them
      {"to_tensor",
       fn ->
         %SnakeBridge.Tensor{type: {kind, bits}, shape: shape, data: data} =
           SnakeBridge.to_tensor!(t)

         {Atom.to_string(kind), bits, Tuple.to_list(shape), :binary.bin_to_list(data)}
       end},
      # torch.tensor(np.array([[1.5, 2.5]], dtype=np.float32)): a Tensor argument
      {"tensor_arg",
       fn ->
         SnakeBridge.Tensor.from_list([[1.5, 2.5]], {:f, 32})
         |> Torch.tensor!()
         |> Tensor.tolist!()
       end},
      # v = torch.from_dlpack(z); v[1] = 5.0; z.tolist(): one buffer
      {"dlpack_shared",
       fn ->
         z = Torch.zeros!(3)
         view = z |> SnakeBridge.share!(as: :dlpack) |> SnakeBridge.from_dlpack!("torch")
         :ok = SnakeBridge.set_item(view, 1, 5.0)
         Tensor.tolist!(z)
       end},
      # more calls as the library's documentation writes them
      {"t_zeros_dtype",
       fn -> Torch.zeros!(2, dtype: Torch.float64!()) |> Torch.Tensor.dtype!() |> to_string() end},
      {"t_T", fn -> t |> Torch.Tensor.py_T!() |> Torch.Tensor.tolist!() end},
      {"t_t", fn -> t |> Torch.Tensor.t!() |> Torch.Tensor.tolist!() end},
      {"t_relu", fn -> Torch.Nn.Functional.relu!(t) |> Torch.Tensor.tolist!() end},
      {"t_softmax",
       fn -> Torch.softmax!(Torch.tensor!([0.0, 0.0]), dim: 0) |> Torch.Tensor.tolist!() end},
      {"t_topk",
       fn ->
         Torch.topk!(Torch.tensor!([1.0, 3.0, 2.0]), 2)
         |> then(& &1["indices"])
         |> Torch.Tensor.tolist!()
       end},
      {"t_sort_desc",
       fn ->
         Torch.sort!(Torch.tensor!([1.0, 3.0, 2.0]), descending: true)
         |> then(& &1["values"])
         |> Torch.Tensor.tolist!()
       end},
      {"t_clamp", fn -> Torch.clamp!(t, min: 0) |> Torch.Tensor.tolist!() end},
      {"t_flatten", fn -> Torch.flatten!(t) |> Torch.Tensor.tolist!() end},
      {"t_unsqueeze_shape", fn -> t |> Torch.Tensor.unsqueeze!(0) |> Torch.Tensor.shape!() end},
      {"t_size", fn -> t |> Torch.Tensor.size!() end},
      {"t_allclose", fn -> Torch.allclose!(t, t) end},
      {"t_einsum", fn -> Torch.einsum!("ii", t) |> Torch.Tensor.item!() end},
      {"t_seed_rand",
       fn ->
         Torch.manual_seed!(0)
         Torch.rand!(2) |> Torch.Tensor.tolist!()
       end},
      {"t_linear",
       fn -> Torch.Nn.Linear.new!(3, 2) |> Torch.Nn.Linear.weight!() |> Torch.Tensor.shape!() end},
      {"t_no_grad",
       fn -> SnakeBridge.with_context(Torch.no_grad!(), fn _ -> Torch.is_grad_enabled!() end) end},
      {"t_ops", fn -> (t * 2 + 1) |> Torch.Tensor.tolist!() end},
      {"t_argmax_dim", fn -> Torch.argmax!(t, dim: 1) |> Torch.Tensor.tolist!() end}
    ]
  end
end
