#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser) and scripts/screenshots.py, with an
# emoji font (the help widget's icons). Installed with apt, never downloaded by playwright: the
# tests launch /usr/bin/chromium through playwright's executable_path.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: ${missing[*]} missing and apt-get is not available" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
echo "== installing ${missing[*]} (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
test -x /usr/bin/chromium
