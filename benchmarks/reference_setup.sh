# Sourced by benchmarks/<method>/reference/setup.sh: the steps that build any reference
# implementation's environment. Bash; defines die, reference_commit, reference_venv and
# reference_extract.

die() { echo "setup.sh: $*" >&2; exit 2; }

# reference_commit SRC REV NAME FILE...
# Sets git_cmd (an array: git pointed at SRC, a working checkout or a bare git directory such as a
# mirror) and commit (REV resolved); dies unless that commit holds every FILE (NAME: the repository
# it should be, for the message).
reference_commit() {
  local src="$1" rev="$2" name="$3" f
  shift 3
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
  for f in "$@"; do
    "${git_cmd[@]}" cat-file -e "$commit:$f" 2>/dev/null || die "commit $commit of $src has no $f: is it $name?"
  done
}

# reference_venv REPO VENV PYTHON VENV_VAR PYTHON_VAR
# Creates the Python 3.11 environment VENV with the interpreter PYTHON (or checks the one there).
# Inside the repository REPO it must be git-ignored and hold no tracked file: its packages (and the
# reference's code, which is not ours to commit) must never be staged by a `git add -A`. VENV_VAR and
# PYTHON_VAR name the variables that choose VENV and PYTHON, for the messages.
reference_venv() {
  local repo="$1" venv="$2" python="$3" venv_var="$4" python_var="$5"
  case "$(cd "$(dirname "$venv")" 2>/dev/null && pwd)/" in
    "$repo"/*)
      if [ -n "$(git -C "$repo" ls-files -- "$venv" | head -n 1)" ]; then
        die "git tracks files under $venv; untrack them first (git rm -r --cached $venv) and ignore .venv-*/"
      fi
      git -C "$repo" check-ignore -q "$venv/" \
        || die "$venv is not git-ignored; add .venv-*/ to $repo/.gitignore first (or set $venv_var outside the repository)"
      ;;
  esac
  command -v "$python" >/dev/null 2>&1 || die "no interpreter '$python' (set $python_var to a Python 3.11)"
  "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "$python is not Python 3.11 (the pins are for cp311 wheels)"
  if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "$venv exists but is not a Python 3.11 environment; remove it first"
}

# reference_extract SRC VENV EXCLUDED ENTRY INFO
# Extracts the commit reference_commit resolved (git_cmd, commit) into VENV/src: every top-level entry
# but EXCLUDED (git may print "invalid object" for a missing blob under it while exiting 0, so its
# stderr is shown only when the extraction fails). Dies unless ENTRY was extracted; writes the
# commit, SRC, the time and the excluded entry to VENV/INFO. The extracted files are never modified.
reference_extract() {
  local src="$1" venv="$2" excluded="$3" entry="$4" info="$5" tmp
  local -a entries
  tmp="$venv/src.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  mapfile -t entries < <("${git_cmd[@]}" ls-tree --name-only "$commit" | grep -vx "$excluded")
  if ! "${git_cmd[@]}" archive --format=tar "$commit" -- "${entries[@]}" 2>"$tmp.err" | tar -x -f - -C "$tmp"; then
    cat "$tmp.err" >&2
    rm -rf "$tmp" "$tmp.err"
    die "could not extract $commit from $src"
  fi
  rm -f "$tmp.err"
  [ -f "$tmp/$entry" ] || die "extraction of $commit left no $entry in $tmp"
  rm -rf "$venv/src"
  mv "$tmp" "$venv/src"
  {
    echo "commit=$commit"
    echo "source=$(cd "$src" && pwd)"
    echo "extracted_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "excluded=$excluded/"
  } > "$venv/$info"
}
