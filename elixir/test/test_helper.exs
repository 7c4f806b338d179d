# Runtime tests run real Python workers. The interpreter comes from SNAKEBRIDGE_PYTHON
# (the Makefile exports the dev venv's) or the repository's .venv.
python =
  System.get_env("SNAKEBRIDGE_PYTHON") ||
    Path.expand("../../.venv/bin/python", __DIR__)

support_python = Path.expand("support/python", __DIR__)

# The :snakebridge app already started (with this project's empty allowlist); restart it
# with the allowlist the tests use.
Application.stop(:snakebridge)
Application.put_env(:snakebridge, :python, python)
# From here the app env carries the interpreter. The variable itself is removed so tests
# of SnakeBridge.Config (which honours it, as users expect) see a clean environment.
System.delete_env("SNAKEBRIDGE_PYTHON")

Application.put_env(:snakebridge, :libraries,
  numpy: "~> 2.0",
  sympy: "~> 1.13",
  json: :stdlib,
  math: :stdlib,
  operator: :stdlib,
  itertools: :stdlib,
  sbtest: :stdlib,
  sbproto: :stdlib
)

Application.put_env(:snakebridge, :pool_size, 2)
Application.put_env(:snakebridge, :ledger, false)

Application.put_env(:snakebridge, :pools,
  default: [size: 2, env: %{"PYTHONPATH" => support_python}]
)

{:ok, _} = Application.ensure_all_started(:snakebridge)

ExUnit.start()
