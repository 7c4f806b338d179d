# Pre-pass benchmark: no-op pre-pass on a 1,000-file project, cold scan of 10,000 files,
# side by side with a bare `mix compile` no-op of the same project, in the same run.
#
#   cd elixir && mix run --no-start ../bench/prepass/bench.exs [--quick]
#
# Writes bench/prepass/RESULTS.md; bench/prepass/run.py runs this and draws results.png
# from that table. Work directories live under bench/.work/ (ignored).

alias SnakeBridge.Scanner.{Cache, Prepass}

defmodule Bench.Synth do
  @moduledoc false

  @numpy_calls [
    {"Numpy", "mean", 1},
    {"Numpy", "std", 2},
    {"Numpy", "array", 1},
    {"Numpy.Linalg", "solve", 2},
    {"Numpy.Linalg", "det", 1},
    {"Numpy.Fft", "fft", 1}
  ]

  def numpy_calls, do: @numpy_calls

  # One synthetic module of ~45 lines. Library files use aliases, pipes, captures,
  # imports and bang calls; the others look alike but call only Elixir's own modules.
  def source(i, library?) do
    name = "Synth.M#{String.pad_leading(Integer.to_string(i), 5, "0")}"

    calls =
      if library? do
        """
          alias Numpy.Linalg
          import Numpy.Fft, only: [fft: 1]

          def stats(xs) do
            a = Numpy.array(xs)
            {Numpy.mean(a), a |> Numpy.std!(ddof: 1)}
          end

          def solve(a, b), do: Linalg.solve(a, b)
          def dets(ms), do: Enum.map(ms, &Linalg.det/1)
          def spectrum(x), do: fft(x)
        """
      else
        """
          alias MyApp.Helpers

          def stats(xs) do
            a = Enum.to_list(xs)
            {Enum.sum(a) / max(length(a), 1), a |> Enum.sort()}
          end

          def solve(a, b), do: Helpers.combine(a, b)
          def dets(ms), do: Enum.map(ms, &length/1)
          def spectrum(x), do: String.reverse(x)
        """
      end

    """
    defmodule #{name} do
      @moduledoc "Synthetic module #{i}."

    #{calls}
      def classify(x) do
        case x do
          n when is_integer(n) and n > 100 -> :large
          n when is_integer(n) -> :small
          s when is_binary(s) -> {:text, String.length(s)}
          _ -> :other
        end
      end

      def pipeline(items) do
        items
        |> Enum.filter(&(&1 != nil))
        |> Enum.map(fn item -> {item, classify(item)} end)
        |> Enum.group_by(&elem(&1, 1), &elem(&1, 0))
      end

      def fetch(map, key) do
        with {:ok, value} <- Map.fetch(map, key),
             true <- value != nil do
          {:ok, value}
        else
          _ -> :error
        end
      end

      defp helper(x, y \\\\ 1), do: x * y + #{i}
      def use_helper(x), do: helper(x)
    end
    """
  end

  def bindings do
    @numpy_calls
    |> Enum.group_by(&elem(&1, 0))
    |> Enum.sort()
    |> Enum.map_join("\n", fn {mod, funs} ->
      defs =
        Enum.map_join(funs, "\n", fn {_, f, a} ->
          args = Enum.map_join(0..(a - 1)//1, ", ", &"a#{&1}")
          "  def #{f}(#{args}), do: {#{args}}"
        end)

      "defmodule #{mod} do\n#{defs}\nend\n"
    end)
  end

  def create(root, files, library_share, elixir) do
    File.rm_rf!(root)
    File.mkdir_p!(Path.join(root, "lib/snakebridge_generated"))

    File.write!(Path.join(root, "mix.exs"), """
    defmodule Synth#{files}.MixProject do
      use Mix.Project

      def project do
        [
          app: :synth_#{files},
          version: "0.1.0",
          compilers: compilers(),
          deps: [{:snakebridge, path: #{inspect(elixir)}}],
          snakebridge: [libraries: [numpy: "~> 2.0"]]
        ]
      end

      # BARE=1 measures the same project without the pre-pass compiler.
      defp compilers do
        if System.get_env("BARE") == "1",
          do: Mix.compilers(),
          else: [:snakebridge] ++ Mix.compilers()
      end
    end
    """)

    File.write!(Path.join(root, "lib/snakebridge_generated/numpy.ex"), bindings())

    every = if library_share > 0, do: round(1 / library_share), else: 0

    for i <- 1..files do
      dir = Path.join([root, "lib", "synth", "d#{rem(i, 20)}"])
      File.mkdir_p!(dir)
      library? = every > 0 and rem(i, every) == 0
      File.write!(Path.join(dir, "m#{i}.ex"), source(i, library?))
    end

    # helper module for the non-library files
    File.write!(Path.join(root, "lib/helpers.ex"), """
    defmodule MyApp.Helpers do
      def combine(a, b), do: {a, b}
    end
    """)

    root
  end
end

defmodule Bench.Stats do
  def median(xs) do
    sorted = Enum.sort(xs)
    n = length(sorted)

    if rem(n, 2) == 1,
      do: Enum.at(sorted, div(n, 2)),
      else: (Enum.at(sorted, div(n, 2) - 1) + Enum.at(sorted, div(n, 2))) / 2
  end

  def ms(us), do: :erlang.float_to_binary(us / 1000, decimals: 1)
end

quick = "--quick" in System.argv()

loadavg = fn ->
  File.read!("/proc/loadavg") |> String.split() |> Enum.take(3) |> Enum.join(" ")
end

load_start = loadavg.()
work = Path.expand("../.work/prepass", __DIR__)
File.mkdir_p!(work)
Mix.shell(Mix.Shell.Quiet)

in_project = fn app, root, fun ->
  Mix.State.delete_cache({:app, app})
  Mix.Project.in_project(app, root, fn _ -> fun.() end)
end

runs = if quick, do: 5, else: 31
files_small = 1_000
files_large = if quick, do: 2_000, else: 10_000

# The synthetic apps depend on a snapshot of the committed snakebridge (HEAD), not on the
# working tree, which other work may be changing while the benchmark runs.
repo = Path.expand("../..", __DIR__)
snapshot = Path.join(work, "snakebridge_head")
File.rm_rf!(snapshot)
File.mkdir_p!(snapshot)

{_, 0} =
  System.cmd("sh", ["-c", "git -C '#{repo}' archive HEAD elixir src | tar -x -C '#{snapshot}'"])

elixir = Path.join(snapshot, "elixir")
{head, 0} = System.cmd("git", ["-C", repo, "rev-parse", "--short", "HEAD"])

IO.puts("creating synthetic projects in #{work} ...")
small = Bench.Synth.create(Path.join(work, "p1k"), files_small, 0.3, elixir)
large_mixed = Bench.Synth.create(Path.join(work, "p10k_mixed"), files_large, 0.3, elixir)
large_all = Bench.Synth.create(Path.join(work, "p10k_all"), files_large, 1.0, elixir)

# -- in-process pre-pass timings --------------------------------------------------------

prepass_once = fn app, root ->
  in_project.(app, root, fn ->
    {us, result} = :timer.tc(fn -> Prepass.run() end)
    {us, result}
  end)
end

cold = fn app, root ->
  in_project.(app, root, fn -> Cache.clean(Cache.path()) end)
  {us, {status, diags}} = prepass_once.(app, root)
  true = status in [:noop, :ok] and diags == []
  us
end

IO.puts("no-op pre-pass, #{files_small} files ...")
_ = cold.(:synth_1000, small)
noop_small = for _ <- 1..runs, do: elem(prepass_once.(:synth_1000, small), 0)

IO.puts("cold scans, #{files_large} files ...")
cold_runs = if quick, do: 1, else: 3
cold_mixed = for _ <- 1..cold_runs, do: cold.(:"synth_#{files_large}", large_mixed)
cold_all = for _ <- 1..cold_runs, do: cold.(:"synth_#{files_large}", large_all)

noop_large =
  for _ <- 1..min(runs, 11), do: elem(prepass_once.(:"synth_#{files_large}", large_all), 0)

# Baseline for the cold scan: just reading and parsing every file, single process.
parse_all = fn root ->
  files = Path.wildcard(Path.join(root, "lib/synth/**/*.ex"))

  {us, _} =
    :timer.tc(fn ->
      Enum.each(files, fn f ->
        {:ok, _} = f |> File.read!() |> Code.string_to_quoted(columns: true)
      end)
    end)

  us
end

parse_baseline = parse_all.(large_all)

# -- real `mix compile` no-op, with and without the pre-pass ---------------------------

mix = System.find_executable("mix")

mix_compile = fn root, bare ->
  env = [
    {"BARE", if(bare, do: "1", else: "0")},
    {"MIX_ENV", "dev"},
    {"MIX_DEBUG", "1"},
    {"SNAKEBRIDGE_VERBOSE", nil}
  ]

  t0 = System.monotonic_time(:microsecond)
  {out, 0} = System.cmd(mix, ["compile"], cd: root, env: env, stderr_to_stdout: true)
  {System.monotonic_time(:microsecond) - t0, out}
end

IO.puts("first full `mix compile` of the #{files_small}-file project (not timed) ...")
{_, _} = mix_compile.(small, false)
{_, _} = mix_compile.(small, true)
{_, _} = mix_compile.(small, false)

mix_runs = if quick, do: 3, else: 11

IO.puts("`mix compile` no-op, alternating with and without the pre-pass ...")

# MIX_DEBUG=1 makes Mix print how long each task took, so the pre-pass inside a real
# `mix compile` (fresh VM: code loading included) can be read off directly.
task_ms = fn out, task ->
  # The last match is the app's own task (path deps print theirs first).
  [_, ms] = ~r/<- Ran mix #{Regex.escape(task)} in (\d+)ms/ |> Regex.scan(out) |> List.last()
  String.to_integer(ms) * 1000
end

{with_pp, bare, in_mix, elixir_pp, elixir_bare} =
  Enum.reduce(1..mix_runs, {[], [], [], [], []}, fn _, {w, b, p, ew, eb} ->
    {tw, out_w} = mix_compile.(small, false)
    {tb, out_b} = mix_compile.(small, true)
    # A no-op compile compiles no file of the app.
    false = out_w =~ "Compiling"
    false = out_b =~ "Compiling"
    false = out_b =~ "compile.snakebridge"

    {[tw | w], [tb | b], [task_ms.(out_w, "compile.snakebridge") | p],
     [task_ms.(out_w, "compile.elixir") | ew], [task_ms.(out_b, "compile.elixir") | eb]}
  end)

# -- results ---------------------------------------------------------------------------

m = &Bench.Stats.median/1
ms = &Bench.Stats.ms/1

{:ok, otp} =
  File.read(
    Path.join([:code.root_dir(), "releases", :erlang.system_info(:otp_release), "OTP_VERSION"])
  )

cpu =
  case File.read("/proc/cpuinfo") do
    {:ok, info} ->
      info
      |> String.split("\n")
      |> Enum.find("", &String.starts_with?(&1, "model name"))
      |> String.split(":")
      |> List.last()
      |> String.trim()

    _ ->
      "unknown"
  end

table = """
# Pre-pass benchmark

Machine: #{cpu}, #{System.schedulers_online()} schedulers online (2 cores shared with
other work: load average #{load_start} at the start of the run, #{loadavg.()} at the end),
Elixir #{System.version()}, OTP #{String.trim(otp)}.
Command: `cd elixir && mix run --no-start ../bench/prepass/bench.exs#{if quick, do: " --quick", else: ""}`
(in-process rows: the working tree; `mix compile` rows: snakebridge at commit #{String.trim(head)}).

Synthetic projects: ~45-line modules; in a "30%" project every third-ish file calls
numpy through aliases, an import, pipes, a capture and a bang call, the rest call only
Elixir's own modules; in an "all" project every file does. Bindings for every call are
committed, so a no-op is a true no-op (no Python, no OS process).

| measurement | files | median | target | runs |
| --- | ---: | ---: | ---: | ---: |
| no-op pre-pass (in-process, `Prepass.run/0`) | #{files_small} (30%) | #{ms.(m.(noop_small))} ms | ≤ 30 ms | #{runs} |
| no-op pre-pass inside a real `mix compile` (fresh VM, `MIX_DEBUG` task time) | #{files_small} (30%) | #{ms.(m.(in_mix))} ms | ≤ 30 ms | #{mix_runs} |
| `compile.elixir` no-op in the same runs (Elixir's own compiler, for scale) | #{files_small} (30%) | #{ms.(m.(elixir_pp))} ms | — | #{mix_runs} |
| bare `mix compile` no-op (no pre-pass), wall clock | #{files_small} (30%) | #{ms.(m.(bare))} ms | — | #{mix_runs} |
| `mix compile` no-op with the pre-pass, wall clock | #{files_small} (30%) | #{ms.(m.(with_pp))} ms | — | #{mix_runs} |
| cold scan (empty cache), 30% library files | #{files_large} | #{ms.(m.(cold_mixed))} ms | ≤ 3000 ms | #{cold_runs} |
| cold scan (empty cache), every file a library file | #{files_large} | #{ms.(m.(cold_all))} ms | ≤ 3000 ms | #{cold_runs} |
| baseline: read + `Code.string_to_quoted` every file, one process | #{files_large} | #{ms.(parse_baseline)} ms | — | 1 |
| no-op pre-pass (in-process) | #{files_large} (all) | #{ms.(m.(noop_large))} ms | — | #{length(noop_large)} |

Ratios in this run:

- inside `mix compile`, the no-op pre-pass takes #{:erlang.float_to_binary(m.(in_mix) / m.(elixir_pp), decimals: 2)}× the time of Elixir's own
  no-op `compile.elixir` on the same project (#{ms.(m.(elixir_bare))} ms in the bare runs);
- the wall clock of a no-op `mix compile` with the pre-pass is #{:erlang.float_to_binary(m.(with_pp) / m.(bare), decimals: 2)}× the bare one
  (dominated by VM start-up, and noisy on this shared machine);
- the cold scan of #{files_large} library files costs #{:erlang.float_to_binary(m.(cold_all) / parse_baseline, decimals: 2)}× a bare single-process read-and-parse
  of the same files (it parses on every scheduler, and also walks, hashes and caches).

Method: the in-process figures time `SnakeBridge.Scanner.Prepass.run/0` inside the loaded
project (what `mix compile.snakebridge` runs), medians over the runs listed; "cold" removes
the pre-pass cache first. The `mix compile` rows are wall-clock times of separate `mix compile`
OS processes on the already compiled project, alternating with (`compilers: [:snakebridge] ++
Mix.compilers()`) and without (`BARE=1` → `Mix.compilers()`) the pre-pass; they include
starting the VM and loading Mix.
"""

File.write!(Path.expand("RESULTS.md", __DIR__), table)
IO.puts(table)
