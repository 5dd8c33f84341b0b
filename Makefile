# mcbridge: kernel generic-netlink events -> loopback IP multicast.
#
#   make          build the module, the bridge, the client and tools
#   make demo     install what is missing, load the module, show live events
#   make test     install what is missing, run every test
#   make bench    benchmarks (not tests)

TOP := $(CURDIR)
export TOP

USER_PARTS := client bridge tools

.PHONY: all kmod $(USER_PARTS) deps demo test bench clean

all: kmod $(USER_PARTS)

kmod:
	$(MAKE) -C kmod

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

fuzz: deps
	$(MAKE) -C fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),600)

clean:
	$(MAKE) -C kmod clean
	rm -rf build
