#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry into static/vendor/.
# Nothing is loaded from a CDN at run time: users in mainland China and
# offline machines cannot rely on one.
set -euo pipefail
BOOTSTRAP_VERSION=5.3.8
CHARTJS_VERSION=4.6.1
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bootstrap: CSS and the JS bundle (with Popper).
mkdir -p "$tmp/bootstrap"
(cd "$tmp/bootstrap" && npm pack --silent "bootstrap@${BOOTSTRAP_VERSION}" >/dev/null 2>&1 && tar xzf "bootstrap-${BOOTSTRAP_VERSION}.tgz")
src="$tmp/bootstrap/package"
dest="$here/static/vendor/bootstrap"
rm -rf "$dest" && mkdir -p "$dest/css" "$dest/js"
cp "$src/dist/css/bootstrap.min.css" "$src/dist/css/bootstrap.min.css.map" "$dest/css/"
cp "$src/dist/js/bootstrap.bundle.min.js" "$src/dist/js/bootstrap.bundle.min.js.map" "$dest/js/"
cp "$src/LICENSE" "$dest/LICENSE"
echo "bootstrap ${BOOTSTRAP_VERSION}" > "$dest/VERSION"
echo "vendored bootstrap ${BOOTSTRAP_VERSION} into $dest"

# Chart.js: the UMD build (a global `Chart`) for the staff dashboard.
mkdir -p "$tmp/chartjs"
(cd "$tmp/chartjs" && npm pack --silent "chart.js@${CHARTJS_VERSION}" >/dev/null 2>&1 && tar xzf "chart.js-${CHARTJS_VERSION}.tgz")
src="$tmp/chartjs/package"
dest="$here/static/vendor/chartjs"
rm -rf "$dest" && mkdir -p "$dest"
cp "$src/dist/chart.umd.min.js" "$src/dist/chart.umd.min.js.map" "$dest/"
cp "$src/LICENSE.md" "$dest/LICENSE"
echo "chart.js ${CHARTJS_VERSION}" > "$dest/VERSION"
echo "vendored chart.js ${CHARTJS_VERSION} into $dest"
