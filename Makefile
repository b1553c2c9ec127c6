# hpc: the pod compiler (bin/hpc) and the guest init (bin/hpc-init).
#
#   make            build both
#   make DEV=1      the developer build: strict warnings, -Werror
#   make test       set up the machine, then run every test
#   make demo       set up the machine, build examples/hello and boot it
#   make bench      measure builds and boots, write bench/RESULTS.md
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

PKGS := libarchive libisal libcjson libcurl ext2fs com_err libcrypto fdisk
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
HPC_OBJ := $(HPC_SRC:%.c=build/%.o)
INIT_SRC := $(wildcard init/*.c)
INIT_LIB_SRC := $(filter-out init/main.c,$(INIT_SRC))
INIT_OBJ := $(INIT_SRC:%.c=build/musl/%.o)
INIT_HOST_OBJ := $(INIT_LIB_SRC:%.c=build/host/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)

.PHONY: all clean install setup test unit integration demo examples asan bench
all: bin/hpc bin/hpc-init

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/libhpc.a: $(HPC_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

bin/hpc: build/compiler/main.o build/libhpc.a
	@mkdir -p bin
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# The init is PID 1 inside the VM: static, with musl, no library beyond libc.
build/musl/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,MUSLCC,$@)$(MUSL_CC) -D_GNU_SOURCE -std=gnu11 $(WARN) -Os -MMD -MP -c -o $@ $<

bin/hpc-init: $(INIT_OBJ)
	@mkdir -p bin
	$(call say,LD,$@)$(MUSL_CC) -static -Os -s -o $@ $^

# The init's modules again, built for the host, so unit tests can reach them.
build/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -D_GNU_SOURCE -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

build/libhpcinit.a: $(INIT_HOST_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

build/tests/test_init_%: tests/unit/test_init_%.c build/libhpcinit.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -D_GNU_SOURCE -Iinit $(ALL_CFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --cflags --libs cmocka)

build/tests/test_%: tests/unit/test_%.c build/libhpc.a
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
	$(MAKE) DEV=1 unit
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

asan:
	$(MAKE) CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" BUILD_TAG=asan unit

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 bin/hpc $(DESTDIR)$(BINDIR)/hpc
	install -m 0755 bin/hpc-init $(DESTDIR)$(LIBEXECDIR)/hpc-init

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
