#!/usr/bin/env bash
# Installs tests/node's packages with `npm ci`, unless node_modules already holds exactly what
# package.json and package-lock.json say (a stamp named after their hash). Idempotent and fast
# when nothing changed; serialised with flock so concurrent test runs do not both install.
set -euo pipefail
cd "$(dirname "$0")"
stamp="node_modules/.tlsync-installed-$(cat package.json package-lock.json | sha1sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
exec 9<package-lock.json
flock 9
[ -f "$stamp" ] && exit 0
echo "installing the node peer's packages (npm ci in tests/node)..." >&2
npm ci --no-audit --no-fund --loglevel=error >&2
touch "$stamp"
