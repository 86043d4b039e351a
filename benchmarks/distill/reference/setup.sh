#!/usr/bin/env bash
# Build the environment for the LightHGNN reference implementation (github.com/iMoonLab/LightHGNN),
# used by run_reference.py beside this file to run the authors' production-setting code on the
# same data, splits and seeds as benchmarks/distill/run.py.
#
#   bash benchmarks/distill/reference/setup.sh <LightHGNN git dir or checkout> [commit]
#
# <LightHGNN git dir or checkout>: a bare git directory (e.g. a mirror) or a working checkout of
# iMoonLab/LightHGNN; [commit]: what to extract (default HEAD).
#
# What it does, all under $LIGHTHGNN_REF_VENV (default <repo>/.venv-lighthgnn-ref, git-ignored through
# `.venv-*/`; nothing is written elsewhere in the repository):
#   1. creates a Python 3.11 virtual environment there (the interpreter: $LIGHTHGNN_REF_PYTHON,
#      default python3.11) and installs the pinned packages below;
#   2. extracts the reference's files at <commit> into <venv>/src with `git archive` (its doc/
#      folder, an image, left out) and records the commit in <venv>/lighthgnn-ref-source.txt; the
#      extracted files are never modified;
#   3. writes `pip freeze` to <venv>/lighthgnn-ref-freeze.txt and checks that torch, dhg and hydra
#      import and that the reference's prod_train.py imports.
# Running it again reinstalls the pins (a no-op when they are there) and re-extracts the source.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${LIGHTHGNN_REF_VENV:-$repo/.venv-lighthgnn-ref}"
python="${LIGHTHGNN_REF_PYTHON:-python3.11}"

# Pins. The authors ran Python 3.9, torch 1.12.1, dhg 0.9.4 and hydra-core 1.3.2 (their README and
# requirements.txt). torch 1.12.1 has no Python 3.11 wheel, and the only torch < 2.0 that has one
# (1.13.x) is PyPI's CUDA build (~2 GB of nvidia-* packages). torch 2.13.0 is the version hgnn's own
# environment uses: its CPU-only wheel where the package index or --find-links offers one (the
# Makefile relies on the same), so both sides of a comparison run the same kernels. dhg 0.9.4
# declares torch>=1.12.1,<2.0 and is therefore installed with --no-deps; every module the reference
# uses (Hypergraph, HGNN/HGNN+/HNHN/UniGCN, MLP, split_by_num, set_seed, the evaluator) works with
# torch 2.x unchanged (setup checks the import, run_reference.py runs them). dhg 0.9.4's other
# requirements are pinned below (numpy < 2: the 1.x line dhg 0.9.4 was released against; scipy
# < 2.0 as dhg declares; optuna, matplotlib, scikit-learn, requests: imported by `import dhg`).
# hydra-core 1.3.2 as the authors (prod_train.py imports hydra at module level); it needs
# omegaconf 2.2-2.3 and antlr4-python3-runtime 4.9.* (4.9.3 exists only as a source archive, so it
# is the one package built here: pure Python, seconds).
pins=(
  "torch==2.13.0"
  "numpy==1.26.4"
  "scipy==1.11.4"
  "scikit-learn==1.3.2"
  "matplotlib==3.8.4"
  "optuna==3.6.1"
  "requests==2.31.0"
  "hydra-core==1.3.2"
  "omegaconf==2.3.0"
  "PyYAML==6.0.1"
  "packaging==24.0"
)
source_pins=("antlr4-python3-runtime==4.9.3")
nodeps_pins=("dhg==0.9.4")

# shellcheck source=../../reference_setup.sh
source "$repo/benchmarks/reference_setup.sh"  # die, reference_commit, reference_venv, reference_extract

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
src="$1"
rev="${2:-HEAD}"

# --- the reference's git repository -------------------------------------------------------------
reference_commit "$src" "$rev" iMoonLab/LightHGNN prod_train.py prod_multi_exp.py prod_config.yaml utils.py

# --- the virtual environment --------------------------------------------------------------------
reference_venv "$repo" "$venv" "$python" LIGHTHGNN_REF_VENV LIGHTHGNN_REF_PYTHON

# the source-only package first, so that hydra-core's requirement on it is met when the wheels go in
echo "installing from source: ${source_pins[*]}"
"$venv/bin/python" -m pip install --no-deps "${source_pins[@]}"
echo "installing: ${pins[*]}"
"$venv/bin/python" -m pip install --only-binary=:all: "${pins[@]}" "${source_pins[@]}"
echo "installing without dependencies (declares torch<2.0): ${nodeps_pins[*]}"
"$venv/bin/python" -m pip install --only-binary=:all: --no-deps "${nodeps_pins[@]}"
"$venv/bin/python" -m pip freeze > "$venv/lighthgnn-ref-freeze.txt"

# --- the reference's source ---------------------------------------------------------------------
reference_extract "$src" "$venv" doc prod_train.py lighthgnn-ref-source.txt

# --- check ----------------------------------------------------------------------------------------
# Importing prod_train.py loads hydra, dhg and the reference's utils.py; it downloads nothing (the
# datasets are only fetched when utils.load_data is called, which run_reference.py replaces).
OMP_NUM_THREADS=1 "$venv/bin/python" - "$venv/src" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import dhg, hydra, numpy, omegaconf, scipy, torch
import prod_train  # noqa: F401  (the reference's module; only its definitions run)
print(f"ok: torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), dhg {dhg.__version__}, "
      f"hydra-core {hydra.__version__}, omegaconf {omegaconf.__version__}, numpy {numpy.__version__}, "
      f"scipy {scipy.__version__}")
EOF
echo "reference commit $commit extracted to $venv/src"
echo "run: $venv/bin/python $here/run_reference.py --dataset cocitation-cora --teacher hgnn --student light_hgnn --out <json>"
