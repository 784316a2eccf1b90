# Guichet — the front door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := $(notdir $(wildcard services/*))
PORT ?= 8000
STAGE ?= prod
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SERVICE_TESTS := $(addprefix test-service-,$(SERVICES))
TEST_JOBS ?= 2
CLOCK_SHIFT_DAYS := 550
# Every service test process starts with local/clock_shift on PYTHONPATH: its sitecustomize moves
# the process clock GUICHET_CLOCK_SHIFT_DAYS days ahead (0, the default, leaves the clock alone).
GUICHET_CLOCK_SHIFT_DAYS ?= 0
CLOCK := PYTHONPATH=$(CURDIR)/local/clock_shift GUICHET_CLOCK_SHIFT_DAYS=$(GUICHET_CLOCK_SHIFT_DAYS)
.PHONY: test-shifted $(SERVICE_TESTS)

# Python caches the bytecode of what it imports (the services, pytest's plugins): an environment
# that says not to (PYTHONDONTWRITEBYTECODE) makes every test process compile them all again, some
# 50 s of CPU over make test. The caches stay out of git (.gitignore) and out of the packages.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help install run test test-portal test-services test-local test-infra test-artifacts test-local-artifacts lint format docs bench job ingest operator-token package deploy deploy-check clean
.PHONY: operator-client operator-client-rotate operator-client-revoke operator-clients
.PHONY: test-portal-tour test-browser simulate test-simulation test-security test-schemathesis test-faults load report
REPORT_DIR := $(CURDIR)/build/report

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "guichet.pth").write_text("\n".join(str(pathlib.Path(p).resolve()) for p in ["packages/guichet_contracts", "local"]) + "\n")'
	touch $@

install: $(VENV)/.installed ## Create .venv with the pinned tools and libraries

$(CHROMIUM): # Debian's Chromium for the browser tests (Playwright cannot download one here)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

# ARTIFACTS=1: every service runs from its deployment.zip built by make package (guichet_local/artifacts.py)
ARTIFACTS ?=
run: install $(if $(filter-out 0,$(ARTIFACTS)),package) ## Start the whole customer area locally (http://127.0.0.1:$(PORT)) with demo data; ARTIFACTS=1: from the built packages
	$(PY) -m guichet_local --port $(PORT) $(if $(filter-out 0,$(ARTIFACTS)),--artifacts build/infra)

# The tiers over the local runtime, the emulator, the browser and the packaging wait on their
# processes more than they compute: they run three at a time (TIER_JOBS), longest first, each
# one's output printed when it ends; the services' tests under the shifted clock, which compute,
# fill the time the others wait. What the browser tiers install comes first: an install left to the
# pool takes a slot, and make then starts the next tiers ahead of the one that waited for it.
TIER_JOBS ?= 3
PARALLEL_TIERS := test-local test-portal-tour test-simulation test-infra test-browser test-shifted test-schemathesis test-local-artifacts test-faults
test: install lint test-portal $(CHROMIUM) node_modules/.installed test-services ## Run every test tier
	@$(MAKE) --no-print-directory -j$(TIER_JOBS) --output-sync=target $(PARALLEL_TIERS)

test-portal: ## Unit tests of the portal's modules (web/core), node's own test runner, in seconds
	node --test tests/portal/

test-services: install ## Domain and route tests of each service, one process per service, TEST_JOBS at a time
	@echo "== services' tests, $$($(CLOCK) $(PY) -c 'import sitecustomize; print(sitecustomize.clock_line())')"
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target $(SERVICE_TESTS)

test-shifted: install ## The services' tests again, their clock a year and a half ahead
	@$(MAKE) --no-print-directory test-services GUICHET_CLOCK_SHIFT_DAYS=$(CLOCK_SHIFT_DAYS)

$(SERVICE_TESTS): test-service-%: install
	@echo "== services/$*$(if $(filter-out 0,$(GUICHET_CLOCK_SHIFT_DAYS)), (clock $(GUICHET_CLOCK_SHIFT_DAYS) days ahead))"
	@cd services/$* && $(CLOCK) ../../$(PY) -m pytest -q tests \
		--junitxml=$(REPORT_DIR)/junit/service-$*$(if $(filter-out 0,$(GUICHET_CLOCK_SHIFT_DAYS)),-shifted).xml

# the front-end tools of the tests (axe-core), pinned by package-lock.json; the portal needs none
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

