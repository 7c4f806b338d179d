defmodule PandasApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): pandas's documented calls, generated and run for real.
  def project do
    [
      app: :pandas_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      snakebridge: [
        libraries: [
          pandas: "~> 3.1",
          numpy: "~> 2.4",
          io: :stdlib,
          # pandas' own date parser; its import name differs from its PyPI name
          "python-dateutil": [version: "~> 4.0", python_module: "dateutil"]
        ]
      ]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
