# wiredup - GNU make build. `make help` lists the targets.
#
# The library (libwiredup) is every .c under the pipeline folders of src/; the
# program adds src/io (readers, JSON, writers) and src/cli (one file per
# subcommand) and uses the library only through include/wiredup.h.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CXX     ?= c++

OPT      ?= -O2
SAN      ?=
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS   ?= $(OPT) -g
CXXFLAGS ?= $(OPT) -g
ALL_CFLAGS   := -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fopenmp -Iinclude $(SAN) $(CFLAGS)
ALL_CXXFLAGS := -std=c++17 -Wall -Wextra -fPIC -Iinclude $(SAN) $(CXXFLAGS)
LIBS     := -lxxhash -lJudy -lutf8proc -llmdb -lm
PROG_LIBS := -lsimdjson -lstdc++

LIB_DIRS := common text sketch index cluster core eval
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
IO_SRC   := $(wildcard src/io/*.c)
GEN_SRC  := $(wildcard src/gen/*.c)
IO_CXX   := $(wildcard src/io/*.cpp)
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
IO_OBJ   := $(IO_SRC:%.c=$(BUILD)/%.o) $(IO_CXX:%.cpp=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

LIBA := $(BUILD)/libwiredup.a
LIBSO := $(BUILD)/libwiredup.so
PROG := $(BUILD)/wiredup

SHARED ?= $(abspath ../shared/datasets)

.PHONY: all setup demo check test test-san unit cli-tests eval bench bench-index install uninstall clean help
.DEFAULT_GOAL := all

all: $(PROG) $(LIBSO)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# SIMD kernels: only these files get ISA flags, so the program stays portable
# and picks a kernel at run time (src/common/cpu.h).
AVX2_FLAGS   := -mavx2 -mbmi2 -mfma
AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512bw -mavx512dq -mavx512vl
$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AVX2_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AVX512_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBSO): $(LIB_OBJ)
	$(CC) -shared -fopenmp $(SAN) -o $@ $^ $(LIBS)

$(PROG): $(CLI_OBJ) $(IO_OBJ) $(LIBA)
	$(CC) -fopenmp $(SAN) -o $@ $(CLI_OBJ) $(IO_OBJ) $(LIBA) $(LIBS) $(PROG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBA) $(IO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(IO_OBJ) $(LIBA) $(LIBS) $(PROG_LIBS) -lcmocka

## setup: install the Debian packages wiredup needs (as root; runs apt-get update)
setup:
	sh .ci/deps.sh

## demo: build, then cluster the sample in datasets/ and print the clusters
demo: all
	@sh datasets/demo.sh $(PROG)

## unit: build and run the unit tests
unit: $(TESTS)
	@sh tests/run-unit.sh $(TESTS)

## cli-tests: golden tests of the command line (stdout, stderr, exit code)
cli-tests: $(PROG)
	@sh tests/cli/run.sh $(PROG)

## check: quick tests (unit + CLI) with the normal build
check: unit cli-tests

## test-san: the same tests built with AddressSanitizer + UBSan
test-san:
	$(MAKE) BUILD=build-san OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" check

## test: full run: check, sanitizers, determinism and ../shared data tests
test: check
	@sh tests/run-slow.sh $(PROG) "$(SHARED)"
	$(MAKE) test-san
	@echo "all test suites passed"

## eval: score default parameters on ../shared/datasets/syndication-dev, then the held-out sets
eval: $(PROG)
	@s=0; sh bench/eval.sh $(PROG) "$(SHARED)/syndication-dev" || s=$$?; \
	sh bench/eval-heldout.sh $(PROG) "$(SHARED)/reuters21578" || s=$$?; exit $$s

## bench-index: querying a 1,000,000-document persistent index vs in memory (PERFORMANCE.md)
bench-index: $(PROG) $(BUILD)/bench-archive
	@sh bench/archive.sh $(PROG) "$(SHARED)"

# Library-level query timer (bench/archive_query.c): the public header only.
$(BUILD)/bench-archive: bench/archive_query.c $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LIBS)

## bench: throughput benchmark (see PERFORMANCE.md)
bench: $(PROG) $(BUILD)/bench-stages
	@sh bench/bench.sh $(PROG) "$(SHARED)"

# Per-stage timer (bench/stages.c): internal headers, library + io objects.
$(BUILD)/bench-stages: bench/stages.c $(LIBA) $(IO_OBJ)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(IO_OBJ) $(LIBA) $(LIBS) $(PROG_LIBS)

## install: install program, library, header, pkg-config file and man page
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/wiredup
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/libwiredup.a
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/libwiredup.so
	install -m 644 include/wiredup.h $(DESTDIR)$(PREFIX)/include/wiredup.h
	install -m 644 doc/wiredup.1 $(DESTDIR)$(PREFIX)/share/man/man1/wiredup.1
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*WD_VERSION_STRING "\(.*\)"/\1/p' include/wiredup.h)|' \
	    wiredup.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/wiredup.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/wiredup $(DESTDIR)$(PREFIX)/lib/libwiredup.a $(DESTDIR)$(PREFIX)/lib/libwiredup.so \
	      $(DESTDIR)$(PREFIX)/include/wiredup.h $(DESTDIR)$(PREFIX)/share/man/man1/wiredup.1 \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/wiredup.pc

## clean: remove build outputs
clean:
	rm -rf build build-san

## help: this list
help:
	@echo "wiredup make targets:"
	@sed -n 's/^## \([a-z-]*\): \(.*\)/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 14

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
