# make run   -- plan the default example, 庆元县 (creates .venv on first use)
# make test  -- run the test suite
# make bench -- run the benchmarks (prints tables)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= qingyuan

.PHONY: run test bench lint clean

$(BIN)/healthplan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/healthplan
	$(BIN)/healthplan solve examples/$(EXAMPLE).toml --out out/$(EXAMPLE)

test: $(BIN)/healthplan
	$(BIN)/python -m pytest -q

bench: $(BIN)/healthplan
	$(BIN)/python benchmarks/orlib.py
	$(BIN)/python benchmarks/locate.py
	$(BIN)/python benchmarks/examples.py
	$(BIN)/python benchmarks/roaming.py
	$(BIN)/python -m benchmarks.province
	$(BIN)/python -m benchmarks.phasing
	$(BIN)/python benchmarks/reliability.py

lint: $(BIN)/healthplan
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) out
