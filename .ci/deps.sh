#!/bin/sh
# Installs the Debian packages wiredup builds, tests and benchmarks with.
# Needs root (apt-get); skips apt entirely when everything is present.
set -e
PKGS="make gcc g++ pkg-config libxxhash-dev xxhash libjudy-dev libutf8proc-dev \
libsimdjson-dev libcmocka-dev liblmdb-dev python3 gnuplot-nox"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
