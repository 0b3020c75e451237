#!/usr/bin/env bash
# Install, migrate, load the demo city and serve it at http://127.0.0.1:8000
# with a task worker and the scheduler beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh runtime
export PATH="$PWD/.venv/bin:$PATH"

zhengtong migrate --no-input -v 0
# The 12345 routing model, trained once from the shared labelled messages when
# they are present (a minute or two); without them the command says how to
# train one and every message waits for a dispatcher.
zhengtong hotline_train --if-none-active
zhengtong load_demo

zhengtong db_worker --queue-name default --no-reload &
worker=$!
zhengtong run_scheduler &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null || true' EXIT INT TERM

echo "Zhengtong is serving at http://127.0.0.1:8000 (Ctrl-C stops it)"
zhengtong runserver 127.0.0.1:8000 --noreload
