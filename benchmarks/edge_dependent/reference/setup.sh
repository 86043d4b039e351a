#!/usr/bin/env bash
# Build the environment for the CoNHD reference implementation (github.com/zhengyijia/CoNHD), used
# by run_reference.py beside this file to time the reference against hgnn on edge-dependent node
# classification.
#
#   bash benchmarks/edge_dependent/reference/setup.sh <CoNHD git dir or checkout> [commit]
#
# <CoNHD git dir or checkout>: a bare git directory (e.g. a mirror) or a working checkout of
# zhengyijia/CoNHD; [commit]: what to extract (default HEAD).
#
# What it does, all under $CONHD_REF_VENV (default <repo>/.venv-conhd-ref, git-ignored through
# `.venv-*/`; nothing is written elsewhere in the repository):
#   1. creates a Python 3.11 virtual environment there (the interpreter: $CONHD_REF_PYTHON, default
#      python3.11) and installs the pinned packages below;
#   2. extracts the reference's files at <commit> into <venv>/src with `git archive` (its dataset/
#      folder left out: the runs read $HGNN_DATA/enc/<name> instead) and records the commit in
#      <venv>/conhd-ref-source.txt; the extracted files are never modified;
#   3. writes `pip freeze` to <venv>/conhd-ref-freeze.txt and checks that torch and dgl import.
# Running it again reinstalls the pins (a no-op when they are there) and re-extracts the source.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${CONHD_REF_VENV:-$repo/.venv-conhd-ref}"
python="${CONHD_REF_PYTHON:-python3.11}"

# Pins. The reference was tested with Python 3.8, torch 1.12.1+cu113 and dgl-cu113 0.9.0
# (its install.sh / requirements.txt); none of those has a Python 3.11 wheel. dgl 2.1.0 is the
# newest dgl with a Linux wheel on PyPI (2.2.x Linux wheels are only on DGL's own index); it ships
# its graphbolt / sparse libraries for torch 2.0.0-2.2.1 only and fails to import with any other
# torch. PyPI has no CPU-only torch build for Linux (the CPU wheels live on PyTorch's own index),
# so torch comes as PyPI's default Linux build (CUDA 12.1 libraries as nvidia-* dependencies,
# ~2.5 GB); it runs on the CPU. torch 2.1.2 rather than 2.2.x because torchdata 0.7.1 (which dgl's
# graphbolt imports at `import dgl`; torchdata >= 0.10 dropped the datapipes it needs) was built
# for torch 2.1. numpy < 1.24: the reference's preprocessing uses np.int and builds a ragged
# np.array. setuptools < 70: dgl 2.1.0 imports setuptools.extern.packaging (removed in later
# setuptools; torch 2.1.2 asks for no particular setuptools). pandas, pydantic, PyYAML: imported by
# dgl's graphbolt at `import dgl`, though dgl 2.1.0 does not declare them. gensim 4.3.2: the
# first release with Python 3.11 wheels (the reference pins 4.2.0). The rest: the reference's
# imports (scipy, scikit-learn, tqdm) and dgl's declared dependencies, pinned to releases that
# work with numpy 1.23.
pins=(
  "torch==2.1.2"
  "torchdata==0.7.1"
  "dgl==2.1.0"
  "numpy==1.23.5"
  "scipy==1.10.1"
  "scikit-learn==1.2.2"
  "gensim==4.3.2"
  "networkx==3.2.1"
  "tqdm==4.66.4"
  "pandas==2.0.3"
  "psutil==5.9.8"
  "pydantic==2.7.4"
  "PyYAML==6.0.1"
  "requests==2.32.3"
  "setuptools==69.5.1"
)

# shellcheck source=../../reference_setup.sh
source "$repo/benchmarks/reference_setup.sh"  # die, reference_commit, reference_venv, reference_extract

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
src="$1"
rev="${2:-HEAD}"

# --- the reference's git repository -------------------------------------------------------------
reference_commit "$src" "$rev" zhengyijia/CoNHD train.py utils/args_parser.py preprocess/initialize_by_rw.py \
  script/edge_dependent_node_classification/run_StackOverflowBiology.sh

# --- the virtual environment --------------------------------------------------------------------
reference_venv "$repo" "$venv" "$python" CONHD_REF_VENV CONHD_REF_PYTHON

echo "installing: ${pins[*]}"
"$venv/bin/python" -m pip install --only-binary=:all: "${pins[@]}"
"$venv/bin/python" -m pip freeze > "$venv/conhd-ref-freeze.txt"

# --- the reference's source ---------------------------------------------------------------------
# dataset/ left out: a mirror may lack the data blobs, and the runs never read them
reference_extract "$src" "$venv" dataset train.py conhd-ref-source.txt

# --- check ----------------------------------------------------------------------------------------
OMP_NUM_THREADS=1 "$venv/bin/python" - <<'EOF'
import dgl, gensim, numpy, scipy, sklearn, torch
print(f"ok: torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), dgl {dgl.__version__}, "
      f"numpy {numpy.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
      f"gensim {gensim.__version__}")
EOF
echo "reference commit $commit extracted to $venv/src"
echo "run: $venv/bin/python $here/run_reference.py --dataset StackOverflowBiology --seed 0 --out <json>"
