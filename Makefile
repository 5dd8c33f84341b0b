# mcbridge: kernel generic-netlink events -> loopback IP multicast.
#
#   make          build the module, the bridge, the client and tools
#   make demo     install what is missing, load the module, show live events
#   make test     install what is missing, run every test
#   make bench    benchmarks (not tests)

TOP := $(CURDIR)
export TOP

# Kernel build directory: the running kernel's when it has one, else the
# newest installed Debian linux-headers-*-amd64.
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -d $$d ]; then echo $$d; else \
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1; fi)
export KDIR

USER_PARTS := client bridge tools

.PHONY: all kmod $(USER_PARTS) deps demo test bench clean

all: kmod $(USER_PARTS)

kmod:
	$(MAKE) -C kmod KDIR=$(KDIR)

$(USER_PARTS):
	$(MAKE) -C $@

bridge tools: client

deps:
	scripts/deps.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

test: deps
	$(MAKE) all
	tests/run-all.sh

bench: deps
	$(MAKE) all
	bench/run.sh

clean:
	$(MAKE) -C kmod KDIR=$(KDIR) clean
	rm -rf build