YEAR_TEST := tests/simulation/test_year_simulation.py
TOUR_TEST := tests/test_browser_tour.py
SCHEMATHESIS_TESTS := tests/schemathesis
FAULTS_TESTS := tests/faults
BROWSER_TESTS := $(filter-out $(TOUR_TEST),$(wildcard tests/test_browser_*.py))
# the year simulation, schemathesis, the fault injection and the browser tests are tiers of their
# own; the security suite runs within test-local and writes its line of the scorecard
# (tiers/security.json) there too
test-local: install ## Local runtime and end-to-end tests over HTTP (the browser's: test-browser)
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q tests --ignore=$(YEAR_TEST) \
		--ignore=$(SCHEMATHESIS_TESTS) --ignore=$(FAULTS_TESTS) --ignore-glob='tests/test_browser_*.py' \
		--junitxml=$(REPORT_DIR)/junit/local.xml

test-browser: install $(CHROMIUM) node_modules/.installed ## The portal's journeys in Chromium over the local runtime (the tour apart: test-portal-tour)
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q $(BROWSER_TESTS) --junitxml=$(REPORT_DIR)/junit/browser.xml

test-portal-tour: install $(CHROMIUM) node_modules/.installed ## Every portal page for every demo customer at 360 and 1366 px: overflow, axe-core, raw keys; screenshots in build/report/screenshots
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q $(TOUR_TEST) --junitxml=$(REPORT_DIR)/junit/portal-tour.xml

test-security: install ## The security suite alone (it also runs within test-local): authorization, tokens, headers
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q tests/security

test-schemathesis: install ## schemathesis on the four services' OpenAPI documents, over the local runtime
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q $(SCHEMATHESIS_TESTS) --junitxml=$(REPORT_DIR)/junit/schemathesis.xml

test-infra: install ## Package every service and check the templates offline
	$(PY) -m pytest -q infra/tests --junitxml=$(REPORT_DIR)/junit/infra.xml

test-artifacts: install ## Each service's built deployment.zip run as Lambda runs it (also within test-infra)
	$(PY) -m pytest -q infra/tests/test_packaged_handlers.py

# a few journeys across every service, over HTTP, each worker running its built deployment.zip
ARTIFACT_JOURNEYS := tests/test_e2e_auth.py::test_a_newcomer_goes_through_the_whole_auth_flow \
	tests/test_e2e_invoices.py::test_order_is_invoiced_downloaded_paid_by_card_and_completed \
	tests/test_e2e_consumption.py::test_an_electricity_contract_is_metered_and_its_month_billed
test-local-artifacts: package ## End-to-end journeys on the local runtime run from the built packages (make run ARTIFACTS=1)
	GUICHET_LOCAL_ARTIFACTS=$(CURDIR)/build/infra $(PY) -m pytest -q $(ARTIFACT_JOURNEYS) \
		--junitxml=$(REPORT_DIR)/junit/local-artifacts.xml

lint: install ## ruff (lint and format check) and mypy on domain code
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy packages/guichet_contracts/guichet_contracts
	@set -e; for service in $(SERVICES); do $(VENV)/bin/mypy services/$$service/chalicelib; done

format: install ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

docs: install ## Write docs/EVENTS.md again from the event models
	$(PY) -m guichet_contracts.domain_events > docs/EVENTS.md

bench: install ## Benchmarks, measured side by side in one run
	$(PY) bench/run.py

LOAD_USERS ?= 10
LOAD_SECONDS ?= 60
load: install ## Customers' journeys with locust on the local runtime (demo data), and what each asks of AWS: build/report/load.json
	cd bench && ../$(PY) load.py --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

# make report measures only what is missing under build/report/ (delete it to measure again)
$(REPORT_DIR)/bench.json:
	$(MAKE) --no-print-directory bench
$(REPORT_DIR)/load.json:
	$(MAKE) --no-print-directory load
$(REPORT_DIR)/junit/service-%.xml:
	-$(MAKE) --no-print-directory test-service-$*
$(REPORT_DIR)/tiers/simulation.json:
	-$(MAKE) --no-print-directory test-simulation
$(REPORT_DIR)/tiers/security.json:
	-$(MAKE) --no-print-directory test-security
$(REPORT_DIR)/tiers/schemathesis.json:
	-$(MAKE) --no-print-directory test-schemathesis
$(REPORT_DIR)/tiers/faults.json:
	-$(MAKE) --no-print-directory test-faults
