#!/usr/bin/env bash
# System packages the tests need, from Debian's archive (no browser or font downloads of
# their own): Chromium for the real-browser tests (tests/browser, Playwright drives
# /usr/bin/chromium) and a CJK font so that the pages and their screenshots show Chinese.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    chromium fonts-noto-cjk \
    poppler-utils fonts-wqy-microhei zbar-tools
# poppler-utils: pdftoppm/pdftotext check the 权益记录单 PDF renders (tests/test_certificate.py);
# fonts-wqy-microhei: the PDF's fallback font when the PyPI package paperang-p2-fonts-cjk
# is missing (simulator/certificate.py, docs/records.md); zbar-tools: zbarimg reads the
# record's QR code back in a test.
