# Sourced by scripts/test.sh and .ci/run: the admin browser tests drive Debian's chromium with its
# chromium-driver. Install them quietly where missing, when running as root; otherwise those tests skip
# and say why.
if ! { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } \
   || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium and chromium-driver for the admin browser tests..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
      >/dev/null 2>&1 || echo "Could not install chromium/chromium-driver: the browser tests will skip." >&2
  fi
fi
