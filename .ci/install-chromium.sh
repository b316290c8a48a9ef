#!/usr/bin/env bash
# Installs Debian's Chromium for the browser-driven login tests (tests/helpers/browser.ts drives
# /usr/bin/chromium through playwright-core), unless it is already there. Playwright's own
# browser download cannot be used here: only the npm registry and Debian's packages are reachable.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium: already installed ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "chromium: $CHROMIUM is missing and this user can neither install packages nor sudo" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: $CHROMIUM is missing and there is no apt-get to install it with" >&2
  exit 1
fi

echo "chromium: not found at $CHROMIUM; installing Debian's chromium package"
echo "chromium: running ${as_root[*]:+${as_root[*]} }apt-get update"
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
echo "chromium: running ${as_root[*]:+${as_root[*]} }apt-get install -y --no-install-recommends chromium"
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
  echo "chromium: the package installed but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
