# lapor backbone: `make run` starts everything, `make test` tests everything. Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed-stamp
export PYTHONDONTWRITEBYTECODE := 1
# The services fail closed (unset = production); the two commands run the development setup.
export LAPOR_ENVIRONMENT ?= development
export XDG_RUNTIME_DIR ?= /tmp/lapor-runtime-$(shell id -u)

.PHONY: help install tools run test test-unit test-integration lint fmt bench clean infra-up infra-down infra-status lock asyncapi verify vendor

help:
	@echo "make run    - set up and start the whole system (embedded broker + PostgreSQL + services)"
	@echo "make test   - set up and run every test (unit, integration, end-to-end) on two workers"
	@echo "make lint | fmt | bench | clean | infra-up | infra-down | infra-status | lock | asyncapi | verify"

# The dependencies are compiled at install: the processes read that bytecode
# (PYTHONDONTWRITEBYTECODE only stops writing it), which halves the CPU each service, CLI call
# and test worker spends on imports.
$(STAMP): pyproject.toml requirements.lock | $(XDG_RUNTIME_DIR)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(UV) pip install --python $(BIN)/python --require-hashes --compile-bytecode -r requirements.lock
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Outside Python: a JDK 17+ and Maven for the embedded Apache Kafka, Debian's kcat and chromium
# for the tests that use a client nobody here wrote (Playwright drives that chromium).
# Installed with apt where we are root; else said clearly.
TOOLS := $(VENV)/.tools-stamp
$(TOOLS): | $(STAMP)
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	command -v kcat >/dev/null || missing="$$missing kcat"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing:$$missing (install them: sudo apt-get install$$missing)"; exit 1; fi; \
	fi
	@touch $@

tools: $(TOOLS)

$(XDG_RUNTIME_DIR):
	@mkdir -m 700 -p $(XDG_RUNTIME_DIR)

run: $(STAMP)
	$(BIN)/python -m services run

# Every test in one run on two workers (pytest-xdist: a whole module per worker, test_faults
# one per broker, the real engines' slowest modules first, the unit tests last, filling the
# workers' idle ends; see tests/conftest.py). Reliable since ports are chosen below the
# ephemeral range, a block per worker, and waits for recovery stretch under load
# (tests/deadlines.py). Measured on a fresh clone: issue 20's closing note.
# TEST_WORKERS=0: one at a time. `make test-unit` for the fast tests alone.
TEST_WORKERS ?= 2
WORKERS := -n $(TEST_WORKERS) $(if $(filter 0,$(TEST_WORKERS)),,--dist loadfile --no-loadscope-reorder)
test: $(STAMP) $(TOOLS)
	$(BIN)/python -m pytest -q $(WORKERS) --durations=10 tests/integration tests/e2e tests/unit tests/security

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --durations=10 tests/unit tests/security

test-integration: $(STAMP) $(TOOLS)
	$(BIN)/python -m pytest -q $(WORKERS) --durations=10 tests/integration tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy events services/kernel services/platform/ports.py services/platform/memory.py \
		services/platform/dispatch.py followup/deadlines.py intake/connected/reconciliation.py \
		intake/redaction.py reporting/performance.py \
		$(shell find . -path ./.venv -prune -o -name domain.py -print)

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m tests.bench

asyncapi: $(STAMP)
	$(BIN)/python -m events.asyncapi > docs/asyncapi.json

verify: $(STAMP)
	$(BIN)/python -m services verify

infra-up: $(STAMP)
	$(BIN)/python -m services infra up

infra-down: $(STAMP)
	$(BIN)/python -m services infra down

infra-status: $(STAMP)
	$(BIN)/python -m services infra status

lock: $(STAMP)
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements.lock
	$(BIN)/python .ci/pin_hashes.py requirements.lock

# The dashboard's Chart.js, from the npm registry, checked against the hash in its README.
CHARTJS := 4.6.1
CHARTJS_SHA256 := 87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2
VENDOR := reporting/static/dashboard/vendor
vendor:
	rm -rf var/vendor && mkdir -p var/vendor
	cd var/vendor && npm pack --silent chart.js@$(CHARTJS) && tar xzf chart.js-$(CHARTJS).tgz
	echo "$(CHARTJS_SHA256)  var/vendor/package/dist/chart.umd.min.js" | sha256sum -c -
	sed '/^\/\/# sourceMappingURL=/d' var/vendor/package/dist/chart.umd.min.js > $(VENDOR)/chart.umd.min.js
	cp var/vendor/package/LICENSE.md $(VENDOR)/LICENSE-chart.js.md

clean:
	-test -x $(BIN)/python && $(BIN)/python -m services infra down
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
