# riskshare -- one plain Makefile (see docs/development.md).
#
#   make            build bin/riskshare
#   make deps       install the Debian packages the project needs (as root)
#   make test       build and run every Criterion test against a throwaway PostgreSQL
#   make test-asan  the same under AddressSanitizer and UndefinedBehaviorSanitizer
#   make demo       start the local database, load every policy, list them
#   make valgrind   the tests under valgrind (-O0)

CC      ?= gcc
BUILD   ?= build
BIN     ?= bin
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2
OPT     ?= -O2 -g
SAN     ?=
PKGS    := gmp mpfr yaml-0.1 libpq libcrypto jansson xlsxwriter gsl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lgmp -lmpfr -lyaml -lpq -lcrypto -ljansson -lxlsxwriter -lgsl -lgslcblas) -lcsv
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -iquote engine -iquote policies -iquote ledger -iquote cli -iquote $(BUILD)/gen
CFLAGS  := $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS)
LDFLAGS += $(SAN)
LDLIBS  := $(PKG_LIBS) -lm

LIB_SRC  := $(wildcard engine/*.c policies/*.c ledger/*.c) $(filter-out cli/main.c,$(wildcard cli/*.c))
GEN_SRC  := $(BUILD)/gen/migrations.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
TEST_SRC := $(wildcard tests/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
MIGRATIONS := $(sort $(wildcard ledger/migrations/*.sql))

.PHONY: all deps test test-asan valgrind demo clean bench check-style fuzz soak
all: $(BIN)/riskshare

$(BIN)/riskshare: $(BUILD)/cli/main.o $(BUILD)/libriskshare.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libriskshare.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# SQL migrations are compiled into the binary: a fresh install needs no files beside it.
$(GEN_SRC): $(MIGRATIONS) ledger/embed-sql.sh
	@mkdir -p $(dir $@)
	sh ledger/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(GEN_SRC)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/riskshare-tests: $(TEST_OBJ) $(BUILD)/libriskshare.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

deps:
	@sh scripts/deps.sh

test: deps
	$(MAKE) all $(BUILD)/riskshare-tests
	sh tests/run.sh $(BUILD)/riskshare-tests

test-asan: deps
	$(MAKE) BUILD=build-asan BIN=build-asan/bin OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    build-asan/bin/riskshare build-asan/riskshare-tests
	RISKSHARE_BIN=build-asan/bin/riskshare ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    RISKSHARE_PROPS_COUNT=20 RISKSHARE_CRASH_TRIALS=3 RISKSHARE_CONC_SEEDS=4 RISKSHARE_SIM_SEEDS=8 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    sh tests/run.sh build-asan/riskshare-tests

valgrind: deps
	$(MAKE) BUILD=build-vg BIN=build-vg/bin OPT="-O0 -g" build-vg/bin/riskshare build-vg/riskshare-tests
	RISKSHARE_BIN=build-vg/bin/riskshare RISKSHARE_VALGRIND=1 sh tests/run.sh build-vg/riskshare-tests

demo: deps
	$(MAKE) all
	sh scripts/demo.sh

bench: deps
	$(MAKE) all
	sh bench/admission.sh $(BENCH_LOANS)
	for b in bench/settlement.sh bench/audit.sh bench/fund.sh; do if [ -f $$b ]; then sh $$b || exit 1; fi; done

# libFuzzer targets (clang): each runs FUZZ_SECONDS (fuzz/README.md); not part of `make test`.
FUZZ_SECONDS ?= 60
SEEDS ?= 1000
SEED ?= 1
fuzz: deps
	sh fuzz/run.sh $(FUZZ_SECONDS)

# The model-based simulation (tests/test_sim.c) over SEEDS seeds from SEED; make test runs 100.
soak: all $(BUILD)/riskshare-tests
	RISKSHARE_SIM_SEEDS=$(SEEDS) RISKSHARE_SIM_SEED=$(SEED) sh tests/run.sh $(BUILD)/riskshare-tests --filter 'sim/*'

check-style:
	@! grep -nE '\b(atoi|atol|strtok|sprintf|strcpy|strcat|sscanf|gets)\(' \
	    engine/*.c policies/*.c ledger/*.c cli/*.c || (echo "banned function" >&2; false)

clean:
	rm -rf build build-asan build-vg build-fuzz bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
