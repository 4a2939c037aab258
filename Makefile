# focus-octopus: every command a developer or CI needs. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
# Pinned tools, the versions the tests were written and measured with (moto's behaviour differs between releases).
PYTHON_TOOLS := moto[server]==5.2.5 cfn-lint==1.58.0 cargo-lambda==1.9.2 awscli==1.46.3
# The SAM CLI in a venv of its own: it pins boto3/botocore versions of its own, which must not move moto's.
SAM_VENV := .venv-sam
SAM_CLI := aws-sam-cli==1.170.0
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

# The SDK must never look for the EC2 metadata service or real credentials in tests and local runs.
export AWS_EC2_METADATA_DISABLED := true
export AWS_REGION ?= eu-west-1
export AWS_DEFAULT_REGION ?= eu-west-1
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test
export SAM_CLI_TELEMETRY := 0

.PHONY: help setup test lint build deploy-build bench chaos fuzz demo clean

help:
	@echo "make setup  install the pinned local tools into $(VENV) (moto, cfn-lint, cargo-lambda, awscli) and $(SAM_VENV) (SAM CLI)"
	@echo "make test   formatting, clippy, cfn-lint and every test (starts moto by itself)"
	@echo "make bench  cold start, package size, memory, calls per document, limits: printed and written to BENCHMARKS.md"
	@echo "            (BENCH_QUICK=1: a smaller run of a few minutes, kept apart from BENCHMARKS.md)"
	@echo "make chaos  the long chaos run: a simulated week, 500 documents, 200 payments (SEEDS=\"1 2 3\" for more seeds)"
	@echo "make fuzz   the fuzz/property targets with 100,000 inputs each (make test runs 10,000)"
	@echo "make build  release zips of the four Lambda functions (x86_64) in $(TARGET_DIR)/lambda/*/"
	@echo "make deploy-build  \`sam build\` of infra/template.yaml as the README's deploy step runs it (ARCH=arm64 for Graviton)"
	@echo "make demo   the whole sync running locally: moto, both simulators, the real functions under cargo lambda watch"
	@echo "            (KEEP=1: everything stays up afterwards, with the environment to try the CLI by hand; Ctrl-C stops it)"

setup: $(VENV)/.installed $(SAM_VENV)/.installed

# Rebuilt when the pins above change.
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PYTHON_TOOLS)
	touch $@

$(SAM_VENV)/.installed: Makefile
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check $(SAM_CLI)
	touch $@

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(VENV)/bin/cfn-lint infra/template.yaml
	$(SAM_VENV)/bin/sam validate --lint --template-file infra/template.yaml --region $(AWS_REGION)

test: lint
	cargo test --workspace --locked

