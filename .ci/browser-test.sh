#!/usr/bin/env bash
# Browser test of the HTML report: renders the sample's report.html with the real binary and
# opens it in headless Chromium (Debian's package) through playwright-core, checking what a
# reader sees (tests/browser/report.test.mjs). Artefacts land in target/browser-artifacts/:
# report/ (the rendered outputs), report.png (full page), evidence.png, evidence-hostile.png.
#
# Needs root (or sudo) the first time, on a fresh Debian machine, to install chromium, nodejs
# and npm; later runs skip every install step that is already done.
#
#   .ci/browser-test.sh                           # install if needed, build, render, test
#   .ci/browser-test.sh --update-docs-screenshot  # also refresh docs/report-screenshot.png
set -euo pipefail
cd "$(dirname "$0")/.."

update_docs=0
for arg in "$@"; do
  case "$arg" in
    --update-docs-screenshot) update_docs=1 ;;
    *) echo "usage: $0 [--update-docs-screenshot]" >&2; exit 2 ;;
  esac
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "need root to run: $*" >&2; exit 1
  fi
}

echo "== system packages (chromium, nodejs, npm)"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${missing[@]}" fonts-liberation ca-certificates
else
  echo "already installed: $(/usr/bin/chromium --version 2>/dev/null | head -1), node $(node --version)"
fi

echo "== node dependencies (tests/browser)"
lock_sum=$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)
stamp=tests/browser/node_modules/.installed-from-lock
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  echo "up to date"
else
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$stamp"
fi

# .ci/run passes the binary `cargo test` just built (same feature set, so no second build).
bin=${BACKUP_AUDITOR_BIN:-}
if [ -z "$bin" ]; then
  echo "== build"
  cargo build --locked --bin backup-auditor
  bin=target/debug/backup-auditor
fi

echo "== render the sample report"
art=target/browser-artifacts
rm -rf "$art"
mkdir -p "$art"
# Exit code 0: the sample is scanned without --fail-on.
"$bin" -q scan samples/org --rules rules --waivers samples/waivers.yaml \
  --format html,csv,json --out "$art/report"
ls -l "$art/report/report.html"
# The sample again, then a week later, each scan against the one before: three in the trend.
"$bin" -q scan samples/org --rules rules --waivers samples/waivers.yaml \
  --format html,json --out "$art/again" --baseline "$art/report"
"$bin" -q scan samples/org-later --rules rules --waivers samples/waivers.yaml \
  --format html,json --out "$art/later" --baseline "$art/again"
# A pull request's CloudFormation template judged against the sample: "This change".
"$bin" -q scan samples/org --rules rules --cfn-template samples/plans/orders-stack.yaml \
  --cfn-parameters samples/plans/orders-stack.params.json --account 111111111111 \
  --region us-east-1 --format html --out "$art/planned"

echo "== browser test"
docs=()
[ "$update_docs" -eq 1 ] && docs=(--docs-screenshot docs/report-screenshot.png)
node tests/browser/report.test.mjs "$art/report/report.html" --artifacts "$art" \
  --since "$art/later/report.html" --scans 3 --planned "$art/planned/report.html" "${docs[@]}"
echo "artefacts: $art"
