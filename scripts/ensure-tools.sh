#!/usr/bin/env bash
# Installs the system tools certbeat's testbed needs when missing: pebble + pebble-challtestsrv
# (Debian package `pebble`) always, with `--chromium` also Chromium and a Japanese font (the mail
# render tests), with `--bench` also certbot, lego and curl (the contenders of `npm run bench`).
# Runs before `npm test`, `npm run demo` and `npm run bench`; quiet when all is there.
set -euo pipefail
need=()
command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1 || need+=(pebble)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
for option in "$@"; do
  case "$option" in
    --chromium)
      command -v chromium >/dev/null 2>&1 || need+=(chromium)
      # Japanese mails render with tofu boxes in Chromium unless a Japanese font is installed.
      fc-list :lang=ja 2>/dev/null | grep -q . || need+=(fonts-ipafont-gothic)
      ;;
    --bench)
      for tool in certbot lego curl; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
      ;;
    *) echo "ensure-tools: unknown option $option (use --chromium, --bench)" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "certbeat: installing ${need[*]} (Debian packages) for the local testbed..." >&2
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "certbeat: please install as root: apt-get install -y ${need[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
