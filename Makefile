# 万千百 platform. `make run` starts everything; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.9

ROLE ?= admin
REGION ?= 430000
DEPARTMENT ?=

.PHONY: install run test lint migrate token bench clean

$(STAMP): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(BIN)/uv sync --frozen --inexact --quiet
	@touch $@

install: $(STAMP)

run: install
	@$(BIN)/python -m shared.cli run

test: install
	@$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check shared services tests bench migrations
	$(BIN)/ruff format --check shared services tests bench migrations
	$(BIN)/mypy shared services tests bench

migrate: install
	@$(BIN)/python -m shared.cli migrate

token: install
	@$(BIN)/python -m shared.cli token --role "$(ROLE)" --region "$(REGION)" --department "$(DEPARTMENT)"

bench: install
	@$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache
