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
      `:worker_crash`, `:circuit_open`, `:pool_overloaded`, `:not_allowed`, `:ref_lost`,
      `:encode_error`, `:bad_argument`, `:python_unavailable`, `:node_down` (the BEAM
      node running the call went down or was cut off: `reason` is that node; see
      `SnakeBridge.Cluster`). A `:worker_crash` (and a
      `:circuit_open`: the crash that opened it) has a `reason`: `:segfault`, `:abort`,
      `:bus_error`, `:killed`, `:oom_killed`, `{:exit, status}`, `:protocol` or `:hang`
      (`:timeout` errors have `reason: :timeout`). A `:not_allowed` error's `reason`
      says which rule refused (see "Refusals" below) and `policy` the details;
    * `:elixir_error`: an Elixir function called from Python (a callback) raised, threw
      or exited and Python did not catch it. `exception` is the original exception
      (`{:throw, value}` / `{:exit, reason}` for the other kinds) and `stacktrace` its
      stacktrace; bang variants re-raise exactly that (`raise!/1`).

  A Python `TypeError` that says a str came where bytes belong (`zlib.crc32("x")`,
  `hashlib.sha256("x")`) gets a second line naming the fix: an Elixir string crosses as a
  Python `str`, and `SnakeBridge.bytes/1` passes `bytes`.

  ## Refusals

  A `:not_allowed` error is matchable without reading its message. `reason` is one of
  `:undeclared` (outside every declared library), `:excluded` (an `exclude:` entry),
  `:not_included` (not in the library's `include:` list), `:forbidden` (`eval`, `exec`,
  `getattr`-style builtins, never handed out or called), `:internal` (dunders, frames,
  code objects), `:code` (a string run as code straight from a call), or a capability
  the library's `allow:` lacks: `:subprocess`, `:dlopen`, `:import`, `:pickle`,
  `:set_attr`. `policy` is `%{event: event, library: library, option: option}`: the
  Python audit event that was refused (`"os.system"`, `"subprocess.Popen"`,
  `"import"`, `"ctypes.dlopen"`, `"pickle.find_class"`, `"exec"`, `"compile"`;
  `"set_attr"`; `nil` for the allowlist's own checks), the declared library whose
  declaration decides (a string, as declared), and the option that would permit it
  (`[allow: [:subprocess]]`, or `nil` when none does):

      case SnakeBridge.call("numpy.testing", "runstring", [code, %{}]) do
        {:error, %SnakeBridge.Error{type: :not_allowed, reason: :subprocess, policy: policy}} ->
          Logger.warning("\#{policy.library} would need \#{inspect(policy.option)}")

        other ->
          other
      end

  `call` says which call failed (library, module, function, call type); `worker` is the
  worker id that ran it, when one did.

  `mro` lists the Python classes of the exception, most specific first
  (`["numpy.linalg.LinAlgError", "ValueError", "Exception", "BaseException"]`): builtin
  classes by their bare name, the others by module and name. `classes` holds the same
  names as a map (`%{"ValueError" => true, ...}`) so that a guard can test one.

  ## Which exception a bang variant raises

  The exception module of the most specific class along `mro` that has one: a module
  generated for a declared library's exception class (`Numpy.Linalg.LinAlgError`, which
  the generator writes only once the code names it, in a `rescue`, a `raise` or a
  struct), else one of the builtin modules (`SnakeBridge.ValueError` ...), else
  `SnakeBridge.Error` itself. Each carries the full error in its `:error` field.

  So code that never names `LinAlgError` catches it with `rescue SnakeBridge.ValueError`.
  But Elixir's `rescue Module` compiles to one exact struct check (`__struct__ ==
  Module`), not a subclass test: once any code of the app names `LinAlgError`, its module
  is generated, raised, and no longer caught by `rescue SnakeBridge.ValueError` (nor
  `rescue SnakeBridge.Error`). To rescue a Python family whichever modules are generated,
  rescue `family/1` of a builtin module: at compile time it lists that module and every
  generated exception module whose Python MRO holds its class (read from the registries
  below; regenerating a library recompiles the code that uses it):

      require SnakeBridge.Error

      try do
        Numpy.Linalg.inv!(matrix)
      rescue
        e in SnakeBridge.Error.family(SnakeBridge.ValueError) -> {:invalid, e.error.python_type}
      end

  `family/1` takes `SnakeBridge.Error` (every module a bang variant raises for a Python
  error or a bridge failure) or a builtin module, nothing else: a library's own class
  raises a builtin module or `SnakeBridge.Error` while no module of its family is
  generated, so no list of generated modules catches it. For such a class, and for a
  class with two lines of bases (`class E(KeyError, ValueError)` raises
  `SnakeBridge.KeyError`), match the exception with the `is_python_error/2` guard, which
  tests the Python MRO at run time:

      require SnakeBridge.Error

      try do
        Numpy.Linalg.inv!(matrix)
      catch
        :error, e when SnakeBridge.Error.is_python_error(e, "ValueError") ->
          {:invalid, e.error.python_type}
      end

  `python_class?/2` is the same test as a function, for use after a plain `rescue e ->`.

  Generated exception modules (the codegen writes them) are found through one registry
  per library, `SnakeBridge.Exceptions.<module_name>`, whose `__exceptions__/0` maps the
  Python class (`"numpy.linalg.LinAlgError"`) to the module and `__exception_mro__/0`
  each module to its class's MRO (what `family/1` reads); the library the class
  belongs to is asked first, then the others (`scipy.linalg.LinAlgError` is numpy's
  class, and `Scipy.Linalg.LinAlgError` its module when only scipy names it). Such a
  module is
  `defexception [:message, :error]` with
  `exception(opts)` returning `struct!(__MODULE__, SnakeBridge.Error.exception_fields(opts))`.
  """

  defexception type: :python_error,
               python_type: nil,
               message: "",
               reason: nil,
               traceback: nil,
               call: nil,
               worker: nil,
               exception: nil,
               stacktrace: nil,
               mro: [],
               classes: %{},
               policy: nil

  @type t :: %__MODULE__{
          type: atom,
          python_type: String.t() | nil,
          message: String.t(),
          reason: atom | {:exit, integer} | nil,
          traceback: String.t() | nil,
          call: map | nil,
          worker: String.t() | nil,
          exception: Exception.t() | {:throw | :exit, term} | nil,
          stacktrace: Exception.stacktrace() | nil,
          mro: [String.t()],
          classes: %{optional(String.t()) => true},
          policy: policy | nil
        }

  @typedoc "What refused a `:not_allowed` call (see \"Refusals\")."
  @type policy :: %{
          event: String.t() | nil,
          library: String.t() | nil,
          option: [allow: [atom]] | nil
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

  # The worker names the rule as a string; only these become atoms.
  @refusals Map.new(
              ~w(undeclared excluded not_included forbidden internal code subprocess dlopen
                 import pickle set_attr)a,
              &{Atom.to_string(&1), &1}
            )
  @capabilities ~w(subprocess dlopen import pickle set_attr)a

  @runtime_types ~w(timeout worker_crash circuit_open pool_overloaded not_allowed ref_lost
                    encode_error bad_argument python_unavailable node_down)a

  @doc "The bridge failure types (not Python exceptions)."
  def runtime_types, do: @runtime_types

  @doc "A bridge failure (not a Python exception)."
  @spec runtime(atom, String.t()) :: t
  def runtime(type, message) when type in @runtime_types,
    do: %__MODULE__{type: type, message: message}

  @doc "A bridge failure with its `reason` (see the moduledoc)."
  @spec runtime(atom, String.t(), term) :: t
  def runtime(type, message, reason) when type in @runtime_types,
    do: %__MODULE__{type: type, message: message, reason: reason}

  @doc false
  # The worker's error map (string keys) -> struct.
  @spec from_worker(map, map | nil, String.t() | nil) :: t
  def from_worker(%{"type" => "python"} = map, call, worker) do
    bases = Map.get(map, "bases", [])
    mro = mro(map)

    %__MODULE__{
      type: Enum.find_value(bases, :python_error, &Map.get(@python_types, &1)),
      python_type: map["python_type"],
      message: map["message"] || "",
      traceback: map["traceback"],
      call: call,
      worker: worker,
      mro: mro,
      classes: Map.new(mro, &{&1, true})
    }
  end

  def from_worker(%{"type" => "not_allowed"} = map, call, worker) do
    {reason, policy} = refusal(map["policy"])

    %__MODULE__{
      type: :not_allowed,
      message: map["message"] || "",
      call: call,
      worker: worker,
      reason: reason,
      policy: policy
    }
  end

  def from_worker(%{"type" => type} = map, call, worker) do
    type =
      case type do
        "ref_lost" -> :ref_lost
        "encode_error" -> :encode_error
        "bad_request" -> :bad_argument
        _ -> :worker_crash
      end

    %__MODULE__{type: type, message: map["message"] || "", call: call, worker: worker}
  end

  defp refusal(%{} = fields) do
    option =
      case Map.get(@refusals, fields["option"]) do
        capability when capability in @capabilities -> [allow: [capability]]
        _ -> nil
      end

    policy = %{event: string(fields["event"]), library: string(fields["library"]), option: option}
    {Map.get(@refusals, fields["reason"]), policy}
  end

  defp refusal(_none), do: {nil, nil}

  defp string(value) when is_binary(value), do: value
  defp string(_other), do: nil

  defp mro(%{"mro" => mro}) when is_list(mro), do: Enum.filter(mro, &is_binary/1)
  defp mro(%{"python_type" => type} = map) when is_binary(type), do: [type | map["bases"] || []]
  defp mro(_map), do: []

  @impl true
  def message(%__MODULE__{} = error) do
    head =
      case error do
        %{type: :elixir_error} -> error.message
        %{python_type: nil} -> "(#{error.type}) #{error.message}"
        %{python_type: python_type} -> "#{python_type}: #{error.message}"
      end

    head = head <> bytes_hint(error)

    case error.call do
      %{python_module: module, function: function} = call ->
        head <>
          "\n    in #{call[:call_type] || :call} #{module}.#{function}" <> worker_suffix(error)

      _ ->
        head
    end
  end

  # An Elixir string crosses as a Python str (see SnakeBridge.bytes/1), so a call whose
  # docs pass b"..." fails with one of Python's str-for-bytes TypeErrors; say the fix.
  @str_for_bytes ~r/bytes-like object is required, not 'str'|Strings must be encoded|expected bytes, str found|must be bytes(?:[\w ,]*)?, not str/

  defp bytes_hint(%{python_type: "TypeError", message: message}) do
    if Regex.match?(@str_for_bytes, message),
      do: "\n    (an Elixir string is a Python str here; pass bytes as SnakeBridge.bytes(data))",
      else: ""
  end

  defp bytes_hint(_error), do: ""

  defp worker_suffix(%{worker: nil}), do: ""
  defp worker_suffix(%{worker: worker}), do: " (worker #{worker})"

  @doc "The exception module a bang variant raises for this error (see the module doc)."
  @spec exception_module(t) :: module
  def exception_module(%__MODULE__{type: type, mro: [_ | _] = mro}) do
    Enum.find_value(mro, fn class ->
      case Map.fetch(@python_types, class) do
        {:ok, builtin} -> Map.fetch!(@modules, builtin)
        :error -> generated_module(class)
      end
    end) || Map.get(@modules, type, __MODULE__)
  end

  def exception_module(%__MODULE__{type: type}), do: Map.get(@modules, type, __MODULE__)

  # The module generated for Python class `class`: from the registry of the declared
  # library it belongs to (by import root), else from another library that re-exports it.
  defp generated_module(class) do
    root = class |> String.split(".") |> hd()

    :persistent_term.get({SnakeBridge.Runtime, :libraries}, %{})
    |> Enum.flat_map(fn
      {_name, %{python_module: python_module, module_name: module_name}} ->
        own = hd(String.split(python_module, ".")) == root
        [{not own, Module.concat(SnakeBridge.Exceptions, module_name)}]

      _ ->
        []
    end)
    |> Enum.sort()
    |> Enum.find_value(fn {_other, registry} ->
      with true <- Code.ensure_loaded?(registry),
           true <- function_exported?(registry, :__exceptions__, 0),
           module when is_atom(module) and module != nil <-
             Map.get(registry.__exceptions__(), class) do
        module
      else
        _ -> nil
      end
    end)
  end

  @doc """
  Guard: whether `exception` came from Python class `class` or a subclass of it
  (`"ValueError"`, `"numpy.linalg.LinAlgError"`: the names `mro` uses). `exception` is a
  `%SnakeBridge.Error{}` or any exception a bang variant raised, generated modules
  included; anything else is `false`. Usable where `rescue` cannot test a family:

      catch
        :error, e when SnakeBridge.Error.is_python_error(e, "ValueError") -> ...
  """
  defguard is_python_error(exception, class)
           when (is_struct(exception, SnakeBridge.Error) and
                   is_map_key(exception.classes, class)) or
                  (is_map(exception) and is_map_key(exception, :error) and
                     is_struct(exception.error, SnakeBridge.Error) and
                     is_map_key(exception.error.classes, class))

  @doc """
  Whether a failure came from Python class `class` or a subclass of it: the test of
  `is_python_error/2`, as a function.
  """
  @spec python_class?(t | Exception.t(), String.t()) :: boolean
  def python_class?(exception, class) when is_python_error(exception, class), do: true
  def python_class?(_other, _class), do: false

  @doc """
  The exception modules of a Python exception family, for `rescue`: `base` is
  `SnakeBridge.Error` or a builtin module (`SnakeBridge.ValueError`, ...), and the family is
  that module plus every exception module the project generated whose Python MRO holds
  its class (for `SnakeBridge.Error`: every builtin and generated module). Expanded at
  compile time; the module doc shows it in a `rescue`. Anything else as `base` is a
  `CompileError` that names what to use instead.
  """
  defmacro family(base), do: SnakeBridge.Error.Family.expand(base, __CALLER__)

  @doc false
  # Python builtin class -> its exception module (`"ValueError" => SnakeBridge.ValueError`).
  @spec builtin_modules() :: %{String.t() => module}
  def builtin_modules, do: Map.new(@python_types, fn {class, type} -> {class, @modules[type]} end)

  @doc "The fields of an exception module raised for `error:` (generated modules use it)."
  @spec exception_fields(keyword) :: keyword
  def exception_fields(opts) do
    error = Keyword.fetch!(opts, :error)
    [message: message(error), error: error]
  end

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
    def exception(opts), do: struct!(__MODULE__, SnakeBridge.Error.exception_fields(opts))
  end
end
