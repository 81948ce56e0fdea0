#!/usr/bin/env bash
# The system libraries WeasyPrint (PDF report cards) loads at run time: Pango, HarfBuzz and fonts,
# from Debian's packages. Installed with apt-get when missing and run as root (like chromium in
# scripts/test.sh). In CI (CI=true) a missing library fails the run; elsewhere the PDF pages and
# tests are skipped, with this reason printed.
set -uo pipefail
PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core"

have_libs() {
  # Read each listing whole, then search it: `ldconfig -p | grep -q` under pipefail fails
  # whenever grep stops reading early and ldconfig gets SIGPIPE.
  local libs fonts
  libs="$(ldconfig -p 2>/dev/null)"
  fonts="$(fc-list 2>/dev/null)"
  grep -q 'libpango-1.0.so.0' <<<"$libs" \
    && grep -q 'libpangoft2-1.0.so.0' <<<"$libs" \
    && grep -q 'libharfbuzz-subset.so.0' <<<"$libs" \
    && grep -qi 'dejavu' <<<"$fonts"
}

if ! have_libs; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "==> Installing the Debian libraries of WeasyPrint (PDF report cards): $PACKAGES"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES) \
      >/tmp/cxaudit-apt-pdf.log 2>&1 \
      || echo "!! apt-get could not install them (see /tmp/cxaudit-apt-pdf.log)"
  fi
fi
if ! have_libs; then
  if [ "${CI:-false}" = "true" ]; then
    echo "!! CI needs Pango, HarfBuzz and fonts for the PDF report cards (apt-get install $PACKAGES)"
    exit 1
  fi
  echo "==> SKIPPING PDF report cards: Pango/HarfBuzz/fonts are missing (apt-get install $PACKAGES)."
fi
exit 0
