#!/usr/bin/env bash
# What this machine's apt uses, for mmdebstrap (image/build.sh): the sources of Debian bookworm, its
# updates and its security fixes as apt itself reads them (sources.list, .list and deb822 .sources files,
# disabled ones left out: `apt-get indextargets`), and its Acquire settings that reach a mirror (proxy,
# CA, client certificate) as mmdebstrap --aptopt lines. A mirror given with --mirror takes the place of
# the host's for bookworm and bookworm-updates.
# Usage: host-apt.sh sources [MIRROR] | host-apt.sh options
set -euo pipefail

# The host's URI for `suite`, or nothing (the first, as apt tries them in order).
host_uri() {
  apt-get indextargets --no-release-info --format '$(REPO_URI)' \
    'Identifier: Packages' "Release: $1" 'Component: main' 2>/dev/null | head -n1
}

case "${1:-}" in
sources)
  override="${2:-}"
  main="${override:-$(host_uri bookworm)}"
  if [ -z "$main" ]; then
    echo "npm run image: this machine's apt has no source for Debian bookworm main; give one: npm run image -- --mirror URL" >&2
    exit 1
  fi
  echo "deb $main bookworm main non-free-firmware"
  updates="${override:-$(host_uri bookworm-updates)}"
  if [ -n "$updates" ]; then echo "deb $updates bookworm-updates main non-free-firmware"; fi
  security="$(host_uri bookworm-security)"
  if [ -n "$security" ]; then echo "deb $security bookworm-security main non-free-firmware"; fi
  ;;
options)
  apt-config dump |
    grep -E '^Acquire::(https?|ftp)::(Proxy|Proxy-Auto-Detect|CaInfo|CaPath|Verify-Peer|Verify-Host|SslCert|SslKey)(::[^ ]+)? ' || true
  ;;
*)
  echo "usage: host-apt.sh sources [MIRROR] | host-apt.sh options" >&2
  exit 2
  ;;
esac
