#!/usr/bin/env bash
# The system packages the real-process tests need (Debian names), checked before every `pnpm test`. Missing ones
# are installed when this user may (root, or sudo without a password, and apt); otherwise the run stops at once with
# one line saying what to run.
set -euo pipefail
# package: the command (or file) that shows it is there
declare -A NEEDS=(
  [chromium]=/usr/bin/chromium         # test/integration/dashboard.test.ts, agent-api.test.ts (a real browser)
  [redis-server]=redis-server          # cluster tests: each starts its own Redis on a free port; tcp-streams.test.ts
  [redis-tools]=redis-cli              # tcp-streams.test.ts: redis-cli through Tether listeners
  [iproute2]=tc                        # slow-link.test.ts: a network namespace and a tbf-shaped link
  [etcd-server]=etcd                   # route-source contract, sources tests, demo, bench:sources: a real etcd
  [avahi-daemon]=avahi-daemon          # route-source contract (mDNS): a real DNS-SD responder in a namespace
  [avahi-utils]=avahi-publish          # ... and the announcer we did not write
  [dbus-daemon]=dbus-daemon            # ... avahi-publish talks to avahi-daemon over a private D-Bus
)
missing=()
for pkg in "${!NEEDS[@]}"; do
  what=${NEEDS[$pkg]}
  if [[ $what == /* ]]; then [ -x "$what" ] || missing+=("$pkg"); else command -v "$what" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
list=$(printf '%s ' "${missing[@]}" | sort -u | xargs)
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    echo "test prerequisites: installing ${list}" >&2
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ${list} >/dev/null
    exit 0
  fi
fi
echo "tests need system packages that are missing: run \`sudo apt-get install -y ${list}\`, then pnpm test" >&2
exit 1
