# berth — one binary, built from one static library per layer (DESIGN.md §2).
# Layers point downward only; the link order below makes an upward call fail to link,
# and tests/check-layers.sh checks it symbol by symbol.

CC      ?= cc
B       := build
PKGS    := libmicrohttpd jansson libcurl sqlite3 gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wvla \
           -D_GNU_SOURCE -Isrc -I$(B)/gen $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lpthread -lm

# Layers, lowest first. Each is src/<layer>/**/*.c compiled into build/lib<layer>.a.
LAYERS  := base api store server client controllers agent dns
srcs     = $(shell find src/$(1) -name '*.c' 2>/dev/null | sort)
objs     = $(patsubst src/%.c,$(B)/obj/%.o,$(call srcs,$(1)))

GEN_SCHEMA := $(B)/gen/schema_gen.c
SCHEMA_SRC := $(sort $(wildcard src/api/schema/*.sch))

# Link order: highest layer first.
LINK_LAYERS := dns agent controllers client server store api base
LIBS        := $(foreach l,$(LINK_LAYERS),$(B)/lib$(l).a)

.PHONY: all run test unit e2e check-full clean deps bench
all: $(B)/berth

deps:
	@scripts/install-deps.sh

V ?= 0
Q := $(if $(filter 1,$(V)),,@)

$(B)/obj/%.o: src/%.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# --- schema generator (host tool) ---
$(B)/tools/schemagen: tools/schemagen.c | deps
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -o $@ $<

$(GEN_SCHEMA): $(B)/tools/schemagen $(SCHEMA_SRC)
	@mkdir -p $(dir $@)
	$(B)/tools/schemagen -o $@ $(SCHEMA_SRC)

$(B)/obj/gen/schema_gen.o: $(GEN_SCHEMA)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Everything in api depends on the generated schema header order.
$(call objs,api): $(GEN_SCHEMA)

define layer_lib
$(B)/lib$(1).a: $(call objs,$(1)) $(if $(filter api,$(1)),$(B)/obj/gen/schema_gen.o)
	@mkdir -p $(B)
	@rm -f $$@
	@$(if $(Q),echo "  AR      $$@")
	$(Q)ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l))))

$(B)/berth: $(call objs,cmd) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(call objs,cmd) $(LIBS) $(LDLIBS)

# --- tests ---
# tests/unit/<layer>/test_<name>.c -> build/tests/test_<layer>_<name>
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
unit_bin   = $(B)/tests/test_$(subst /,_,$(subst /test_,_,$(patsubst tests/unit/%.c,%,$(1))))
UNIT_BINS := $(foreach s,$(UNIT_SRCS),$(call unit_bin,$(s)))
TEST_CFLAGS = $(CFLAGS) -Itests/unit -Wno-unused-function

define unit_rule
$(call unit_bin,$(1)): $(1) $(LIBS) | deps
	@mkdir -p $(B)/tests $(B)/obj/tests
	@$(if $(Q),echo "  TEST    $$@")
	$(Q)$(CC) $(TEST_CFLAGS) -MF $(B)/obj/tests/$(subst /,_,$(1)).d -o $$@ $(1) $(LIBS) $(LDLIBS) -lcmocka
endef
$(foreach s,$(UNIT_SRCS),$(eval $(call unit_rule,$(s))))

unit: $(UNIT_BINS)

test: deps
	@$(MAKE) --no-print-directory all unit
	@tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(B)/berth server $(ARGS)

check-full: deps
	@$(MAKE) --no-print-directory clean
	@$(MAKE) --no-print-directory OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
		all unit
	@BERTH_FULL=1 tests/run.sh

# bench/<name>.c -> build/bench/<name>: standalone benchmark programs, not needed by `all`.
$(B)/bench/%: bench/%.c $(LIBS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# `make bench` builds them all; bench/api.sh (which runs `make all bench`) is the API benchmark.
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(sort $(wildcard bench/*.c)))
bench: $(BENCH_BINS)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
