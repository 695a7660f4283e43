#!/usr/bin/env bash
# One-command setup on a fresh Debian/Ubuntu machine: installs what the distribution must provide,
# builds osctl, starts the local cluster of osd agents on loopback and shows it working.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=17)?0:1)'; }

packages=(etcd-server etcd-client)
node_ok || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
fi
node_ok || { echo "osctl needs Node.js >= 20.17; this distribution's nodejs is $(node --version 2>/dev/null || echo missing)" >&2; exit 1; }

npm ci --no-audit --no-fund
npm run build

./bin/run.js cluster destroy >/dev/null 2>&1 || true
./bin/run.js cluster create
./bin/run.js get members
./bin/run.js version
