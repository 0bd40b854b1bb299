#!/usr/bin/env bash
# npm packages of the test suites that run Node.js, the versions pinned in each folder's
# package-lock.json, installed with `npm ci` when missing or out of date: by default the
# guide-conformance suite (tests/guide: React 18 and Babel standalone) and the AsyncAPI
# document's validation (tests/asyncapi: the official @asyncapi/parser) and the browser tests'
# accessibility checks (tests/browser: axe-core, injected into each page); or the folders given
# (`scripts/guide-deps.sh tests/openapi`: Redocly's OpenAPI linter). Node.js 20+ runs the
# guide's client code (tests/guide/arnes.js), the parser and the linter; apt installs it if
# absent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then dirs=("$@"); else dirs=(tests/guide tests/asyncapi tests/browser); fi
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
for dir in "${dirs[@]}"; do
  installed="$dir/node_modules/.package-lock.json"
  if [ -f "$installed" ] && [ ! "$dir/package-lock.json" -nt "$installed" ]; then
    continue
  fi
  echo "== npm ci --prefix $dir"
  npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error
done
