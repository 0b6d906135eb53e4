#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry into static/vendor/.
# Nothing is loaded from a CDN at run time: users in mainland China and
# offline machines cannot rely on one.
set -euo pipefail
BOOTSTRAP_VERSION=5.3.8
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "bootstrap@${BOOTSTRAP_VERSION}" >/dev/null 2>&1 && tar xzf "bootstrap-${BOOTSTRAP_VERSION}.tgz")
dest="$here/static/vendor/bootstrap"
rm -rf "$dest" && mkdir -p "$dest/css" "$dest/js"
cp "$tmp/package/dist/css/bootstrap.min.css" "$tmp/package/dist/css/bootstrap.min.css.map" "$dest/css/"
cp "$tmp/package/dist/js/bootstrap.bundle.min.js" "$tmp/package/dist/js/bootstrap.bundle.min.js.map" "$dest/js/"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "bootstrap ${BOOTSTRAP_VERSION}" > "$dest/VERSION"
echo "vendored bootstrap ${BOOTSTRAP_VERSION} into $dest"