build: setup
	PATH="$(abspath $(VENV))/bin:$$PATH" cargo lambda build --release --locked --output-format zip \
		-p webhook-receiver -p document-poster -p payment-puller -p admin
	@ls -l $(TARGET_DIR)/lambda/*/bootstrap.zip

# The README's deploy build: `sam build` finds cargo-lambda on PATH (it lives in $(VENV)). Release builds of the
# SDK crates take a while (about 20 minutes on 2 cores from nothing). ARCH=arm64 builds for Graviton (needs the
# aarch64-unknown-linux-gnu Rust target and a cross linker, or cargo-zigbuild; see the README).
deploy-build: setup
	PATH="$(abspath $(VENV))/bin:$(abspath $(SAM_VENV))/bin:$$PATH" sam build --template-file infra/template.yaml \
		$(if $(ARCH),--parameter-overrides Architecture=$(ARCH))

# What the figures of BENCHMARKS.md mean: the hand-written part of the file, kept here so that a rerun of
# `make bench` reproduces the whole file. Every figure and every met/not met below it is printed by the bench.
define BENCH_CONTEXT
How each figure is measured (the numbers come from the run; tests never assert them):

- **Lambda figures** use the release binaries (`cargo lambda build --release`, x86_64) under a local Lambda runtime
  API on loopback, with the variables Lambda sets, against moto and the simulators.
- **Cold start** is what a caller of a cold function waits for: process start to the **response to its first
  event**, and that event does the function's real first work (its first DynamoDB, Secrets Manager and partner
  calls, on loopback). *Warm* is a second event of the same kind in the same process; *added by the cold start* is
  cold − warm, the part a user pays only on a cold start; *init only* is process start to the first request for an
  event. The baseline is `hello-lambda`: the smallest `lambda_runtime` function whose first event makes one
  DynamoDB `GetItem`, built the same way, in the same run; once with its client built before `run` (as the
  runtime's examples do), once on the first event. Target: what a cold start adds to each function's first
  response at most 1.5 × what it adds to the baseline's (the work itself differs: a booking is not a `GetItem`).
- **Where our clients are built.** Our functions build their AWS and HTTPS clients on the first event. The two
  baseline rows measure what that place costs end to end: the work is the same, only its moment moves, so what the
  caller waits for barely changes while init alone looks shorter. The choice is made on the end-to-end figure; on
  it, building on the first event costs nothing measurable, and it lets a missing variable come back as an answer
  with its code (`CONFIG_ENV_MISSING`) instead of a failed init.
- **Peak memory** is VmHWM of the release binary once it asks for its next event after one invocation.
- **Push, steady state**: customers known, caches warm; per posted document, the Focus and Octopus calls counted at
  the simulators and the DynamoDB operations counted by an SDK interceptor (debug build, simulated clock).
- **Puller**: one run with 100 documents paid, on top of a history of mapped documents; the partner calls must not
  grow with the history. Wall times are moto's, whose index queries read the whole table.
- **Backfill**: documents booked at once against the daily booking limit, rounds of six simulated minutes, the
  puller (and its sweep) every 30; a full day should use the whole budget, and the rest waits for the next Belgian
  day with no person involved.
- **Burst**: documents booked at once against Focus's 200 requests a minute, the Octopus booking limit raised as if
  Octopus granted it, so only Focus limits. Throughput share = the fastest time the limit allows for these calls
  (200 at once, 200 more each minute) ÷ the time taken.
endef
export BENCH_CONTEXT

# Release zips first (the figures are those of what Lambda runs, next to a hello-world built the same way), then
# the measurements; BENCHMARKS.md is rewritten from the output. BENCH_QUICK=1: every section smaller, a few
# minutes, printed and kept in $(TARGET_DIR)/bench-quick.md (BENCHMARKS.md stays the full run's).
bench: setup
	PATH="$(abspath $(VENV))/bin:$$PATH" cargo lambda build --release --locked --output-format zip \
		-p webhook-receiver -p document-poster -p payment-puller -p admin -p hello-lambda
	cargo build --locked -p focus-octopus-tools --bin bench
	set -o pipefail; $(TARGET_DIR)/debug/bench | tee $(TARGET_DIR)/bench.md
	{ echo "# Benchmarks"; echo; \
	  echo "Measured by \`make bench$(if $(BENCH_QUICK), BENCH_QUICK=1)\` on $$(date -u +%Y-%m-%d), $$(nproc) cores, $$(rustc --version | cut -d' ' -f1-2)."; \
	  echo; echo "$$BENCH_CONTEXT"; echo; cat $(TARGET_DIR)/bench.md; } > $(if $(BENCH_QUICK),$(TARGET_DIR)/bench-quick.md,BENCHMARKS.md)

chaos: setup
	cargo run --quiet --locked -p focus-octopus-tools --bin chaos -- $(or $(SEEDS),1)

fuzz: setup
	FUZZ_CASES=100000 cargo test --locked -p focus-octopus-tests --test fuzz -- --nocapture

# Built from the workspace root without -p, as `cargo lambda watch` runs them (`cargo run --bin <function>`), so
# the watch finds them up to date.
demo: setup
	cargo build --locked --bin webhook-receiver --bin document-poster --bin payment-puller --bin admin \
		--bin focus-octopus --bin demo
	KEEP=$(KEEP) $(TARGET_DIR)/debug/demo

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam
	cargo clean
