defmodule MatplotlibApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): matplotlib's documented calls, generated and run for real.
  def project do
    [
      app: :matplotlib_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      snakebridge: [libraries: [matplotlib: "~> 3.11", numpy: "~> 2.4", io: :stdlib]]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
