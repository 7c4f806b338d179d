defmodule SnakeBridge.StrictEndToEndTest do
  @moduledoc """
  Strict mode from the outside: a real `mix compile` of a temp app that uses snakebridge
  as a path dependency, with no `python` or `python3` anywhere on PATH. It passes with
  complete committed bindings and fails, with file:line, when one is missing.
  """
  use ExUnit.Case, async: false

  @moduletag timeout: 300_000
  @elixir_project Path.expand("../..", __DIR__)

  setup_all do
    root = Path.join(System.tmp_dir!(), "sb_strict_e2e_#{System.unique_integer([:positive])}")
    File.rm_rf!(root)
    File.mkdir_p!(Path.join(root, "lib/snakebridge_generated"))
    bin = Path.join(root, "nopython_bin")
    File.mkdir_p!(bin)

    # Everything on this machine's PATH except anything called python*.
    for dir <- String.split(System.get_env("PATH"), ":"),
        File.dir?(dir),
        {:ok, names} = File.ls(dir),
        name <- names,
        not String.starts_with?(name, "python"),
        not File.exists?(Path.join(bin, name)) do
      File.ln_s(Path.join(dir, name), Path.join(bin, name))
    end

    File.write!(Path.join(root, "mix.exs"), """
    defmodule StrictApp.MixProject do
      use Mix.Project

      def project do
        [
          app: :strict_app,
          version: "0.1.0",
          compilers: [:snakebridge] ++ Mix.compilers(),
          deps: [{:snakebridge, path: #{inspect(@elixir_project)}}],
          snakebridge: [strict: true, libraries: [numpy: "~> 2.0"]]
        ]
      end
    end
    """)

    File.write!(Path.join(root, "lib/app.ex"), """
    defmodule StrictApp do
      alias Numpy.Linalg
      def run(x), do: {Numpy.mean(x), Linalg.det(x)}
    end
    """)

    on_exit(fn -> File.rm_rf!(root) end)
    {:ok, root: root, path: bin}
  end

  defp mix_compile(root, path) do
    env = [
      {"PATH", path},
      {"MIX_ENV", "dev"},
      {"SNAKEBRIDGE_PYTHON", nil},
      {"SNAKEBRIDGE_STRICT", nil},
      {"SNAKEBRIDGE_SKIP", nil}
    ]

    System.cmd("mix", ["compile"], cd: root, env: env, stderr_to_stdout: true)
  end

  test "no python on PATH: complete bindings pass, a missing one fails with file:line",
       %{root: root, path: path} do
    assert System.find_executable("mix") != nil
    assert :os.cmd(~c"PATH=#{path} command -v python3 python || echo none") == ~c"none\n"

    bindings = Path.join(root, "lib/snakebridge_generated/numpy.ex")

    File.write!(bindings, """
    defmodule Numpy do
      def mean(x), do: x
    end

    defmodule Numpy.Linalg do
      def det(x), do: x
    end
    """)

    {output, status} = mix_compile(root, path)
    assert status == 0, output
    assert output =~ "Generated strict_app app"

    File.write!(bindings, """
    defmodule Numpy do
      def mean(x), do: x
    end
    """)

    {output, status} = mix_compile(root, path)
    assert status != 0, output
    assert output =~ "Numpy.Linalg.det/1 has no committed binding"
    assert output =~ "lib/app.ex:3"
    assert output =~ "mix snakebridge.generate"
    refute output =~ "Numpy.mean/1 has no committed binding"
  end
end