REPORT_TIERS := simulation security schemathesis faults
report: install $(REPORT_DIR)/bench.json $(REPORT_DIR)/load.json $(SERVICES:%=$(REPORT_DIR)/junit/service-%.xml) $(REPORT_TIERS:%=$(REPORT_DIR)/tiers/%.json) ## docs/PERFORMANCE.md and docs/RELIABILITY.md from the results under build/report/ (measuring what is missing)
	$(PY) bench/report.py --results $(REPORT_DIR) --docs docs

job: install ## Run a scheduled job now on the running local runtime: make job NAME=auth.apply_pending_email_changes AT=2026-11-23T09:00:00Z
	@test -n "$(NAME)" || (echo "usage: make job NAME=<service>.<job> [AT=<ISO time>]" && exit 2)
	$(PY) -m guichet_local.job --port $(PORT) $(NAME) $(if $(AT),--at $(AT))

ingest: install ## Feed a meter CSV file to the running local runtime: make ingest FILE=readings.csv
	@test -n "$(FILE)" || (echo "usage: make ingest FILE=<meter CSV file> [NAME=<name under readings/>]" && exit 2)
	$(PY) -m guichet_local.ingest --port $(PORT) "$(FILE)" $(if $(NAME),--name "$(NAME)")

operator-token: install ## Print an operator token of the running local runtime: make operator-token SCOPES="invoices:write"
	@test -n "$(SCOPES)" || (echo 'usage: make operator-token SCOPES="invoices:write subscriptions:write" [OPERATOR=<who>]' >&2 && exit 2)
	@$(PY) -m guichet_local.operator_token --port $(PORT) --scopes "$(SCOPES)" $(if $(OPERATOR),--operator "$(OPERATOR)")

operator-client: install ## Make a machine client of the running local runtime, its secret printed once: make operator-client NAME="Billing" SCOPES="invoices:write"
	@test -n "$(NAME)" -a -n "$(SCOPES)" || (echo 'usage: make operator-client NAME="<what it is>" SCOPES="invoices:write subscriptions:write"' >&2 && exit 2)
	@$(PY) -m guichet_local.operator_clients --port $(PORT) create --name "$(NAME)" --scopes "$(SCOPES)"

operator-client-rotate: install ## A new secret for a machine client (the old one works 24 h more): make operator-client-rotate CLIENT=oc_… [GRACE_HOURS=24]
	@test -n "$(CLIENT)" || (echo 'usage: make operator-client-rotate CLIENT=<client id> [GRACE_HOURS=24]' >&2 && exit 2)
	@$(PY) -m guichet_local.operator_clients --port $(PORT) rotate "$(CLIENT)" $(if $(GRACE_HOURS),--grace-hours $(GRACE_HOURS))

operator-client-revoke: install ## Revoke a machine client (every secret ends now): make operator-client-revoke CLIENT=oc_…
	@test -n "$(CLIENT)" || (echo 'usage: make operator-client-revoke CLIENT=<client id>' >&2 && exit 2)
	@$(PY) -m guichet_local.operator_clients --port $(PORT) revoke "$(CLIENT)"

operator-clients: install ## List the machine clients of the running local runtime (no secret)
	@$(PY) -m guichet_local.operator_clients --port $(PORT) list

CUSTOMERS ?= 200
DAYS ?= 365
SEED ?= 1
WORLDS ?= 1
simulate: install ## The year simulation, larger: make simulate CUSTOMERS=200 DAYS=365 SEED=1 [WORLDS=2]
	cd tests && ../$(PY) -m simulation --customers $(CUSTOMERS) --days $(DAYS) --seed $(SEED) --worlds $(WORLDS) \
		--report $(REPORT_DIR)/tiers/simulation.json

test-simulation: install ## The year simulation at the size of make test: customers of every profile, 365 days
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q $(YEAR_TEST)

test-faults: install ## Fault injection: journeys while 10, 30 and 50 % of the services' AWS calls fail
	GUICHET_REPORT_DIR=$(REPORT_DIR) $(PY) -m pytest -q $(FAULTS_TESTS)

package: install ## Build the CloudFormation templates of every stack into build/
	$(PY) -m infra.package --out build/infra --stage $(STAGE)

deploy: package ## Deploy every stack to AWS with the current credentials: make deploy STAGE=prod
	$(PY) -m infra.deploy --stage $(STAGE) --templates build/infra

deploy-check: package ## Deploy the packaged stage into the emulator as make deploy would, then run every deployed function
	$(PY) -m infra.deploy_check --stage $(STAGE) --templates build/infra

clean: ## Remove the virtualenv and build outputs
	rm -rf $(VENV) node_modules build .pytest_cache .ruff_cache .mypy_cache
