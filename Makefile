# hr-ledger: every target creates the environment it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DIR := demo
DEMO_DB  := sqlite:///$(CURDIR)/$(DEMO_DIR)/sandnes.sqlite
# The demo's own master key (personal fields are sealed at rest): made once, never committed.
DEMO_KEY := $(CURDIR)/$(DEMO_DIR)/master.key
KEYED    := HRLEDGER_MASTER_KEY_FILE=$${HRLEDGER_MASTER_KEY_FILE:-$(DEMO_KEY)}

.PHONY: env test lint unit demo lab notebooks bench clean chromium

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# Bytecode compiled here, once: where PYTHONDONTWRITEBYTECODE is set (as on our CI machine)
# every `hrledger` command otherwise compiled all of our modules again (0.1 s a call).
env: $(STAMP)
	@$(BIN)/python -m compileall -q ledger projections cli >/dev/null

lint: env
	$(BIN)/ruff check ledger projections cli tests benchmarks
	$(BIN)/mypy ledger projections cli benchmarks

test: env lint chromium
	$(BIN)/pytest -q -n 2

# The browser test (tests/browser) drives Debian's Chromium through its ChromeDriver.
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium and chromium-driver for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "the browser test needs Chromium: sudo apt-get install chromium chromium-driver"; \
	fi

$(DEMO_KEY):
	@mkdir -p $(DEMO_DIR)
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $(DEMO_KEY)
	@echo "made the demo's master key $(DEMO_KEY) (keep real keys in a secret store)"

demo: env $(DEMO_KEY)
	@mkdir -p $(DEMO_DIR)
	$(BIN)/hrledger generate --preset sandnes --from 2019 --to 2023 --seed 1 --out $(DEMO_DIR)/sandnes-2019-2023.jsonl --progress
	rm -rf $(DEMO_DIR)/sandnes.sqlite*
	@echo "recording it as the municipality would have: the 2022 report on 20 Jan 2023, late arrivals on 15 Feb"
	$(KEYED) $(BIN)/python -m ledger.synthetic.history --file $(DEMO_DIR)/sandnes-2019-2023.jsonl --report-year 2022 --out $(DEMO_DIR)/sandnes.sqlite --progress
	$(BIN)/hrledger --db $(DEMO_DB) verify
	$(KEYED) $(BIN)/hrledger --db $(DEMO_DB) kpi --from 2021-01-01 --to 2022-12-31 --every year --format summary
	-$(MAKE) notebooks
	@echo "demo ledger: $(DEMO_DIR)/sandnes.sqlite  (try: HRLEDGER_MASTER_KEY_FILE=$(DEMO_KEY) HRLEDGER_DB=$(DEMO_DB) $(BIN)/hrledger history <employee_id>)"
	@echo "hrledger is in $(BIN)/: 'source $(BIN)/activate' puts it on the PATH; 'make lab' opens the notebooks"

notebooks: env $(DEMO_KEY)
	$(KEYED) HRLEDGER_DB=$(DEMO_DB) $(BIN)/python -m projections.notebooks --out $(DEMO_DIR)/notebooks

# JupyterLab on notebooks/, charts drawn offline; prints the URL to open. Works as root too.
# Another ledger: HRLEDGER_DB=... make lab; in a container: make lab LAB_ARGS="--ip 0.0.0.0".
LAB_ARGS ?=
lab: env $(DEMO_KEY)
	@[ -n "$$HRLEDGER_DB" ] || [ -f $(DEMO_DIR)/sandnes.sqlite ] || echo "no demo ledger yet: run 'make demo' first (or set HRLEDGER_DB)"
	$(KEYED) HRLEDGER_DB=$${HRLEDGER_DB:-$(DEMO_DB)} $(BIN)/python -m projections.lab $(LAB_ARGS)

# Every figure of issue 13 in one run and one summary (about an hour, several GB; a quiet machine).
# A quick check that it runs: .venv/bin/python -m benchmarks.all --fraction 0.01
bench: env
	$(BIN)/python -m benchmarks.all --json bench-data/bench.json

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
