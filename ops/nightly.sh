#!/usr/bin/env bash
# The BeanFlows box's jobs: the nightly build, and the rebuild request queue.
#   ops/nightly.sh            build (fetch, transform, export, render), then publish the good part
#   ops/nightly.sh requests   run queued rebuild requests (VAR/requests/pending), then publish
# Settings come from the environment (the systemd EnvironmentFile, or CI variables):
#   BEANFLOWS_SITE_BUCKET, BEANFLOWS_RAW_BUCKET, R2_ENDPOINT_URL,
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (an R2 API token),
#   optional BEANFLOWS_CONFIG, BEANFLOWS_VAR (default ./var), BEANFLOWS_OUT (default ./dist),
#   BEANFLOWS_ALERTS_* (alerting; see ops/README.md), BEANFLOWS_PUBLISH=0 (build only).
# Exit: the build's code (0 ok, 1 a source failed but the good part was published, 75 another
# build held the lock), or publish's when publishing failed. Every run is in VAR/runs.jsonl.
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"
var="${BEANFLOWS_VAR:-var}"
out="${BEANFLOWS_OUT:-dist}"

case "$mode" in
  build)
    ./dev.sh build
    status=$?
    ;;
  requests)
    if ! compgen -G "$var/requests/pending/*.json" >/dev/null \
       && ! compgen -G "$var/requests/running/*.json" >/dev/null; then
      echo "nightly: no pending rebuild requests"
      exit 0
    fi
    uv run --frozen --no-sync beanflows run-requests
    status=$?
    ;;
  *)
    echo "usage: ops/nightly.sh [build|requests]" >&2
    exit 2
    ;;
esac

if [ "$status" -gt 1 ]; then
  echo "nightly: $mode stopped (exit $status); nothing published" >&2
  exit "$status"
fi
if [ "${BEANFLOWS_PUBLISH:-1}" = 0 ]; then
  exit "$status"
fi
uv run --frozen --no-sync beanflows publish "$out" \
  --bucket "$BEANFLOWS_SITE_BUCKET" --endpoint-url "$R2_ENDPOINT_URL" \
  --raw "$var/raw" --raw-bucket "$BEANFLOWS_RAW_BUCKET" --quiet || exit $?
exit "$status"
