defmodule SnakeBridge.Error do
  @moduledoc """
  A failed call: `{:error, %SnakeBridge.Error{}}` from every SnakeBridge call, and the
  exception raised by bang variants when no more specific exception module applies.

  `type` is what to match on:

    * Python exceptions: `:value_error`, `:type_error`, `:key_error`, `:index_error`,
      `:attribute_error`, `:zero_division_error`, `:import_error`, `:memory_error`,
      `:timeout_error`, `:not_implemented_error`, `:runtime_error` (subclasses count:
      `numpy.linalg.LinAlgError` is a `:value_error`), else `:python_error`.
      `python_type` is the exact class (`"numpy.linalg.LinAlgError"`), `traceback` the
      Python traceback;
    * bridge failures, each with a message that says what to do: `:timeout`,
      `:worker_crash`, `:pool_overloaded`, `:not_allowed`, `:ref_lost`, `:encode_error`,
      `:bad_argument`, `:python_unavailable`;
    * `:elixir_error`: an Elixir function called from Python (a callback) raised, threw
      or exited and Python did not catch it. `exception` is the original exception
      (`{:throw, value}` / `{:exit, reason}` for the other kinds) and `stacktrace` its
      stacktrace; bang variants re-raise exactly that (`raise!/1`).

  `call` says which call failed (library, module, function, call type); `worker` is the
  worker id that ran it, when one did.

  Bang variants raise the matching module from `exception_module/1`
  (`SnakeBridge.ValueError` ...) so `rescue SnakeBridge.ValueError` works; each of those
  carries the full error in its `:error` field.
  """

  defexception type: :python_error,
               python_type: nil,
               message: "",
               traceback: nil,
               call: nil,
               worker: nil,
               exception: nil,
               stacktrace: nil

  @type t :: %__MODULE__{
          type: atom,
          python_type: String.t() | nil,
          message: String.t(),
          traceback: String.t() | nil,
          call: map | nil,
          worker: String.t() | nil,
          exception: Exception.t() | {:throw | :exit, term} | nil,
          stacktrace: Exception.stacktrace() | nil
        }

  @python_types %{
    "ValueError" => :value_error,
    "TypeError" => :type_error,
    "KeyError" => :key_error,
    "IndexError" => :index_error,
    "AttributeError" => :attribute_error,
    "ZeroDivisionError" => :zero_division_error,
    "ImportError" => :import_error,
    "MemoryError" => :memory_error,
    "TimeoutError" => :timeout_error,
    "NotImplementedError" => :not_implemented_error,
    "RuntimeError" => :runtime_error
  }

  @modules %{
    value_error: SnakeBridge.ValueError,
    type_error: SnakeBridge.TypeError,
    key_error: SnakeBridge.KeyError,
    index_error: SnakeBridge.IndexError,
    attribute_error: SnakeBridge.AttributeError,
    zero_division_error: SnakeBridge.ZeroDivisionError,
    import_error: SnakeBridge.ImportError,
    memory_error: SnakeBridge.MemoryError,
    timeout_error: SnakeBridge.TimeoutError,
    not_implemented_error: SnakeBridge.NotImplementedError,
    runtime_error: SnakeBridge.RuntimeError
  }

  @runtime_types ~w(timeout worker_crash pool_overloaded not_allowed ref_lost encode_error
                    bad_argument python_unavailable)a

  @doc "The bridge failure types (not Python exceptions)."
  def runtime_types, do: @runtime_types

  @doc "A bridge failure (not a Python exception)."
  @spec runtime(atom, String.t()) :: t
  def runtime(type, message) when type in @runtime_types,
    do: %__MODULE__{type: type, message: message}

  @doc false
  # The worker's error map (string keys) -> struct.
  @spec from_worker(map, map | nil, String.t() | nil) :: t
  def from_worker(%{"type" => "python"} = map, call, worker) do
    bases = Map.get(map, "bases", [])

    %__MODULE__{
      type: Enum.find_value(bases, :python_error, &Map.get(@python_types, &1)),
      python_type: map["python_type"],
      message: map["message"] || "",
      traceback: map["traceback"],
      call: call,
      worker: worker
    }
  end

  def from_worker(%{"type" => type} = map, call, worker) do
    type =
      case type do
        "not_allowed" -> :not_allowed
        "ref_lost" -> :ref_lost
        "encode_error" -> :encode_error
        "bad_request" -> :bad_argument
        _ -> :worker_crash
      end

    %__MODULE__{type: type, message: map["message"] || "", call: call, worker: worker}
  end

  @impl true
  def message(%__MODULE__{} = error) do
    head =
      case error do
        %{type: :elixir_error} -> error.message
        %{python_type: nil} -> "(#{error.type}) #{error.message}"
        %{python_type: python_type} -> "#{python_type}: #{error.message}"
      end

    case error.call do
      %{python_module: module, function: function} = call ->
        head <>
          "\n    in #{call[:call_type] || :call} #{module}.#{function}" <> worker_suffix(error)

      _ ->
        head
    end
  end

  defp worker_suffix(%{worker: nil}), do: ""
  defp worker_suffix(%{worker: worker}), do: " (worker #{worker})"

  @doc "The exception module a bang variant raises for this error."
  @spec exception_module(t) :: module
  def exception_module(%__MODULE__{type: type}), do: Map.get(@modules, type, __MODULE__)

  @doc """
  Raises what a bang variant raises for this error: the original exception (or throw,
  or exit) with its own stacktrace for an `:elixir_error` that carries one, else
  `to_exception/1`.
  """
  @spec raise!(t) :: no_return
  def raise!(%__MODULE__{type: :elixir_error, exception: original, stacktrace: stack} = error)
      when is_list(stack) do
    case original do
      %{__exception__: true} -> :erlang.raise(:error, original, stack)
      {kind, reason} when kind in [:throw, :exit] -> :erlang.raise(kind, reason, stack)
      _ -> raise error
    end
  end

  def raise!(%__MODULE__{} = error), do: raise(to_exception(error))

  @doc "The exception a bang variant raises for this error."
  @spec to_exception(t) :: Exception.t()
  def to_exception(%__MODULE__{} = error) do
    case exception_module(error) do
      __MODULE__ -> error
      module -> module.exception(error: error)
    end
  end
end

for {name, python} <- [
      {ValueError, "ValueError"},
      {TypeError, "TypeError"},
      {KeyError, "KeyError"},
      {IndexError, "IndexError"},
      {AttributeError, "AttributeError"},
      {ZeroDivisionError, "ZeroDivisionError"},
      {ImportError, "ImportError"},
      {MemoryError, "MemoryError"},
      {TimeoutError, "TimeoutError"},
      {NotImplementedError, "NotImplementedError"},
      {RuntimeError, "RuntimeError"}
    ] do
  defmodule Module.concat(SnakeBridge, name) do
    @moduledoc """
    Raised by bang variants when Python raised `#{python}` (or a subclass of it).
    `error` holds the full `%SnakeBridge.Error{}` (exact Python type, traceback, call).
    """
    defexception [:message, :error]

    @impl true
    def exception(opts) do
      error = Keyword.fetch!(opts, :error)
      %__MODULE__{message: SnakeBridge.Error.message(error), error: error}
    end
  end
end
