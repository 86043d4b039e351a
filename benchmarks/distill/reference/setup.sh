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

die() { echo "setup.sh: $*" >&2; exit 2; }

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
src="$1"
rev="${2:-HEAD}"

# --- the reference's git repository -------------------------------------------------------------
[ -e "$src" ] || die "no such git dir or checkout: $src"
if [ -e "$src/.git" ]; then
  git_cmd=(git -C "$src")
elif [ -d "$src/objects" ] && git --git-dir="$src" rev-parse --git-dir >/dev/null 2>&1; then
  # a bare git directory (a mirror may have no config file, so --is-bare-repository says false)
  git_cmd=(git --git-dir="$src")
else
  die "$src is neither a git checkout nor a bare git directory"
fi
commit="$("${git_cmd[@]}" rev-parse --verify --quiet "${rev}^{commit}")" || die "no commit '$rev' in $src"
for f in prod_train.py prod_multi_exp.py prod_config.yaml utils.py; do
  "${git_cmd[@]}" cat-file -e "$commit:$f" 2>/dev/null \
    || die "commit $commit of $src has no $f: is it iMoonLab/LightHGNN?"
done

# --- the virtual environment --------------------------------------------------------------------
# Inside this repository the environment must be git-ignored and hold no tracked file: the packages
# (and the reference's code, which is not ours to commit) must never be staged by a `git add -A`.
case "$(cd "$(dirname "$venv")" 2>/dev/null && pwd)/" in
  "$repo"/*)
    if [ -n "$(git -C "$repo" ls-files -- "$venv" | head -n 1)" ]; then
      die "git tracks files under $venv; untrack them first (git rm -r --cached $venv) and ignore .venv-*/"
    fi
    git -C "$repo" check-ignore -q "$venv/" \
      || die "$venv is not git-ignored; add .venv-*/ to $repo/.gitignore first (or set LIGHTHGNN_REF_VENV outside the repository)"
    ;;
esac
command -v "$python" >/dev/null 2>&1 || die "no interpreter '$python' (set LIGHTHGNN_REF_PYTHON to a Python 3.11)"
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "$python is not Python 3.11 (the pins above are for cp311 wheels)"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "$venv exists but is not a Python 3.11 environment; remove it first"

# the source-only package first, so that hydra-core's requirement on it is met when the wheels go in
echo "installing from source: ${source_pins[*]}"
"$venv/bin/python" -m pip install --no-deps "${source_pins[@]}"
echo "installing: ${pins[*]}"
"$venv/bin/python" -m pip install --only-binary=:all: "${pins[@]}" "${source_pins[@]}"
echo "installing without dependencies (declares torch<2.0): ${nodeps_pins[*]}"
"$venv/bin/python" -m pip install --only-binary=:all: --no-deps "${nodeps_pins[@]}"
"$venv/bin/python" -m pip freeze > "$venv/lighthgnn-ref-freeze.txt"

# --- the reference's source ---------------------------------------------------------------------
tmp="$venv/src.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
mapfile -t entries < <("${git_cmd[@]}" ls-tree --name-only "$commit" | grep -vx doc)
if ! "${git_cmd[@]}" archive --format=tar "$commit" -- "${entries[@]}" 2>"$tmp.err" | tar -x -f - -C "$tmp"; then
  cat "$tmp.err" >&2
  rm -rf "$tmp" "$tmp.err"
  die "could not extract $commit from $src"
fi
rm -f "$tmp.err"
[ -f "$tmp/prod_train.py" ] || die "extraction of $commit left no prod_train.py in $tmp"
rm -rf "$venv/src"
mv "$tmp" "$venv/src"
{
  echo "commit=$commit"
  echo "source=$(cd "$src" && pwd)"
  echo "extracted_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "excluded=doc/"
} > "$venv/lighthgnn-ref-source.txt"

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
