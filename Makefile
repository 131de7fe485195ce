# The few commands a person types. `make demo` runs the C quick start,
# `make test` runs every check and test of the project.
#
#   make lib        build target/release/libquiver.{so,a} (cargo build --release; the
#                   target directory is $CARGO_TARGET_DIR when that is set)
#   make header     regenerate include/quiver.h from src/ffi/ (cbindgen)
#   make demo       build the library, then compile and run examples/quickstart.c
#   make test       rustfmt + clippy, the Rust tests, `make test-c`, `make test-bindings`
#   make test-c     the C tests (tests/c/), again under valgrind, and the install check
#   make test-bindings  the Go, C++ and C# bindings' tests (bindings/*/test.sh)
#   make install    PREFIX=/usr/local (DESTDIR supported): quiver.h, libquiver.{so,a}, quiver.pc,
#                   quiver.hpp and the CMake package (find_package(Quiver))
#   make bench      the ANN benchmark on the full WordNet data ($(WORDNET))
CARGO ?= cargo
CC ?= cc
VALGRIND ?= valgrind
WORDNET ?= ../shared/data/wordnet
PREFIX ?= /usr/local
DESTDIR ?=

# Cargo's target directory: CARGO_TARGET_DIR when set (as cargo does).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
LIB_DIR := $(TARGET_DIR)/release
C_OUT := target/c
# Warnings are errors in every C file of the project.
C_FLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude
# Link against the shared library, found at run time through an rpath ...
C_LINK_SHARED := -L$(LIB_DIR) -lquiver -Wl,-rpath,$(abspath $(LIB_DIR))
# ... or against the static one, plus what the Rust standard library needs.
LIBS_PRIVATE := -lpthread -ldl -lm
C_LINK_STATIC := $(LIB_DIR)/libquiver.a $(LIBS_PRIVATE)
C_TEST_SRC := $(wildcard tests/c/*.c)
C_TEST_DATA := $(CURDIR)/tests/data/wordnet-sample
# Rayon's global thread pool lives until exit: its threads' blocks are
# "still reachable" or (their glibc TLS vectors) "possibly lost"; only
# definite and indirect leaks are leaks of ours. --fair-sched=yes keeps a
# thread that loops on calls from starving the others (valgrind runs one
# thread at a time).
VALGRIND_FLAGS := --error-exitcode=1 --fair-sched=yes --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect

VERSION := $(shell sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
DESCRIPTION := $(shell sed -n '/^\[package\]/,/^\[/s/^description *= *"\(.*\)"/\1/p' Cargo.toml)

.PHONY: build lib header demo demo-rust test test-c test-bindings lint bench install clean

build lib:
	$(CARGO) build --release

header:
	$(CARGO) test --release --test header -- --ignored write_header

demo: lib
	@mkdir -p $(C_OUT)
	$(CC) $(C_FLAGS) examples/quickstart.c -o $(C_OUT)/quickstart $(C_LINK_SHARED) -lm
	./$(C_OUT)/quickstart tests/data/wordnet-sample

demo-rust:
	$(CARGO) run --release --quiet --example quickstart

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets -- -D warnings

test: lint
	$(CARGO) test --release
	$(MAKE) --no-print-directory test-c
	$(MAKE) --no-print-directory test-bindings

# Each binding's own test runner (each script installs its toolchain with
# apt-get when it is missing).
test-bindings: lib
	bindings/go/test.sh
	bindings/cpp/test.sh
	bindings/csharp/test.sh

# The C tests twice (linked against the .so, then the .a under valgrind,
# which also checks the static link line), the quick start under valgrind,
# then the install story (.ci/test-install).
test-c: lib
	@mkdir -p $(C_OUT)
	$(CC) $(C_FLAGS) -DQVT_DEFAULT_DATA_DIR='"$(C_TEST_DATA)"' $(C_TEST_SRC) \
		-o $(C_OUT)/quiver-c-tests $(C_LINK_SHARED) -pthread -lm
	$(CC) $(C_FLAGS) -DQVT_DEFAULT_DATA_DIR='"$(C_TEST_DATA)"' $(C_TEST_SRC) \
		-o $(C_OUT)/quiver-c-tests-static -pthread $(C_LINK_STATIC)
	$(CC) $(C_FLAGS) examples/quickstart.c -o $(C_OUT)/quickstart-static $(C_LINK_STATIC)
	./$(C_OUT)/quiver-c-tests
	.ci/ensure-tool valgrind
	$(VALGRIND) $(VALGRIND_FLAGS) ./$(C_OUT)/quiver-c-tests-static
	$(VALGRIND) -q $(VALGRIND_FLAGS) ./$(C_OUT)/quickstart-static tests/data/wordnet-sample >/dev/null
	MAKE="$(MAKE)" CC="$(CC)" .ci/test-install

install: lib
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/quiver.h $(DESTDIR)$(PREFIX)/include/quiver.h
	install -m 755 $(LIB_DIR)/libquiver.so $(DESTDIR)$(PREFIX)/lib/libquiver.so
	install -m 644 $(LIB_DIR)/libquiver.a $(DESTDIR)$(PREFIX)/lib/libquiver.a
	printf '%s\n' \
		'prefix=$(PREFIX)' \
		'exec_prefix=$${prefix}' \
		'libdir=$${exec_prefix}/lib' \
		'includedir=$${prefix}/include' \
		'' \
		'Name: quiver' \
		'Description: $(DESCRIPTION)' \
		'Version: $(VERSION)' \
		'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -lquiver' \
		'Libs.private: $(LIBS_PRIVATE)' \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/quiver.pc
	bindings/cpp/install.sh "$(DESTDIR)$(PREFIX)"

bench:
	$(CARGO) run --release --bin quiver-bench -- ann --data $(WORDNET) --ef 16,32,64,128,256

clean:
	$(CARGO) clean
