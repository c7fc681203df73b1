#!/usr/bin/env bash
# Installs what DistLab needs, and only what is missing. Idempotent: every
# tool is checked by version first, so a second run takes seconds.
#
#   scripts/setup.sh web    what `make serve` needs
#   scripts/setup.sh test   what `make test` needs (web + browser + wasm-pack)
#
# A fresh machine is assumed to have rustup's stable toolchain, Node 20 and
# npm. Chromium and ChromeDriver come from Debian's packages (apt); on other
# systems the script says what to install by hand.
set -euo pipefail

mode="${1:-web}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

TRUNK_VERSION=0.21.14
WASM_PACK_VERSION=0.15.1
# Trunk, wasm-pack and the test runner need exactly the wasm-bindgen of Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"

say() { printf 'setup: %s\n' "$*"; }
need() {
  command -v "$1" >/dev/null 2>&1 || { say "missing $1: $2"; exit 1; }
}

need cargo "install Rust with rustup (https://rustup.rs)"
need rustup "install Rust with rustup (https://rustup.rs)"
need node "install Node.js 20 or newer"
need npm "install npm (comes with Node.js)"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for c in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$c"; then
    say "adding rustup component $c"
    rustup component add "$c"
  fi
done

# The builds run with --offline (Trunk passes it to cargo, and so does the
# post-build hook), so every crate of Cargo.lock must be here first. Quick
# when they are.
cargo fetch --locked --quiet

installed_version() { "$1" --version 2>/dev/null | head -n1 | awk '{print $2}'; }

if [ "$(installed_version trunk)" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (5 to 10 minutes)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi
if [ "$(installed_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (the version in Cargo.lock)"
  # Not --locked: one of its locked dependencies is gone from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt (binaryen 132) and playwright-core come from npm, pinned by package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm tools (binaryen, playwright-core)"
  npm ci --no-audit --no-fund
fi

if [ "$mode" = "test" ]; then
  if [ "$(installed_version wasm-pack)" != "$WASM_PACK_VERSION" ]; then
    say "installing wasm-pack $WASM_PACK_VERSION"
    cargo install wasm-pack --version "$WASM_PACK_VERSION"
  fi
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
      sudo=""
      [ "$(id -u)" -ne 0 ] && sudo="sudo"
      say "installing chromium and chromium-driver from Debian's packages"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei
    else
      say "install Chromium and a matching ChromeDriver, put them on PATH as chromium and chromedriver, then run again"
      exit 1
    fi
  fi
  # A CJK font, so the zh-CN screenshots of the browser tests are readable.
  if command -v fc-list >/dev/null 2>&1 && ! fc-list :lang=zh | grep -q . && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing a Chinese font for the browser tests (fonts-wqy-microhei)"
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-microhei || say "no Chinese font: zh-CN screenshots will show boxes"
  fi
fi
say "ready ($mode)"
