#!/usr/bin/env bash
# Install, migrate, load the demo city and serve it at http://127.0.0.1:8000
# with a task worker and the scheduler beside the web server, and the HJ 212
# receiver with the demo enterprises' three collectors reporting to it.
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
# The demo's monitoring points upload every 5 minutes (regulation/demo.py) and
# are flagged offline after three missed uploads: their collectors keep
# reporting for as long as the demo runs (a year of uploads), to a receiver
# that listens on this machine only.
zhengtong hj212_server --host 127.0.0.1 --port 9212 &
receiver=$!
zhengtong hj212_simulate --port 9212 --points 3 --interval 300 --count 105120 > /dev/null &
collectors=$!
trap 'kill $worker $scheduler $receiver $collectors 2>/dev/null || true' EXIT INT TERM

echo "Zhengtong is serving at http://127.0.0.1:8000 (Ctrl-C stops it)"
zhengtong runserver 127.0.0.1:8000 --noreload
