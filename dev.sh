#!/usr/bin/env bash
# BeanFlows bootstrap: the two commands of the README.
#   ./dev.sh build [beanflows build options]   set up, then run the nightly build
#   ./dev.sh test  [pytest options]            set up, then run every test
# Needs only Python >= 3.11 and Node 20 (for the Worker); installs uv with pip when missing,
# the locked Python dependencies (uv sync --frozen), the npm packages of the Worker and of the
# /sql/ page (npm ci in workers/ and web/) and,
# for the tests, Debian's chromium (browser tests) and openjdk-17-jre-headless (Spark tests)
# when running as root without them.
set -euo pipefail
cd "$(dirname "$0")"
export UV_PYTHON_DOWNLOADS=never SQLMESH__DISABLE_ANONYMIZED_ANALYTICS=1
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false AWS_EC2_METADATA_DISABLED=true

if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv
fi
# `uv` on PATH, else through the interpreter (pip may put the script where PATH does not look)
uv() { if type -P uv >/dev/null; then command uv "$@"; else python3 -m uv "$@"; fi; }
cmd="${1:-build}"
shift || true
# Byte-compiled at install: imports stay fast even where PYTHONDONTWRITEBYTECODE is set.
# The tests add the `spark` group (pyspark, ~300 MB of jars); the build never needs it and
# leaves it installed (--inexact) rather than uninstalling it after every test run.
if [ "$cmd" = test ]; then
  uv sync --frozen --compile-bytecode --quiet --group spark
else
  uv sync --frozen --compile-bytecode --quiet --inexact
fi
# DuckDB-WASM for the site's /sql/ page (web/package.json). Optional: without npm, or if the
# install fails, the build goes on and leaves that page out.
if [ -f web/package-lock.json ] && { [ ! -f web/node_modules/.package-lock.json ] \
     || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; }; then
  if command -v npm >/dev/null 2>&1; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error) \
      || echo "dev.sh: npm ci in web/ failed; the site is built without its /sql/ page" >&2
  else
    echo "dev.sh: npm not found; the site is built without its /sql/ page" >&2
  fi
fi
case "$cmd" in
  build)
    # The charts' Vega bundle depends only on the installed vl-convert: made once, at install.
    uv run --frozen --no-sync python -m beanflows.vega_bundle \
      || echo "dev.sh: Vega bundle not cached now; the build makes it itself" >&2
    uv run --frozen --no-sync beanflows build "$@"
    ;;
  test)
    # npm packages of the tests: the Worker's runtime (workers/) and axe-core (tests/a11y/)
    for dir in workers tests/a11y; do
      if [ -f "$dir/package-lock.json" ] && command -v npm >/dev/null 2>&1 \
         && { [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; }; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      fi
    done
    # Debian packages of the tests: chromium (browser tests), OpenJDK 17 (the Spark gateway)
    apt_missing=()
    [ -x /usr/bin/chromium ] || apt_missing+=(chromium)
    compgen -G "/usr/lib/jvm/java-17-openjdk-*/bin/java" >/dev/null || apt_missing+=(openjdk-17-jre-headless)
    if [ ${#apt_missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null) \
        || echo "dev.sh: could not install ${apt_missing[*]}; their tests will be skipped" >&2
    fi
    uv run --frozen --no-sync ruff format --check . && uv run --frozen --no-sync ruff check .
    uv run --frozen --no-sync pytest -n 2 "$@"
    ;;
  *)
    echo "usage: ./dev.sh build [options] | ./dev.sh test [pytest options]" >&2
    exit 2
    ;;
esac
