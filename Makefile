# The two commands of the README: `make demo` (the main job) and `make test` (the suite);
# `make docs` builds the documentation site into docs/_build/html.
# Each creates or reuses .venv and installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WHEELS ?= ../shared/wheels
TORCH := torch==2.13.0
SCATTER := torch-scatter==2.1.2
FIND_LINKS := $(if $(wildcard $(WHEELS)/*.whl),--find-links $(WHEELS),)
# Where the datasets are: HGNN_DATA from the environment, else ../shared/datasets when that folder
# exists. Passed to the demo, the tests and the benchmarks; unset, they use the user cache
# (~/.cache/hgnn/datasets).
HGNN_DATA ?= $(if $(wildcard ../shared/datasets/.),$(abspath ../shared/datasets),)
ifneq ($(strip $(HGNN_DATA)),)
export HGNN_DATA
endif

.PHONY: demo test docs bench install clean

$(BIN)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch pinned: this version's CPU wheel is what the set-up expects; a plain `torch` pulls CUDA.
	$(BIN)/python -m pip install -q $(TORCH)
	# torch-scatter: the prebuilt wheel from ../shared/wheels when present, else a source build
	# (about 7 minutes); the library falls back to native kernels if neither works.
	$(BIN)/python -m pip install -q $(FIND_LINKS) --no-build-isolation $(SCATTER) \
		|| echo "WARNING: torch-scatter could not be installed; hgnn will use its native kernels"
	$(BIN)/python -m pip install -q -e ".[test,plot]"
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/python examples/demo.py

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

# Sphinx (with furo and myst-parser) comes with the test extra; the docs extra alone is enough.
$(BIN)/.docs-installed: $(BIN)/.installed
	$(BIN)/python -m pip install -q -e ".[docs]"
	touch $@

# Offline, warnings as errors. Open docs/_build/html/index.html.
docs: $(BIN)/.docs-installed
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# The quick benchmarks (a few minutes). The long ones run one by one, each with the commands of
# its folder's README.md: benchmarks/kernels (conv_speed.py ~12 min, scale.py),
# benchmarks/node_classification (run.py ~1 h), benchmarks/edge_dependent (a GPU or hours),
# benchmarks/ehgnn (hours on CPU), benchmarks/distill (~1.5 h), benchmarks/scaling,
# benchmarks/topology_vae.
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/kernels/kernels.py
	$(BIN)/python benchmarks/kernels/conv_speed.py --only-target --out benchmarks/kernels/results/conv_speed_target.json
	$(BIN)/python benchmarks/node_classification/dhg_parity.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info docs/_build
