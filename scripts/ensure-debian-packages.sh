#!/usr/bin/env bash
# Makes sure the Debian packages of a list (scripts/debian-packages.txt, those the tests need, unless
# another list is given) are installed: as root, installs the missing ones (apt-get); otherwise names
# them in one line and fails.
set -euo pipefail
list="$(realpath "${1:-$(dirname "$0")/debian-packages.txt}")"
purpose="${2:-The tests need}"
mapfile -t wanted < <(grep -v '^\s*#' "$list" | grep -v '^\s*$')
missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "$purpose these Debian packages: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
