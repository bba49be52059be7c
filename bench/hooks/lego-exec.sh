#!/bin/sh
# lego --dns exec (EXEC_PATH): `present|cleanup <fqdn> <value>` against challtestsrv (the bench's DNS).
case "$1" in
  present) exec curl -sf -X POST -d "{\"host\":\"$2\",\"value\":\"$3\"}" "${BENCH_CHALLTESTSRV}/set-txt" >/dev/null ;;
  cleanup) exec curl -sf -X POST -d "{\"host\":\"$2\"}" "${BENCH_CHALLTESTSRV}/clear-txt" >/dev/null ;;
  *) exit 0 ;;
esac
