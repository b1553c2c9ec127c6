# hpc: the pod compiler (bin/hpc) and the guest init (bin/hpc-init).
#
#   make            build both
#   make DEV=1      the developer build: strict warnings, -Werror
#   make test       set up the machine, then run every test
#   make demo       set up the machine, build examples/hello and boot it
#   make bench      measure builds and boots, write bench/RESULTS.md
#   make asan       unit tests and one build under ASan and UBSan
#   make fuzz       every fuzz target for FUZZ_TIME seconds (clang)
#   make install    PREFIX (default /usr/local) and DESTDIR are honoured
#   make V=1        show every command

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/hpc

CC ?= cc
V ?= 0
ifeq ($(V),0)
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
else
Q :=
say :=
endif
MUSL_CC ?= musl-gcc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
DEV ?= 0
# Where objects and binaries go; make asan uses a tree of its own.
B ?= build
BIN ?= bin

PKGS := libarchive libisal libcjson libcurl ext2fs com_err libcrypto fdisk zlib \
	libxxhash
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith \
	-Wmissing-prototypes -Wstrict-prototypes -Wimplicit-fallthrough \
	-Wno-unused-parameter -Wundef -Wvla
ifeq ($(DEV),1)
WARN += -Werror
endif

ALL_CPPFLAGS = -D_GNU_SOURCE -Icompiler -Ipacker -Iruntime-stub $(CPPFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS)

HPC_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c packer/*.c runtime-stub/*.c))
HPC_OBJ := $(HPC_SRC:%.c=$(B)/%.o)
INIT_SRC := $(wildcard init/*.c)
INIT_LIB_SRC := $(filter-out init/main.c,$(INIT_SRC))
INIT_OBJ := $(INIT_SRC:%.c=$(B)/musl/%.o)
INIT_HOST_OBJ := $(INIT_LIB_SRC:%.c=$(B)/host/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all clean install setup test unit integration demo examples asan bench \
	fuzz fuzz-replay
all: $(BIN)/hpc $(BIN)/hpc-init

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libhpc.a: $(HPC_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BIN)/hpc: $(B)/compiler/main.o $(B)/libhpc.a
	@mkdir -p $(BIN)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# The init is PID 1 inside the VM: static, with musl, no library beyond libc.
$(B)/musl/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,MUSLCC,$@)$(MUSL_CC) -D_GNU_SOURCE -std=gnu11 $(WARN) -Os -MMD -MP -c -o $@ $<

$(BIN)/hpc-init: $(INIT_OBJ)
	@mkdir -p $(BIN)
	$(call say,LD,$@)$(MUSL_CC) -static -Os -s -o $@ $^

# The init's modules again, built for the host, so unit tests can reach them.
$(B)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -D_GNU_SOURCE -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libhpcinit.a: $(INIT_HOST_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(B)/tests/test_init_%: tests/unit/test_init_%.c $(B)/libhpcinit.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -D_GNU_SOURCE -Iinit $(ALL_CFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --cflags --libs cmocka)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libhpc.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell $(PKG_CONFIG) --cflags --libs cmocka) -lpthread

setup:
	scripts/setup.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: all
	tests/integration/run.sh

test: setup
	$(MAKE) DEV=1 all
	$(MAKE) DEV=1 unit fuzz-replay
	$(MAKE) DEV=1 asan
	$(MAKE) DEV=1 integration

examples: all
	examples/make-images.sh

demo: setup
	$(MAKE) all
	examples/demo.sh

# Figures, never timed assertions: see bench/RESULTS.md.
bench:
	scripts/setup.sh --bench
	$(MAKE) all
	bench/bench.py

# The unit tests and one build of a small pod, under AddressSanitizer and
# UndefinedBehaviorSanitizer, in a tree of their own (build/asan). No
# -Werror: the sanitizers' inlining makes GCC guess at truncations the
# developer build does not see, and that build already fails on warnings.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
asan:
	$(MAKE) B=build/asan BIN=build/asan/bin CFLAGS="$(ASAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" DEV=0 \
		build/asan/bin/hpc unit fuzz-replay
	$(MAKE) DEV=$(DEV) bin/hpc-init
	tests/integration/asan-build.sh build/asan/bin/hpc

# Fuzz targets (tests/fuzz/fuzz_*.c) built with clang and libFuzzer; each
# runs FUZZ_TIME seconds from a seed corpus made from the tests' fixtures.
# fuzz-replay feeds the saved crash inputs (tests/fuzz/regress) and the
# seeds to the same targets built without libFuzzer; make test runs it.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out \
	tests/fuzz/fuzz_common.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_INC = $(if $(filter plan,$*),-Iinit,-Icompiler -Ipacker) -Itests/fuzz

$(B)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
		tests/fuzz/fuzz_common.c $(B)/libhpc.a $(B)/libhpcinit.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -D_GNU_SOURCE $(FUZZ_INC) $(ALL_CFLAGS) $(LDFLAGS) \
		-o $@ $(filter %.c,$^) $(if $(filter plan,$*),$(B)/libhpcinit.a,$(B)/libhpc.a) \
		$(PKG_LIBS) -lpthread

fuzz-replay: $(FUZZ_TARGETS:%=$(B)/tests/replay_%)
	@tests/fuzz/make-corpus.sh $(B)/fuzz-seeds >/dev/null
	@set -e; for t in $(FUZZ_TARGETS); do \
		$(B)/tests/replay_$$t tests/fuzz/regress/$$t $(B)/fuzz-seeds/$$t; done

fuzz:
	scripts/setup.sh --fuzz
	$(MAKE) B=build/fuzz BIN=build/fuzz/bin CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
		build/fuzz/libhpc.a build/fuzz/libhpcinit.a \
		$(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	tests/fuzz/make-corpus.sh build/fuzz/corpus
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz_$$t ($(FUZZ_TIME) s)"; \
		mkdir -p build/fuzz/new/$$t; \
		build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 \
			-timeout=30 -artifact_prefix=build/fuzz/crash-$$t- \
			build/fuzz/new/$$t build/fuzz/corpus/$$t \
			tests/fuzz/regress/$$t 2>build/fuzz/$$t.log || \
			{ tail -40 build/fuzz/$$t.log; exit 1; }; \
		grep -E '^(#[0-9]+.*DONE|Done)' build/fuzz/$$t.log | tail -1; done

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c \
		build/fuzz/libhpc.a build/fuzz/libhpcinit.a
	$(call say,LD,$@)$(FUZZ_CC) -D_GNU_SOURCE -std=gnu11 $(FUZZ_INC) -g -O1 \
		-fsanitize=fuzzer $(FUZZ_SAN) $(PKG_CFLAGS) -o $@ $(filter %.c,$^) \
		$(if $(filter plan,$*),build/fuzz/libhpcinit.a,build/fuzz/libhpc.a) \
		$(PKG_LIBS) -lpthread

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BIN)/hpc $(DESTDIR)$(BINDIR)/hpc
	install -m 0755 $(BIN)/hpc-init $(DESTDIR)$(LIBEXECDIR)/hpc-init

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
