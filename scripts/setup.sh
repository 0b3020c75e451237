#!/usr/bin/env bash
# Create .venv from the lock file and install Zhengtong into it (editable).
# Usage: scripts/setup.sh [runtime|dev]   (default: runtime)
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-runtime}"
lock=requirements.lock
[ "$kind" = dev ] && lock=requirements-dev.lock

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python_bin="$candidate"
      break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "Zhengtong needs Python 3.11 (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$python_bin" -m venv .venv

# Reinstall only when the lock file or the package metadata changed.
stamp=".venv/.installed-$kind"
wanted="$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --require-hashes -r "$lock"
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$wanted" >"$stamp"
fi
