# Chorus build.  `make` builds build/chorus; `make test` runs every test
# (unit, simulator, system, fuzz smoke) on a normal and a sanitizer build.

CC      ?= cc
VERSION := 0.1.0
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CFLAGS  ?= -O2 -g
# The front ends (src/front/*) each hold a pure half and a shell half.
FRONTS  := $(wildcard src/front/*)
INC     := -Isrc/core -Isrc/shell $(addprefix -I,$(FRONTS))
BASE    := -std=c11 -D_GNU_SOURCE $(WARN) -DCHORUS_VERSION='"$(VERSION)"' $(INC)
# The simulator's headers are for the tests only (its net is not the shell's).
TEST_INC = $(if $(filter tests/%,$<),-Itests/sim)
PKGS    := libuv libsodium sqlite3 jansson librabbitmq
LIBS    := $(shell pkg-config --libs $(PKGS)) -lreadline
CORE_LIBS := $(shell pkg-config --libs libsodium)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SEEDS   ?= 5000
PYTEST  := /usr/bin/python3 -m pytest

# The pure code: the core, and each front end's pure half (these files,
# named here, are the only pure ones in src/front: they do no I/O and
# read no clock, and check-pure holds them to it).
FRONT_PURE := src/front/irc/irc.c src/front/thin/thin.c src/front/chatterbox/chatter.c
CORE_SRC  := $(wildcard src/core/*.c) $(FRONT_PURE)
SHELL_SRC := $(wildcard src/shell/*.c) $(filter-out $(FRONT_PURE),$(wildcard src/front/*/*.c))
HEADERS   := $(wildcard src/core/*.h src/shell/*.h src/front/*/*.h)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
SIM_SRC   := $(wildcard tests/sim/*.c)

# Two build trees: build/ (normal) and build/san/ (ASan + UBSan).
obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

all: build/chorus

.SECONDARY:

define tree
$(1)/obj/%.o: %.c $$(HEADERS) $$(wildcard tests/sim/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE) $$(TEST_INC) $$(CFLAGS) $(2) -c $$< -o $$@

$(1)/chorus: $(call obj,$(1),$(CORE_SRC) $(SHELL_SRC))
	$$(CC) $$(CFLAGS) $(2) $$^ $$(LIBS) -o $$@

$(1)/libcore.a: $(call obj,$(1),$(CORE_SRC))
	rm -f $$@ && ar rcs $$@ $$^

$(1)/unit/%: $(1)/obj/tests/unit/%.o $(1)/libcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$^ $$(CORE_LIBS) -lcmocka -o $$@

# The store's test also needs the store (shell code) and SQLite.
$(1)/unit/test_store: $(1)/obj/tests/unit/test_store.o $(1)/obj/src/shell/store.o $(1)/obj/src/shell/store_file.o $(1)/libcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$^ $$(CORE_LIBS) -lsqlite3 -lcmocka -o $$@

# The node's test keeps its nodes' records in the simulator's memory store,
# and plays peers by hand with tests/sim/inject.c, as the node fuzzer does.
$(1)/unit/test_node: $(1)/obj/tests/unit/test_node.o $(1)/obj/tests/sim/memstore.o $(1)/obj/tests/sim/inject.o $(1)/libcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$^ $$(CORE_LIBS) -lcmocka -o $$@

# The vectors' test builds its SIG frame with tests/sim/inject.c too.
$(1)/unit/test_vectors: $(1)/obj/tests/unit/test_vectors.o $(1)/obj/tests/sim/inject.o $(1)/libcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$^ $$(CORE_LIBS) -lcmocka -o $$@

$(1)/sim: $(call obj,$(1),$(SIM_SRC)) $(1)/libcore.a
	$$(CC) $$(CFLAGS) $(2) $$^ $$(CORE_LIBS) -o $$@
endef

$(eval $(call tree,build,))
# The sanitizer build also checks the core's costly invariants (node_check.c).
$(eval $(call tree,build/san,$(SAN) -DCHORUS_CHECK_DEEP))

# A modified binary for the system tests: a member that forges (tests/insider).
INSIDER_OBJ := $(call obj,build/insider,$(CORE_SRC) $(SHELL_SRC) tests/insider/insider.c)

build/insider/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(TEST_INC) $(CFLAGS) -DCHORUS_INSIDER -c $< -o $@

build/insider/chorus: $(INSIDER_OBJ)
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

UNITS     := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
UNIT_BINS := $(addprefix build/unit/,$(UNITS)) $(addprefix build/san/unit/,$(UNITS))

include bench/bench.mk

.PHONY: all san test unit sim sim-long system system-san fuzz fuzz-smoke check-pure clean

# The pure code stays pure (scripts/check-pure says what that means).
check-pure:
	./scripts/check-pure $(CORE_SRC)


san: build/san/chorus

unit: check-pure $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; ./$$t || exit 1; done

sim: build/sim build/san/sim
	./build/sim --seeds $(SEEDS)
	./build/san/sim --seeds 1000

sim-long: build/sim
	./build/sim --seeds 50000

system: build/chorus build/insider/chorus
	CHORUS_BIN=$(CURDIR)/build/chorus $(PYTEST) -q tests/system

system-san: build/san/chorus build/insider/chorus
	CHORUS_BIN=$(CURDIR)/build/san/chorus $(PYTEST) -q tests/system

# libFuzzer targets, one per decoder; a short run of each in `make test`.
FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(INC) -Itests/sim -fsanitize=fuzzer,address,undefined

FUZZ_SIM  := tests/sim/memstore.c tests/sim/inject.c

build/fuzz/%: fuzz/%.c $(CORE_SRC) $(FUZZ_SIM) $(HEADERS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $< $(CORE_SRC) $(FUZZ_SIM) $(CORE_LIBS) -o $@

fuzz: $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); \
		echo "== $$n"; mkdir -p build/fuzz/corpus-$$n; \
		if ! ./$$f -runs=50000 -max_len=4096 -artifact_prefix=build/fuzz/ build/fuzz/corpus-$$n \
			fuzz/corpus/$${n#fuzz_} > build/fuzz/$$n.log 2>&1; then \
			tail -n 40 build/fuzz/$$n.log; exit 1; fi; \
		tail -n 1 build/fuzz/$$n.log; done

test: unit sim fuzz-smoke system system-san

clean:
	rm -rf build
