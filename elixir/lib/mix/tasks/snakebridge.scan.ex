defmodule Mix.Tasks.Snakebridge.Scan do
  @shortdoc "Lists every call into a declared Python library, with file:line"
  @moduledoc """
  Prints every static call the pre-pass detects, one per line with file:line, and a
  total. Never starts Python.

      mix snakebridge.scan [--verbose] [--format json]

    * `--verbose` — also say, per call, whether the committed source has its binding,
      and list files that do not parse
    * `--format json` — one JSON document on stdout:
      `{"detections": [{"module", "function", "arity", "file", "line", "column", "bound"}],
        "total": n, "missing": n, "files": n}`
  """

  use Mix.Task

  alias SnakeBridge.Config
  alias SnakeBridge.Scanner.{Bindings, Cache, Prepass}

  @impl true
  def run(argv) do
    Mix.Project.get!()

    {opts, _rest, _invalid} =
      OptionParser.parse(argv, switches: [verbose: :boolean, format: :string])

    config = Config.load!()
    cache_path = Cache.path()
    cache = Cache.load(cache_path, {Config.library_modules(config), config.scan_exs})
    {scan, cache, _dirty} = Prepass.scan(config, cache)
    Cache.save(cache, cache_path)
    bound = bound(config)

    rows =
      Enum.map(scan.detections, fn d ->
        Map.put(d, :bound, MapSet.member?(bound, {d.module, d.function, d.arity}))
      end)

    case opts[:format] do
      "json" -> Mix.shell().info(json(rows, scan))
      nil -> text(rows, scan, opts[:verbose] == true)
      other -> Mix.raise("unknown --format #{inspect(other)}; use --format json or leave it out")
    end
  end

  defp bound(config) do
    for rel <- Bindings.files(config.root, config.generated_dir),
        {:ok, source} = File.read(Path.join(config.root, rel)),
        {:ok, defs} = Bindings.parse(source, rel),
        def <- defs,
        into: MapSet.new(),
        do: def
  end

  defp text(rows, scan, verbose) do
    Enum.each(rows, fn d ->
      suffix = if verbose, do: if(d.bound, do: "  (bound)", else: "  (no binding yet)"), else: ""
      Mix.shell().info("#{d.file}:#{d.line}: #{d.module}.#{d.function}/#{d.arity}#{suffix}")
    end)

    if verbose do
      Enum.each(scan.problems, fn p ->
        Mix.shell().error("#{p.file}:#{p.line}: skipped, does not parse: #{p.message}")
      end)
    end

    missing = Enum.count(rows, &(not &1.bound))
    symbols = rows |> Enum.map(&{&1.module, &1.function, &1.arity}) |> Enum.uniq() |> length()

    Mix.shell().info(
      "#{length(rows)} calls (#{symbols} distinct symbols, #{missing} calls without a binding) " <>
        "in #{scan.files} files"
    )
  end

  defp json(rows, scan) do
    detections =
      Enum.map_join(rows, ",\n    ", fn d ->
        "{" <>
          Enum.map_join(
            [
              {"module", d.module},
              {"function", d.function},
              {"arity", d.arity},
              {"file", d.file},
              {"line", d.line},
              {"column", d.column},
              {"bound", d.bound}
            ],
            ", ",
            fn {k, v} -> "#{encode(k)}: #{encode(v)}" end
          ) <> "}"
      end)

    missing = Enum.count(rows, &(not &1.bound))

    ~s({\n  "detections": [\n    #{detections}\n  ],\n  "total": #{length(rows)},\n) <>
      ~s(  "missing": #{missing},\n  "files": #{scan.files}\n})
  end

  # Writing JSON needs no parser: strings, integers, booleans and null are all we emit.
  defp encode(nil), do: "null"
  defp encode(true), do: "true"
  defp encode(false), do: "false"
  defp encode(n) when is_integer(n), do: Integer.to_string(n)

  defp encode(s) when is_binary(s) do
    escaped =
      for <<c::utf8 <- s>>, into: "" do
        case c do
          ?" -> "\\\""
          ?\\ -> "\\\\"
          ?\n -> "\\n"
          c when c < 0x20 -> "\\u" <> String.pad_leading(Integer.to_string(c, 16), 4, "0")
          c -> <<c::utf8>>
        end
      end

    ~s("#{escaped}")
  end
end
