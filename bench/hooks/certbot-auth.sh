#!/bin/sh
# certbot --manual-auth-hook: publishes the dns-01 value at challtestsrv (the bench's DNS).
exec curl -sf -X POST -d "{\"host\":\"_acme-challenge.${CERTBOT_DOMAIN}.\",\"value\":\"${CERTBOT_VALIDATION}\"}" "${BENCH_CHALLTESTSRV}/set-txt" >/dev/null
