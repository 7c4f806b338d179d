defmodule SympyApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): sympy's documented calls, generated and run for real.
  def project do
    [
      app: :sympy_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      snakebridge: [libraries: [sympy: "~> 1.14", mpmath: "~> 1.3"]]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
