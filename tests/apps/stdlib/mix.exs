defmodule StdlibApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): stdlib's documented calls, generated and run for real.
  def project do
    [
      app: :stdlib_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      # string and calendar would be generated as Elixir's own String and Calendar, which
      # the pre-pass refuses, so they are given module names.
      snakebridge: [
        libraries: [
          builtins: :stdlib,
          math: :stdlib,
          itertools: :stdlib,
          json: :stdlib,
          textwrap: :stdlib,
          datetime: :stdlib,
          collections: :stdlib,
          statistics: :stdlib,
          heapq: :stdlib,
          bisect: :stdlib,
          difflib: :stdlib,
          functools: :stdlib,
          operator: :stdlib,
          re: :stdlib,
          fractions: :stdlib,
          string: [stdlib: true, module_name: PyString],
          hashlib: :stdlib,
          base64: :stdlib,
          urllib: :stdlib,
          shlex: :stdlib,
          fnmatch: :stdlib,
          calendar: [stdlib: true, module_name: PyCalendar],
          uuid: :stdlib,
          zlib: :stdlib,
          pathlib: :stdlib,
          random: :stdlib,
          ipaddress: :stdlib,
          decimal: :stdlib
        ]
      ]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
