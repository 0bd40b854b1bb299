#!/bin/sh
# Re-fetch the vendored Chart.js (core/static/vendor/) from the npm registry at the pinned
# version and check its sha256: `make run` serves the committed copy and needs no npm.
#   scripts/vendor-chartjs.sh          fetch, verify, install the file and its licence
#   scripts/vendor-chartjs.sh --check  only verify the committed file against the pin
set -eu
VERSION=4.5.1
SHA256=48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a
DEST="$(cd "$(dirname "$0")/.." && pwd)/core/static/vendor"

if [ "${1:-}" = "--check" ]; then
    echo "$SHA256  $DEST/chart.umd.min.js" | sha256sum -c -
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The registry's own tarball of the release (npm verifies its integrity field on download).
(cd "$TMP" && npm pack --silent "chart.js@$VERSION" >/dev/null && tar xzf "chart.js-$VERSION.tgz")
echo "$SHA256  $TMP/package/dist/chart.umd.min.js" | sha256sum -c -
cp "$TMP/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
cp "$TMP/package/LICENSE.md" "$DEST/chart.js.LICENSE.md"
echo "Chart.js $VERSION en $DEST"
