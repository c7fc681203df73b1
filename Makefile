# DistLab. Two commands on a fresh machine (see README.md):
#   make serve   install what is missing, build, serve the lab at http://127.0.0.1:8080
#   make test    install what is missing, run every test layer
# Build output lives outside the clone so repeated runs (and CI) reuse it.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/distlab/target
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
CARGO_TERM_COLOR ?= never
export CARGO_TERM_COLOR

DISTLAB := $(CARGO_TARGET_DIR)/release/distlab

.PHONY: serve build test lint test-native test-wasm test-e2e check-lessons bench swarm setup-web setup-test

serve: setup-web
	trunk serve --release --offline

build: setup-web
	trunk build --release --offline

test: setup-test lint test-native test-wasm check-lessons test-e2e
	@echo "make test: every layer passed"

lint:
	cargo fmt --all --check
	cargo clippy --workspace --exclude distlab-web --all-targets -- -D warnings
	cargo clippy -p distlab-core -p distlab-web -p distlab-tests --all-targets --target wasm32-unknown-unknown -- -D warnings

test-native:
	cargo test --workspace --exclude distlab-web

test-wasm:
	wasm-pack test --headless --chrome --mode no-install tests
	wasm-pack test --headless --chrome --mode no-install web

check-lessons:
	cargo build --release -p distlab-cli
	$(DISTLAB) check tutorials tests/scenarios

test-e2e: build
	node tests/e2e/smoke.mjs
	node tests/e2e/lab.mjs
	node tests/e2e/locks.mjs
	node tests/e2e/ring.mjs
	node tests/e2e/lessons.mjs

# Not in CI: a large seed sweep of the swarm tests.
swarm:
	DISTLAB_SWARM_SEEDS=$${SEEDS:-20000} cargo test --release -p distlab-tests --test swarm -- --nocapture

# Not in CI: the benchmark table (native and wasm in one run).
bench: setup-test build
	cargo build --release -p distlab-cli
	$(DISTLAB) bench --marginal

setup-web:
	@scripts/setup.sh web

setup-test:
	@scripts/setup.sh test
