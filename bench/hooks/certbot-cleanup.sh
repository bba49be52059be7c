#!/bin/sh
# certbot --manual-cleanup-hook: removes the dns-01 values of the name.
exec curl -sf -X POST -d "{\"host\":\"_acme-challenge.${CERTBOT_DOMAIN}.\"}" "${BENCH_CHALLTESTSRV}/clear-txt" >/dev/null
