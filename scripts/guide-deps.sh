#!/usr/bin/env bash
# npm packages of a test suite, the versions pinned in its package-lock.json, installed with
# `npm ci` when missing or out of date: tests/guide by default (the guide-conformance suite:
# React 18 and Babel standalone), or the folder given (`scripts/guide-deps.sh tests/openapi`:
# Redocly's OpenAPI linter). Node.js 20+ runs the guide's client code (tests/guide/arnes.js) and
# the linter; apt installs it if absent.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-tests/guide}
need_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]
}
if ! need_node; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "guide-deps.sh: Node.js 20+ and npm are missing and apt-get is not available" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "== installing nodejs npm (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  need_node || { echo "guide-deps.sh: Node.js 20+ is required, found $(node --version)" >&2; exit 1; }
fi

# npm ci records what it installed in node_modules/.package-lock.json: reinstall when the
# project's lock file is newer, or when the tree is missing.
installed="$dir/node_modules/.package-lock.json"
if [ -f "$installed" ] && [ ! "$dir/package-lock.json" -nt "$installed" ]; then
  exit 0
fi
echo "== npm ci --prefix $dir"
npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error
