# keyprojects — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
QUARTERS ?= 2021Q1 2021Q2 2021Q3 2021Q4 2022Q1 2022Q2 2022Q3 2022Q4
SEED ?= 7
ROWS ?= 2000
MONTHS ?= $(shell for y in 2021 2022; do for m in 01 02 03 04 05 06 07 08 09 10 11 12; do echo $$y-$$m; done; done)

.PHONY: venv demo inbox test test-fast lint bench clean

$(VENV)/.installed: requirements.lock pyproject.toml generator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"
	@# bytecode compiled once here (~10 s): where PYTHONDONTWRITEBYTECODE is set, every Airflow
	@# process and task would otherwise compile Airflow from source at each start
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e . -e generator
	touch $@

venv: $(VENV)/.installed

inbox: venv
	rm -rf data/inbox data/resends data/warehouse.db data/warehouse.db-wal data/warehouse.db-shm output
	@# each Q2's corrected resend waits in data/resends/ until bin/demo has run that quarter once
	$(PY) -m kpgen --inbox data/inbox --from 2021Q1 --to 2022Q4 --seed $(SEED) --rows $(ROWS) --months \
		--resends data/resends

demo: inbox
	@# one Airflow process runs every quarter, then every month, with dag.test() (bin/demo.py)
	@# a quarter with a resend waiting in data/resends/ runs twice: before it arrives and after
	bin/demo --quarters $(QUARTERS) --months $(MONTHS) --resends data/resends
	@echo "2022-12 dispatch workbook (13710 monthly): $$(ls $(CURDIR)/output/2022-12/*调度通报.xlsx)"
	@# ends with the bulletin, the 2022 ranking, the 2022Q4 draft 通报 and 退回清单 paths
	@$(PY) -m keyprojects.cli summary
	@echo "Airflow's UI (the runs above, their tasks and logs): bin/airflow standalone, then http://127.0.0.1:8080/"
	@echo "  (user admin; standalone prints the password and keeps it in .airflow/simple_auth_manager_passwords.json.generated)"
	@echo "The office's page 报送情况 (who has reported, the documents): http://127.0.0.1:8080/keyprojects/office/"

# every test, in parallel (pytest-xdist: one worker per core, a test file's tests on one worker so
# that its fixtures are built once, in collection order: tests/conftest.py puts the slowest first;
# each worker has its own Airflow home, warehouses, PostgreSQL
# schemas and ports), the 15 slowest listed at the end
TEST_WORKERS ?= auto
test: venv
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

# ruff (with its Airflow rules AIR) on the Python, sqlfluff (.sqlfluff) on the warehouse SQL
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint include/sql

bench: venv
	$(PY) bench/run.py

clean:
	rm -rf data output .airflow
