#!/usr/bin/env bash
# Installs the Debian packages the test suites need, if missing: chromium (WebChat browser tests),
# python3-websockets and python3-cryptography (the Python node, run with /usr/bin/python3).
# Used by `pnpm test` and .ci/run. Needs root or passwordless sudo; prints what to do otherwise.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c 'import websockets' 2>/dev/null || need+=(python3-websockets)
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || need+=(python3-cryptography)
[ ${#need[@]} -eq 0 ] && exit 0
echo "system packages: installing ${need[*]} (apt-get)" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "system packages: cannot install ${need[*]} without root; run: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
