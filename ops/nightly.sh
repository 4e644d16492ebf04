#!/usr/bin/env bash
# The nightly job on the BeanFlows box: build, then publish what is good.
# Settings come from the environment (see beanflows-nightly.service / an EnvironmentFile):
#   BEANFLOWS_SITE_BUCKET, BEANFLOWS_RAW_BUCKET, R2_ENDPOINT_URL,
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (an R2 API token), optional BEANFLOWS_CONFIG.
# The build exits 1 when a source failed; its good datasets (and the stale markers of the
# failed ones) are still published, and this script then exits 1 so the timer shows a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
./dev.sh build
build_status=$?
if [ "$build_status" -gt 1 ]; then
  echo "nightly: build crashed (exit $build_status); nothing published" >&2
  exit "$build_status"
fi
uv run --frozen --no-sync beanflows publish dist \
  --bucket "$BEANFLOWS_SITE_BUCKET" --endpoint-url "$R2_ENDPOINT_URL" \
  --raw var/raw --raw-bucket "$BEANFLOWS_RAW_BUCKET" --quiet || exit $?
exit "$build_status"
