#!/usr/bin/env bash
# Installs what `make demo` and `make test` need, on a Debian machine that has only
# Python 3.11, pip and apt. Safe to run any number of times: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v mix >/dev/null 2>&1 || ! command -v erl >/dev/null 2>&1; then
  echo "==> installing Elixir and Erlang from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elixir erlang-dev >/dev/null
fi

PYTHON="${SNAKEBRIDGE_BOOTSTRAP_PYTHON:-$(command -v python3.11 || command -v python3)}"
# Resolve shims (pyenv and the like) to the real interpreter uv should build on.
PYTHON="$("$PYTHON" -c "import sys; print(sys.executable)")"

# uv goes into .tools/uv, not into the system Python: Debian's python3 refuses
# `pip install` into itself (PEP 668), and --target is the install it allows.
if ! command -v uv >/dev/null 2>&1 && [ ! -x .tools/uv/bin/uv ]; then
  echo "==> installing uv from PyPI into .tools/uv"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --target .tools/uv uv
fi
UV="$(command -v uv || echo "$PWD/.tools/uv/bin/uv")"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv on $PYTHON"
  $UV venv --quiet --python "$PYTHON" .venv
fi

# Reinstall only when the declared dependencies change.
stamp=".venv/.snakebridge-deps"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing the snakebridge Python package and its dev dependencies"
  $UV pip install --quiet --python .venv/bin/python -e '.[dev]'
  echo "$want" > "$stamp"
fi
