#!/usr/bin/env bash
# Regenerates build/constraints.txt: resolves build/requirements.txt in a fresh virtualenv
# and freezes the result. Run it after changing a version in build/requirements.txt, with
# the Python minor version the image uses (build/prod/Containerfile's PYTHON_VERSION).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check -r build/requirements.txt
{
  sed -n '1,/^# install with it\.$/p' build/constraints.txt
  "$tmp/venv/bin/pip" freeze --disable-pip-version-check
} > "$tmp/constraints.txt"
mv "$tmp/constraints.txt" build/constraints.txt
echo "build/constraints.txt: $(grep -vc '^#' build/constraints.txt) packages"
