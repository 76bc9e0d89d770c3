# Everything a developer runs. Each target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install serve demo test lint translations-update translations-compile clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 | grep -v "WARNING: Location" || true
	$(BIN)/python -c "import portal, flask, sqlalchemy, pytest"

# Fresh demo database (SQLite in instance/portal.db), then the development server.
demo: install
	$(FLASK) db upgrade
	$(FLASK) demo load --reset

serve: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The test suite on SQLite (set TEST_DATABASE_URL to run it on PostgreSQL).
test: lint
	$(BIN)/pytest -q

translations-update: install
	$(FLASK) translate update

translations-compile: install
	$(FLASK) translate compile

clean:
	rm -rf $(VENV) instance *.egg-info
