# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Robot: one Makefile, everything built under build/.
#
#   make            build BPF objects, skeletons, build/robot, tests
#   make test       run every test (unit, ASan unit, BPF, network namespaces)
#   make bench      benchmarks, writes build/bench.json
#   make deps       install what a fresh Debian 12 needs (apt, idempotent)
#   make V=1        echo commands

OUTPUT := build
CLANG ?= clang
CC ?= gcc
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA_HOME ?= /usr/local/cuda
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(abspath $(OUTPUT))/%,%,$(2))";
endif

# Debian's clang lacks asm/types.h for -target bpf: add the system include
# dirs after ours, as libbpf-bootstrap does.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Wno-compare-distinct-pointer-types -Iinclude -Ibpf $(CLANG_BPF_SYS_INCLUDES)

PKGS := libbpf libxdp libnl-route-3.0 libpcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -Iuser -Itools -Igpu -I$(OUTPUT) $(PKG_CFLAGS) -pthread
LDLIBS := $(PKG_LIBS) -lopenblas -lelf -lz -lcap -lm -lpthread

# ---------------------------------------------------------------- sources
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

# user/robot.c holds main(); every other user/ and tools/ source is library
# code shared by the CLI, tests and benchmarks.
LIB_SRCS := $(filter-out user/robot.c,$(wildcard user/*.c)) $(wildcard tools/*.c)
LIB_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))
ASAN_OBJS := $(patsubst %.c,$(OUTPUT)/asan/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
ASAN_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/asan_%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf_%,$(BPFT_SRCS))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(OUTPUT)/bench/%,$(BENCH_SRCS))

# ---------------------------------------------------------------- GPU
# gpu/ builds only when nvcc and cuDNN are present; it becomes a shared
# object that the daemon dlopen()s, so build/robot never links CUDA.
HAVE_CUDNN := $(shell test -n "$(NVCC)" && test -f $(CUDA_HOME)/include/cudnn.h && echo 1)
GPU_SRCS := $(wildcard gpu/*.cu)
ifeq ($(HAVE_CUDNN),1)
GPU_LIB := $(if $(GPU_SRCS),$(OUTPUT)/librobot_gpu.so)
endif
# Host side: gpu/*.c and the CPU model code it reuses (featurization, model
# loading), gcc -fPIC under build/gpu/; only robot_gpu_* is exported
# (gpu/robot_gpu.map). gpu/compat/ stands in for cblas.h/zlib.h on CUDA
# boxes without their -dev packages (-idirafter: the system's win).
GPU_HOST_SRCS := $(wildcard gpu/*.c) user/robust.c user/nn.c user/model.c \
	user/mjson.c user/fastq.c
GPU_OBJS := $(patsubst %.c,$(OUTPUT)/gpu/%.o,$(GPU_HOST_SRCS)) \
	$(patsubst %.cu,$(OUTPUT)/gpu/%.cu.o,$(GPU_SRCS))
# GPU_WERROR= (empty) lets other CUDA/gcc versions build despite warnings.
GPU_WERROR ?= -Werror
GPU_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra $(GPU_WERROR) -Wno-unused-parameter \
	-fPIC -ffunction-sections -fdata-sections -Iinclude -Iuser -Igpu \
	-I$(CUDA_HOME)/include -idirafter gpu/compat
NVCC_ARCH ?= -arch=all-major -Wno-deprecated-gpu-targets
NVCC_FLAGS := -O2 -std=c++17 $(NVCC_ARCH) -Iinclude -Igpu \
	-Xcompiler -fPIC,-ffunction-sections,-Wall,-Wextra \
	$(if $(GPU_WERROR),-Werror all-warnings -Xcompiler -Werror)

DEPS := $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)

.PHONY: all test test-unit test-asan test-bpf test-net bench deps clean \
	gpu demo model reproduce fuzz
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUTPUT)/robot $(BPF_OBJS) $(UNIT_BINS) $(ASAN_BINS) $(BPFT_BINS) \
	$(BENCH_BINS) $(GPU_LIB)

# ---------------------------------------------------------------- BPF
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c Makefile | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(OUTPUT)/$*.bpf.d -MT $@ \
		-c $< -o $(OUTPUT)/$*.tmp.bpf.o
	$(Q)$(BPFTOOL) gen object $@ $(OUTPUT)/$*.tmp.bpf.o

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# ---------------------------------------------------------------- user
$(OUTPUT)/obj/%.o: %.c Makefile $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/librobot.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/robot: $(OUTPUT)/obj/user/robot.o $(OUTPUT)/librobot.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -ldl -o $@

# ---------------------------------------------------------------- tests
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

$(OUTPUT)/asan/%.o: %.c Makefile $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/librobot_asan.a: $(ASAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(OUTPUT)/librobot.a Makefile
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -Itests $< $(OUTPUT)/librobot.a \
		-lcmocka $(LDLIBS) -ldl -o $@

$(OUTPUT)/tests/asan_test_%: tests/unit/test_%.c $(OUTPUT)/librobot_asan.a Makefile
	$(call msg,TEST-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -MMD -MP -Itests $< \
		$(OUTPUT)/librobot_asan.a -lcmocka $(LDLIBS) -ldl -o $@

$(OUTPUT)/tests/bpf_test_%: tests/bpf/test_%.c $(OUTPUT)/librobot.a $(SKELS) $(BPF_OBJS) Makefile
	$(call msg,TEST-BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -Itests $< $(OUTPUT)/librobot.a \
		-lcmocka $(LDLIBS) -ldl -o $@

$(OUTPUT)/bench/bench_%: tests/bench/bench_%.c $(OUTPUT)/librobot.a $(SKELS) Makefile
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -Itests $< $(OUTPUT)/librobot.a \
		$(LDLIBS) -ldl -o $@

# ---------------------------------------------------------------- GPU
$(OUTPUT)/gpu/%.o: %.c Makefile
	$(call msg,CC-GPU,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GPU_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/gpu/%.cu.o: %.cu Makefile
	$(call msg,NVCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(NVCC) $(NVCC_FLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

# -z defs: every symbol resolved at link time, so dlopen(RTLD_NOW) works.
$(OUTPUT)/librobot_gpu.so: $(GPU_OBJS) gpu/robot_gpu.map Makefile | $(OUTPUT)
	$(call msg,NVCC-LD,$@)
	$(Q)$(NVCC) -shared $(NVCC_ARCH) -cudart shared $(GPU_OBJS) \
		-L$(CUDA_HOME)/lib64 -Xlinker -rpath=$(CUDA_HOME)/lib64 \
		-Xlinker --version-script=gpu/robot_gpu.map \
		-Xlinker --gc-sections -Xlinker -z,defs \
		-lcudnn -lcublas -l:libz.so.1 -lm -o $@

gpu: $(GPU_LIB)

$(OUTPUT):
	$(Q)mkdir -p $@

# ---------------------------------------------------------------- fuzz
# libFuzzer targets (clang): tests/fuzz/fuzz_*.c, linked with the user/
# library compiled with the fuzzer and sanitizer flags in its own object
# dir. Built by `make` when clang has libFuzzer; `make fuzz` runs each for
# FUZZ_SECONDS (tests/fuzz/run.sh), `make test` a short run of each.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
HAVE_LIBFUZZER := $(if $(wildcard $(shell $(FUZZ_CC) --print-runtime-dir \
	2>/dev/null)/libclang_rt.fuzzer-*.a),1)
FUZZ_SAN := address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(CFLAGS) -O1 -Wno-unknown-warning-option
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst %.c,$(OUTPUT)/fuzz/obj/%.o,$(filter user/%,$(LIB_SRCS)))

$(OUTPUT)/fuzz/obj/%.o: %.c Makefile $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) \
		-MMD -MP -c $< -o $@

$(OUTPUT)/fuzz/librobot_fuzz.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(OUTPUT)/fuzz/librobot_fuzz.a Makefile
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -MMD -MP \
		-Itests $< $(OUTPUT)/fuzz/librobot_fuzz.a $(LDLIBS) -ldl -o $@

ifeq ($(HAVE_LIBFUZZER),1)
all: $(FUZZ_BINS)
endif

fuzz: $(FUZZ_BINS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# Tools of the reliability tests (tests/net/flood.sh ...).
REL_BINS := $(patsubst tests/reliability/%.c,$(OUTPUT)/reliability/%,\
	$(wildcard tests/reliability/*.c))

$(OUTPUT)/reliability/%: tests/reliability/%.c Makefile
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

all: $(REL_BINS)

# ---------------------------------------------------------------- run
test: all
	$(Q)tests/run.sh

bench: all
	$(Q)tests/bench/run.sh

deps:
	$(Q)tools/deps.sh

# every figure of the evaluation -> docs/results.md, docs/figs/ (~20 min)
reproduce: $(OUTPUT)/robot
	$(Q)tools/reproduce.sh

# the bundled models/default: nDPI captures + a lab capture (~5 min, root
# for the lab; PROVENANCE.md). MODEL_ARGS=--eval adds cross-domain figures.
model: $(OUTPUT)/robot
	$(Q)tools/make_model.sh $(MODEL_ARGS)

# live demo (root): the lab's apps through Robot at the lab's gateway,
# ~2.5 min (docs/demo.md). DEMO_ARGS="--seconds 60" etc.
demo: all
	$(Q)$(if $(filter 0,$(shell id -u)),,sudo) $(OUTPUT)/robot demo $(DEMO_ARGS)

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(DEPS)
