defmodule SnakeBridge.TestDescriptors do
  @moduledoc false
  # Descriptors shaped as the generator writes them, for tests of the call-time
  # argument rules (SnakeBridge.Runtime.Args) that need no worker.

  # numpy.mean(a, axis=None, dtype=None, out=None, keepdims=<no value>, *, where=...)
  def numpy_mean do
    %{
      call_type: :call,
      library: "numpy",
      python_module: "numpy",
      function: "mean",
      kwargs: ["axis", "dtype", "out", "keepdims", "where"],
      positional: ["a", "axis", "dtype", "out", "keepdims"],
      required: 1,
      positional_only: [],
      varargs: false,
      idempotent: false
    }
  end
end
