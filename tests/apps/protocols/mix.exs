defmodule ProtocolsApp.MixProject do
  use Mix.Project

  # A test app (tests/apps/README.md): Python objects used the way Elixir code uses its own
  # values (indexing, operators, faithful values, exceptions by name, safe module names).
  def project do
    [
      app: :protocols_app,
      version: "0.1.0",
      elixir: "~> 1.14",
      build_path: System.get_env("SB_TEST_APPS_BUILD", "_build"),
      elixirc_paths: ["lib", Path.expand("../support", __DIR__)],
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{:snakebridge, path: "../../../elixir"}],
      snakebridge: [
        # the app's own Python module, priv/python/pricing.py
        python_path: ["priv/python"],
        libraries: [
          numpy: "~> 2.4",
          pandas: "~> 3.1",
          sympy: "~> 1.14",
          scipy: "~> 1.17",
          collections: :stdlib,
          datetime: :stdlib,
          builtins: :stdlib,
          fractions: :stdlib,
          zoneinfo: :stdlib,
          # an app with the Elixir decimal package owns `Decimal`: the same fix applies
          decimal: [stdlib: true, module_name: PyDecimal],
          # `time` would be Elixir's Time (refused at compile time); this is the fix the
          # refusal names
          time: [stdlib: true, module_name: PyTime],
          pricing: :local
        ]
      ]
    ]
  end

  def application, do: [extra_applications: [:logger]]
end
