# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON_VERSION := $(shell cat .python-version)
# pyenv's interpreter when there is one, else whatever python3 is on PATH (it must be >= 3.12).
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || command -v python$(PYTHON_VERSION) || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEVSTACK := $(BIN)/python -m accountability.devtools.devstack
PYTEST_WORKERS ?= 2

.PHONY: run test venv lint format bench chaos test-packages clean

run: venv
	$(DEVSTACK) run

test: venv test-packages
	$(DEVSTACK) exec -- $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The virtual environment is rebuilt whenever the lock file changes.
venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	touch $@

# The DESIGN §16 organisation, generated once with COPY into its own database (acc_bench_<scale>),
# then one table of analysis timings against their targets. SCALE=small for a quick run. Then suspect
# ranking's precision@1 and MRR on the labelled scenarios beside "latest deploy" (tests/fixtures/suspect-scenarios).
SCALE ?= full
bench: venv
	$(DEVSTACK) exec -- env SCALE=$(SCALE) $(BIN)/python -m accountability.devtools.bench
	$(DEVSTACK) exec -- $(BIN)/python -m pytest -p no:cacheprovider -q -s tests/incidents/test_suspect_scenarios.py -k precision

# Signed deliveries while workers are SIGKILLed, Redis restarts empty and PostgreSQL stops -m immediate,
# all on servers of its own; exits 1 if a delivery answered 2xx is lost or applied twice. CHAOS=short for CI.
CHAOS ?= full
chaos: venv
	CHAOS=$(CHAOS) $(BIN)/python -m accountability.devtools.chaos

# Browser tests drive the system Chromium (Playwright cannot download its own here); the proxy's tests run
# Debian's nginx with docker-compose's configuration.
test-packages:
	@test -x /usr/bin/chromium -a -x /usr/sbin/nginx || scripts/install-test-packages

# Regenerate the lock file after editing pyproject.toml.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 --generate-hashes --quiet -o requirements.lock

clean:
	rm -rf $(VENV) .data .pytest_cache
