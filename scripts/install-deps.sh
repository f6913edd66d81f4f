#!/usr/bin/env bash
# Installs the Debian packages berth needs to build, test and run, if any is missing.
# Idempotent and quiet when everything is there. Needs root (or sudo) only when installing.
set -euo pipefail

pkgs=(
    gcc make pkg-config
    libmicrohttpd-dev   # HTTP server (GnuTLS)
    libjansson-dev      # JSON
    libcurl4-gnutls-dev # HTTP client: controllers, agent, etcd
    libsqlite3-dev      # embedded store
    libgnutls28-dev     # certificates
    libcmocka-dev       # unit tests
    ca-certificates
    curl jq openssl     # end-to-end tests
)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
