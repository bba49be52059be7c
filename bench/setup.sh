#!/usr/bin/env bash
# `npm run bench` setup: the testbed's tools (pebble, openssl) plus the contenders from Debian
# (certbot 2.1, lego 4.9) and curl for their DNS hooks, installed when missing.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/ensure-tools.sh" --bench
