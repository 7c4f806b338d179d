# The README's two commands. Each sets up whatever is missing first and is safe to rerun.
SHELL := /bin/bash
ROOT := $(abspath .)
PY := $(ROOT)/.venv/bin/python
export SNAKEBRIDGE_BOOTSTRAP_PYTHON ?= $(shell command -v python3.11 || command -v python3)
export HEX_OFFLINE := 1
# Where scripts/bootstrap.sh puts uv when the machine has none; `mix snakebridge.setup`
# finds it on PATH.
export PATH := $(ROOT)/.tools/uv/bin:$(PATH)
# The folder of prebuilt wheels pip is configured with here (torch's CPU wheel): uv only
# sees it through --find-links. Set only when it exists, because uv fails on a missing one.
WHEELS ?= /opt/wheels
ifneq ($(wildcard $(WHEELS)/*.whl),)
export UV_FIND_LINKS ?= $(WHEELS)
endif

.PHONY: setup demo test test-python test-elixir lint

setup:
	@./scripts/bootstrap.sh

demo: setup
	@cd examples/demo && mix snakebridge.setup && mix run -e 'Demo.main()'

test: setup lint test-elixir test-python

lint:
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench
	$(PY) -m mypy
	cd elixir && mix format --check-formatted
	cd tests/docs/app && mix format --check-formatted

test-elixir:
	cd elixir && MIX_ENV=test mix compile --warnings-as-errors --force
	cd elixir && SNAKEBRIDGE_PYTHON=$(PY) mix test

# pytest exits 5 when it collects nothing; any non-zero exit fails the build.
test-python:
	$(PY) -m pytest -q
