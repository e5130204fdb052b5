#!/usr/bin/env bash
# Makes sure Debian's chromium is there for the browser tests (Playwright cannot download its own).
set -euo pipefail
browser=${DIGNITY_CHROMIUM:-/usr/bin/chromium}
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser tests..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)" >&2
exit 1
