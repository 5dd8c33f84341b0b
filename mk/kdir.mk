# The kernel build directory the module is built against, unless KDIR is
# given: the running kernel's when it has one, else the newest installed
# Debian linux-headers-*-amd64.  Empty when there is none.
ifeq ($(origin KDIR),undefined)
KDIR := $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -d $$d ]; then echo $$d; else \
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1; fi)
endif
