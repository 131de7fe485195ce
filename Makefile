# The few commands a person types. `make demo` runs the quick start,
# `make test` runs every check and test of the project.
CARGO ?= cargo
WORDNET ?= ../shared/data/wordnet

.PHONY: build demo test lint bench clean

build:
	$(CARGO) build --release

demo:
	$(CARGO) run --release --quiet --example quickstart

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets -- -D warnings

test: lint
	$(CARGO) test --release

bench:
	$(CARGO) run --release --bin quiver-bench -- ann --data $(WORDNET) --ef 16,32,64,128,256

clean:
	$(CARGO) clean
