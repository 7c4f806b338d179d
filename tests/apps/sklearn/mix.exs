defmodule SklearnApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): sklearn's documented calls, generated and run for real.
  def project do
    [
      app: :sklearn_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      snakebridge: [libraries: ["scikit-learn": [version: "~> 1.9", module_name: Sklearn], numpy: "~> 2.4"]]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
