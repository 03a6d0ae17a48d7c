# Shared by scripts/demo and scripts/test: make .venv with Python 3.11+ and install Taperline
# into it, at the versions in requirements.lock, when pyproject.toml or the lock has changed
# since the last install. Sourced, not run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Taperline needs Python 3.11 or newer; none was found on PATH." >&2
  return 1
}

ensure_venv() {  # $1: the extras to install, e.g. "dev" or ""
  local extras="$1" stamp=".venv/.taperline-installed" want
  want="$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)-${extras}"
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    if [ -n "$extras" ]; then
      .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c requirements.lock -e ".[${extras}]"
    else
      .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c requirements.lock -e .
    fi
    echo "$want" > "$stamp"
  fi
}
