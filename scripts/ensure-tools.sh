#!/usr/bin/env bash
# Installs the system tools certbeat's testbed needs when missing: pebble + pebble-challtestsrv
# (Debian package `pebble`) always, and with `--chromium` also Chromium and a Japanese font (the mail
# render tests).
# Runs before `npm test` and `npm run demo`; quiet when all is there.
set -euo pipefail
need=()
command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1 || need+=(pebble)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${1:-}" = --chromium ] && ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
# Japanese mails render with tofu boxes in Chromium unless a Japanese font is installed.
if [ "${1:-}" = --chromium ] && ! fc-list :lang=ja 2>/dev/null | grep -q .; then need+=(fonts-ipafont-gothic); fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "certbeat: installing ${need[*]} (Debian packages) for the local testbed..." >&2
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "certbeat: please install as root: apt-get install -y ${need[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
