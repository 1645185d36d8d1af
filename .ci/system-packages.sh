#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the portal needs, when they are missing.
#   .ci/system-packages.sh run    fonts and Pango for PDF rendering, gettext for catalogs
#   .ci/system-packages.sh test   the above plus Chromium (browser tests) and poppler-utils
# As root (or with password-less sudo) it installs them with apt-get; otherwise it prints
# the exact command to run and exits non-zero.
set -euo pipefail

purpose=${1:-run}
packages=(fonts-noto-cjk fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext)
if [ "$purpose" = "test" ]; then
  packages+=(chromium poppler-utils)
fi

if ! command -v dpkg >/dev/null 2>&1; then
  echo "Not a Debian/Ubuntu system: make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "Missing system packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
