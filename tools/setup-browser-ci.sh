#!/usr/bin/env bash
# Installs Debian's headless Chromium (and the DejaVu fonts the report charts and PNGs use) for
# test/report.test.ts, which opens a training report in the browser through playwright-core.
# Idempotent and quiet; run as root. Exits 0 at once when everything is already installed.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q "ok installed" || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "setup-browser-ci: must run as root to apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
/usr/bin/chromium --version >/dev/null
