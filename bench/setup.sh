#!/usr/bin/env bash
# `npm run bench` setup: the testbed's tools (pebble, openssl) plus the contenders from Debian
# (certbot 2.1, lego 4.9) and curl for their DNS hooks, installed when missing (apt-get update first).
set -euo pipefail
bash "$(dirname "$0")/../scripts/ensure-tools.sh"
need=()
command -v certbot >/dev/null 2>&1 || need+=(certbot)
command -v lego >/dev/null 2>&1 || need+=(lego)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0
echo "bench: installing ${need[*]} (Debian packages)..." >&2
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "bench: please install as root: apt-get install -y ${need[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
