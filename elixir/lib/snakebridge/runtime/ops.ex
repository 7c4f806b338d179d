defmodule SnakeBridge.Runtime.Ops do
  @moduledoc """
  Python's protocols on refs (indexing, operators, `len`, `in`, `bool`, `hash`,
  `str`/`repr`, `with`), run in the worker that holds the ref.

  Why a module of its own: every protocol goes through one `protocol` call type with
  an operation name (`"getitem"`, `"add"`...), which the worker maps to what Python's
  syntax does (`operator.getitem`, reflected operands included). No dunder method is
  called by name, so the allowlist never has to open protocol dunders to
  `SnakeBridge.method/4`. `SnakeBridge.Ref` (Access, Enumerable), `SnakeBridge` and
  `SnakeBridge.Operators` are thin layers over `run/3`.
  """

  alias SnakeBridge.{Error, Ref, Runtime}

  @doc """
  Runs operation `op` on `args`, in the worker (and pool) of the first ref among them.
  `opts` may hold runtime options under `:snakebridge` (`timeout:`, `session:`).
  """
  @spec run(String.t(), list, keyword) :: {:ok, term} | {:error, Error.t()}
  def run(op, args, opts \\ []) do
    case Enum.find(args, &match?(%Ref{}, &1)) do
      %Ref{} = ref ->
        sb = Keyword.get(opts, :snakebridge, [])

        descriptor = %{
          call_type: :protocol,
          library: nil,
          python_module: ref.type,
          function: op,
          kwargs: :any,
          idempotent: false
        }

        Runtime.call(descriptor, args,
          snakebridge: Keyword.put_new(sb, :pool, ref.pool || :default)
        )

      nil ->
        {:error,
         Error.runtime(
           :bad_argument,
           "Python's #{op} needs a SnakeBridge.Ref among its arguments, got #{inspect(args, limit: 5)}"
         )}
    end
  end

  @doc "Like `run/3`, returning the value or raising what a bang variant raises."
  @spec run!(String.t(), list, keyword) :: term
  def run!(op, args, opts \\ []) do
    case run(op, args, opts) do
      {:ok, value} -> value
      {:error, error} -> Error.raise!(error)
    end
  end

  @doc false
  # `obj[key]` for Access: a missing key or index is `:error`, anything else raises.
  def fetch(%Ref{} = ref, key) do
    case get_item(ref, key) do
      {:ok, value} -> {:ok, value}
      {:error, %Error{type: type}} when type in [:key_error, :index_error] -> :error
      {:error, error} -> Error.raise!(error)
    end
  end

  @doc false
  def get_item(%Ref{} = ref, key), do: with_index(key, &run("getitem", [ref, &1]))

  @doc false
  def set_item(%Ref{} = ref, key, value) do
    with_index(key, fn index ->
      case run("setitem", [ref, index, value]) do
        {:ok, _} -> :ok
        error -> error
      end
    end)
  end

  @doc false
  def del_item(%Ref{} = ref, key) do
    with_index(key, fn index ->
      case run("delitem", [ref, index]) do
        {:ok, _} -> :ok
        error -> error
      end
    end)
  end

  defp with_index(key, fun) do
    case SnakeBridge.Slice.index(key) do
      {:ok, index} -> fun.(index)
      {:error, message} -> {:error, Error.runtime(:bad_argument, message)}
    end
  end

  @doc false
  # Runs `fun` inside `with ref as value:`. __exit__ always runs; an exception, throw or
  # exit in `fun` is handed to it, and re-raised unless __exit__ returns true.
  def with_context(%Ref{} = ref, fun) when is_function(fun, 1) do
    value = run!("enter", [ref])

    result =
      try do
        {:ok, fun.(value)}
      catch
        kind, reason ->
          stack = __STACKTRACE__

          if run!("exit", [ref, exit_info(kind, reason)]) == true do
            {:suppressed, nil}
          else
            :erlang.raise(kind, reason, stack)
          end
      end

    case result do
      {:ok, value} ->
        _ = run!("exit", [ref, nil])
        value

      {:suppressed, nil} ->
        nil
    end
  end

  # What Python's __exit__ receives: the Python exception behind a SnakeBridge error,
  # else an ElixirError naming the Elixir exception.
  defp exit_info(:error, reason) do
    exception = Exception.normalize(:error, reason)

    python_error =
      case exception do
        %Error{} = error -> error
        %{error: %Error{} = error} -> error
        _ -> nil
      end

    case python_error do
      %Error{python_type: python_type} when is_binary(python_type) ->
        # The closest builtin class: __exit__ gets a KeyError for a pandas KeyError.
        builtin = Enum.find(python_error.mro, python_type, &(not String.contains?(&1, ".")))
        %{"python_type" => builtin, "message" => python_error.message}

      _ ->
        %{
          "elixir_type" => inspect(exception.__struct__),
          "message" => Exception.message(exception)
        }
    end
  end

  defp exit_info(kind, reason),
    do: %{"elixir_type" => Atom.to_string(kind), "message" => inspect(reason, limit: 20)}
end
