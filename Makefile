# cdp: a customer data platform as Unix filters.
#
#   make            build the programs into build/bin
#   make check      install missing Debian packages (as root), build, run every test
#   make demo       the same set-up, then three nights of examples/nightly.sh (examples/nights.sh)
#   make bench      measure throughput against Miller and jq (SCALE=100k|1M|10M)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
#   make valgrind   the programs on the examples under valgrind
#   make fuzz       build the libFuzzer harnesses (tests/fuzz/, clang) into build-fuzz/ and run
#                   each for FUZZ_SECONDS (default 10); FUZZ=NAME runs one (e.g. FUZZ=csv);
#                   FUZZ_SEED=N repeats a run's mutations (CI uses 1; default: random)
#   SANITIZE=1      build with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
SANITIZE  ?=

ifeq ($(SANITIZE),1)
BUILD     ?= build-san
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT       := -O1
else
BUILD     ?= build
SANFLAGS  :=
OPT       := -O2
endif

CC        ?= cc
CXX       ?= c++
PKGS      := libzstd zlib simdjson libutf8proc libpcre2-8 protobuf nettle libxxhash
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra -Werror
CPPFLAGS  += -Ilib -DCDP_VERSION='"$(VERSION)"' -DCDP_SHARE_DIR='"$(PREFIX)/share/cdp"' -D_GNU_SOURCE
CFLAGS    ?= $(OPT) -g
CXXFLAGS  ?= $(OPT) -g
ALL_CFLAGS   = -std=gnu11 $(WARN) $(SANFLAGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_CXXFLAGS = -std=gnu++17 $(WARN) $(SANFLAGS) $(CXXFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS    += -lcsv -ljq -lphonenumber $(PKG_LIBS) -lm -lpthread

# libcdp: every layer folder of lib/ but two. lib/cli is the program side
# (options, help, messages: it prints and exits, so it is not in the library
# that promises never to); lib/gen is cdp-gen's generator. See lib/README.
LIB_DIRS  := $(filter-out lib/cli lib/gen,$(wildcard lib/*))
LIB_SRC   := $(wildcard $(LIB_DIRS:%=%/*.c) $(LIB_DIRS:%=%/*.cc))
LIB_OBJ   := $(patsubst %,$(BUILD)/%.o,$(basename $(LIB_SRC)))
CLI_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/cli/*.c))
GEN_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/gen/*.c))
# The country and region vocabularies (lib/norm/vocab.h) are made at build
# time from ISO 3166 as Debian's iso-codes package ships it: the English
# names, their translations (countries into ISO_LANGS, regions into
# ISO_REGION_LANGS) and lib/norm/vocab_aliases.txt.
ISO_CODES   ?= /usr/share/iso-codes/json
ISO_LOCALES ?= /usr/share/locale
ISO_LANGS   := ru uk be kk uz de fr es it pt nl pl
ISO_REGION_LANGS := ru uk be
VOCAB_SRC := $(BUILD)/generated/vocab_iso.c
LIB_OBJ   += $(BUILD)/generated/vocab_iso.o
PROGS     := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
BINS      := $(PROGS:%=$(BUILD)/bin/%)
UNIT_SRC  := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
TOOL_SRC  := $(wildcard tests/tools/*.c tests/tools/*.cc)
TOOL_BINS := $(patsubst tests/tools/%,$(BUILD)/tests/tools/%,$(basename $(TOOL_SRC)))
# Fuzzing harnesses: each tests/fuzz/NAME.c is linked twice, with libFuzzer
# (make fuzz: clang) and with tests/fuzz/replay.c (any compiler), which make
# check runs on the committed corpus tests/fuzz/corpus/NAME/.
FUZZ_NAMES := $(filter-out replay,$(notdir $(basename $(wildcard tests/fuzz/*.c))))
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay-%)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz-%)
FAULT_LIB := $(BUILD)/tests/fault/libfault.so
FUZZ_SECONDS ?= 10
FUZZ      ?=
FUZZ_SEED ?=
FUZZ_SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all deps deps-check deps-bench check check-cluster unit layers options bats fuzz-replay valgrind demo bench \
        install clean fuzz fuzz-bins
MAKEFLAGS += --no-print-directory
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINS) $(UNIT_BINS) $(TOOL_BINS) $(REPLAY_BINS) $(FAULT_LIB)

deps:
	@.ci/deps build
deps-check:
	@.ci/deps check
deps-bench:
	@.ci/deps bench

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(ALL_CXXFLAGS) -c $< -o $@

$(BUILD)/libcdp.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libcdpcli.a: $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/libcdpgen.a: $(GEN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tools/iso-vocab: $(BUILD)/tools/iso-vocab.o $(BUILD)/lib/norm/vocab_key.o $(BUILD)/lib/base/buf.o
	$(CC) $(SANFLAGS) $(LDFLAGS) $^ -ljq -lutf8proc -o $@
$(VOCAB_SRC): $(BUILD)/tools/iso-vocab lib/norm/vocab_aliases.txt $(wildcard $(ISO_CODES)/iso_3166-[12].json)
	@mkdir -p $(@D)
	$(BUILD)/tools/iso-vocab $(ISO_CODES) $(ISO_LOCALES) lib/norm/vocab_aliases.txt $@ \
	    '$(ISO_LANGS)' '$(ISO_REGION_LANGS)'
$(BUILD)/generated/vocab_iso.o: $(VOCAB_SRC)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# Programs and tests link with the C++ driver: parts of libcdp are C++ shims.
$(BUILD)/bin/cdp-gen: $(BUILD)/cmd/cdp-gen.o $(BUILD)/libcdpgen.a $(BUILD)/libcdpcli.a $(BUILD)/libcdp.a
	@mkdir -p $(@D)
	$(CXX) $(SANFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(BUILD)/libcdpcli.a $(BUILD)/libcdp.a
	@mkdir -p $(@D)
	$(CXX) $(SANFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcdpgen.a $(BUILD)/libcdpcli.a $(BUILD)/libcdp.a
	$(CXX) $(SANFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libcdpcli.a $(BUILD)/libcdp.a
	$(CXX) $(SANFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/tests/fuzz/replay-%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libcdp.a
	$(CXX) $(SANFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/tests/fuzz/fuzz-%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libcdp.a
	$(CXX) $(SANFLAGS) -fsanitize=fuzzer $(LDFLAGS) $^ $(LDLIBS) -o $@
# The write-fault shim for tests/fault.bats: LD_PRELOADed, so never sanitized.
$(FAULT_LIB): tests/fault/fault.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -fPIC -shared $< -o $@ -ldl

# The whole suite: C unit tests for lib/, the fuzzing harnesses on their
# committed corpus, then the Bats tests of the programs (with tests/fault.bats).
check: deps-check
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit layers options fuzz-replay bats

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done

layers:
	@tests/layers.sh

options: $(BINS)
	@tests/options.sh $(BUILD)

bats: $(BINS) $(TOOL_BINS) $(FAULT_LIB)
	CDP_BUILD=$(abspath $(BUILD)) bats tests

# Every fuzzing harness on its committed corpus (seeds and past crashes).
fuzz-replay: $(REPLAY_BINS)
	@set -e; for n in $(FUZZ_NAMES); do $(BUILD)/tests/fuzz/replay-$$n tests/fuzz/corpus/$$n; done

# The harnesses under libFuzzer (clang), each run for FUZZ_SECONDS on its
# corpus; new inputs are kept in build-fuzz/corpus, crashes in build-fuzz/crashes.
fuzz: deps-check
	@$(MAKE) --no-print-directory fuzz-bins BUILD=build-fuzz CC=clang CXX=clang++ OPT=-O1 \
	    SANFLAGS='$(FUZZ_SANFLAGS)'
	FUZZ_SEED=$(FUZZ_SEED) tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ)
fuzz-bins: $(FUZZ_BINS)

# examples/nightly-cluster.sh over three ssh hosts in network namespaces on
# this machine, 4 shards, equal to nightly.sh (tests/cluster.sh). As root the
# packages it needs are installed first; without root or CAP_NET_ADMIN it
# says so and is skipped.
check-cluster: deps-check
	@if [ "$$(id -u)" = 0 ]; then .ci/deps cluster; fi
	@$(MAKE) --no-print-directory all
	tests/cluster.sh $(BUILD)

# The programs on the bundled examples under valgrind (CI runs it).
valgrind: deps-check
	@$(MAKE) --no-print-directory all
	tests/valgrind.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	PATH="$(abspath $(BUILD))/bin:$$PATH" CDP_SHARE="$(CURDIR)/share/cdp" examples/nights.sh examples demo-out
	@echo "the nightly report: $(CURDIR)/demo-out/report.html"

bench: deps-bench
	@$(MAKE) --no-print-directory all
	PATH="$(abspath $(BUILD))/bin:$$PATH" bench/run $(if $(SCALE),--scale $(SCALE)) $(if $(RUNS),--runs $(RUNS))

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	for m in man/*.[157]; do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/; done
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 644 completions/bash/* $(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -m 644 completions/zsh/* $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/
	install -m 644 completions/fish/* $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/
	cd share && find cdp -type f | while read f; do \
	    install -D -m 644 "$$f" "$(DESTDIR)$(PREFIX)/share/$$f"; done

clean:
	rm -rf build build-san build-fuzz demo-out bench/data bench/results.json

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(GEN_OBJ:.o=.d) $(BINS:$(BUILD)/bin/%=$(BUILD)/cmd/%.d) \
    $(UNIT_BINS:=.d) $(TOOL_BINS:=.d) $(BUILD)/tools/iso-vocab.d \
    $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/%.d) $(BUILD)/tests/fuzz/replay.d
