# focus-octopus: every command a developer or CI needs. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
# Pinned tools (reference/local-tooling.md measured these versions on this kind of machine).
PYTHON_TOOLS := moto[server]==5.2.5 cfn-lint==1.58.0 cargo-lambda==1.9.2 awscli==1.46.3
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

# The SDK must never look for the EC2 metadata service or real credentials in tests and local runs.
export AWS_EC2_METADATA_DISABLED := true
export AWS_REGION ?= eu-west-1
export AWS_DEFAULT_REGION ?= eu-west-1
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test
export SAM_CLI_TELEMETRY := 0

.PHONY: help setup test lint build bench chaos fuzz demo clean

help:
	@echo "make setup  install the pinned local tools into $(VENV) (moto, cfn-lint, cargo-lambda, awscli)"
	@echo "make test   formatting, clippy, cfn-lint and every test (starts moto by itself)"
	@echo "make bench  cold start, package size, memory, calls per document, limits: printed and written to BENCHMARKS.md"
	@echo "make chaos  the long chaos run: a simulated week, 500 documents, 200 payments (SEEDS=\"1 2 3\" for more seeds)"
	@echo "make fuzz   the fuzz/property targets with 100,000 inputs each (make test runs 10,000)"
	@echo "make build  release zips of the four Lambda functions (x86_64) in $(TARGET_DIR)/lambda/*/"
	@echo "make demo   the whole sync running locally: moto, both simulators, the real functions under cargo lambda watch"

setup: $(VENV)/.installed

# Rebuilt when the pins above change.
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PYTHON_TOOLS)
	touch $@

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(VENV)/bin/cfn-lint infra/template.yaml

test: lint
	cargo test --workspace --locked

build: setup
	PATH="$(abspath $(VENV))/bin:$$PATH" cargo lambda build --release --locked --output-format zip \
		-p webhook-receiver -p document-poster -p payment-puller -p admin
	@ls -l $(TARGET_DIR)/lambda/*/bootstrap.zip

# Release zips first (the figures are those of what Lambda runs, next to a hello-world built the same way), then
# the measurements; BENCHMARKS.md is rewritten from the output.
bench: setup
	PATH="$(abspath $(VENV))/bin:$$PATH" cargo lambda build --release --locked --output-format zip \
		-p webhook-receiver -p document-poster -p payment-puller -p admin -p hello-lambda
	cargo build --locked -p focus-octopus-tests --bin bench
	set -o pipefail; $(TARGET_DIR)/debug/bench | tee $(TARGET_DIR)/bench.md
	{ echo "# Benchmarks"; echo; \
	  echo "Measured by \`make bench\` on $$(date -u +%Y-%m-%d), $$(nproc) cores, $$(rustc --version | cut -d' ' -f1-2);"; \
	  echo "release binaries for the Lambda figures, debug builds on moto and the simulators for the rest."; \
	  echo "Tests never assert these numbers."; echo; cat $(TARGET_DIR)/bench.md; } > BENCHMARKS.md

chaos: setup
	cargo run --quiet --locked -p focus-octopus-tests --bin chaos -- $(or $(SEEDS),1)

fuzz: setup
	FUZZ_CASES=100000 cargo test --locked -p focus-octopus-tests --test fuzz -- --nocapture

# Built from the workspace root without -p, as `cargo lambda watch` runs them (`cargo run --bin <function>`), so
# the watch finds them up to date.
demo: setup
	cargo build --locked --bin webhook-receiver --bin document-poster --bin payment-puller --bin admin \
		--bin focus-octopus --bin demo
	$(TARGET_DIR)/debug/demo

clean:
	rm -rf $(VENV)
	cargo clean
