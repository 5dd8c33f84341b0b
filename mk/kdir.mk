# The kernel build directory the module is built against, unless KDIR is
# given: the running kernel's when it has one, else the headers of the
# host's default Debian kernel (linux-headers-amd64, the first kernel of
# kmod/kernels.list), else the newest installed linux-headers-*-amd64.
# Empty when there is none.
ifeq ($(origin KDIR),undefined)
KDIR := $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -d $$d ]; then echo $$d; exit; fi; \
	dep=$$(dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null); \
	dep=$${dep%%[ ,]*}; \
	if [ -n "$$dep" ] && [ -d /usr/src/$$dep ]; then echo /usr/src/$$dep; exit; fi; \
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
endif
