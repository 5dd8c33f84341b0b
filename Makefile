# mcbridge: kernel generic-netlink events -> loopback IP multicast.
#
#   make          build the module, the bridge, the client, tools and the
#                 NATS forwarder
#   make gen      regenerate the code kmod/mcbridge.yaml describes (also
#                 done by make when the spec or its generator changed)
#   make demo     install what is missing, load the module, show live events
#   make test     install what is missing, run every test
#   make test-debug-kernel  module and bridge suites on a debug kernel
#   make test-packages  the Debian packages in a systemd VM (not in make test)
#   make bench    benchmarks (not tests)
#   make deb      Debian packages in build/deb (see "Debian packages" below)
#   make install  install everything (see "install" below); make uninstall

TOP := $(CURDIR)
export TOP
# make test KERNELS="6.1 7.3": the kernels of kmod/kernels.list to test
# (default all); make demo KERNEL=7.3: the kernel the demo boots.
KERNELS ?=
KERNEL ?=

USER_PARTS := lib client bridge tools nats

.PHONY: all gen kmod $(USER_PARTS) deps demo test test-debug-kernel test-packages bench clean

all: kmod $(USER_PARTS)

# The generated files are in the tree (DKMS and the kernel matrix copy the
# module's); tests/kmod/check-spec.py fails when they are stale.
GEN_STAMP := build/.genl-gen
gen: $(GEN_STAMP)
$(GEN_STAMP): kmod/mcbridge.yaml scripts/genl-gen.py
	@mkdir -p $(@D)
	scripts/genl-gen.py
	@touch $@

kmod: gen
	$(MAKE) -C kmod

$(USER_PARTS): gen
	$(MAKE) -C $@

client: lib
bridge tools nats: client

deps:
	scripts/deps.sh

demo: deps
	$(MAKE) all
	KERNEL="$(KERNEL)" scripts/demo.sh

test: deps
	$(MAKE) all
	KERNELS="$(KERNELS)" tests/run-all.sh

# The module and bridge-in-VM suites on a kernel with lockdep, KASAN,
# kmemleak and debug objects (kmod/kernels.list: 6.1-debug), built from
# Debian's source once per machine.  Not part of `make test`.
test-debug-kernel: deps
	$(MAKE) all
	KERNELS=6.1-debug MCB_SUITES="kmod/suite-kmod bridge/suite-bridge-vm" tests/run-all.sh

# The Debian packages, installed, run, upgraded across kernels and purged
# in a VM with systemd as init (tests/packages/suite-packages.sh, about half
# an hour).  Not part of `make test`.
test-packages: deps
	KERNELS= MCB_SUITES=packages/suite-packages tests/run-all.sh

bench: deps
	$(MAKE) all
	bench/run.sh
	@# The NATS forwarder beside a raw publisher (bench/nats_bench.py).
	$(MAKE) -C nats bench-tools
	bench/nats_bench.py

fuzz: deps
	$(MAKE) -C fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),600)

clean:
	$(MAKE) -C kmod clean
	rm -rf build

# ---- install -----------------------------------------------------------------
#   make install   [DESTDIR=DIR] [PREFIX=/usr/local] [WITH_KMOD=no] [KDIR=DIR]
#   make uninstall (same variables)
#
# Programs, the ABI and client headers, libmcbridge-client.a with its
# pkg-config file, man pages, the systemd unit and its options file
# ($(SYSCONFDIR)/default/mcbridged, kept when it exists), the tshark /
# Wireshark dissector in Wireshark's Lua plugin folder, the module's
# sources with dkms.conf in /usr/src/mcbridge-VERSION, and, when a kernel
# build directory is found, the module itself in
# /lib/modules/<kernel>/updates.  depmod runs only for a real install
# (empty DESTDIR); a staged one (packages) leaves that to its installer.

VERSION := $(shell cat $(TOP)/VERSION)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/mcbridge
# systemd reads units from /usr/local/lib/systemd/system and /usr/lib/...
UNITDIR ?= $(PREFIX)/lib/systemd/system
# The unit reads its options from /etc whatever the prefix.
SYSCONFDIR ?= /etc
# DKMS finds module sources only in /usr/src/<name>-<version>.
DKMSDIR := /usr/src/mcbridge-$(VERSION)
# Wireshark loads Lua plugins from the global folder it was built with
# ("Global Lua Plugins" in tshark -G folders), whatever the prefix; without
# tshark, Debian's.  Expanded only when installing.
WIRESHARK_LUADIR ?= $(or $(shell tshark -G folders 2>/dev/null | \
	sed -n 's/^Global Lua Plugins:[[:space:]]*//p'),$\
	/usr/lib/$(shell $(CC) -print-multiarch)/wireshark/plugins)

INSTALL ?= install
DEPMOD ?= depmod

include mk/kdir.mk
# The release the module is built for, as in its vermagic.  Not Kbuild's
# kernelrelease: Debian's header packages report the upstream version there.
ifeq ($(origin KVER),undefined)
KVER := $(shell sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif
WITH_KMOD ?= $(if $(KDIR),yes,no)

# Kbuild runs in KDIR: it needs an absolute DESTDIR.
DESTDIR_ABS := $(if $(DESTDIR),$(abspath $(DESTDIR)))

# Where the parts were built: build/, or O=DIR (absolute) given to both the
# build and the install, as the Debian package build does.
BUILD := $(or $(O),$(TOP)/build)
GEN := $(BUILD)/install
# The .pc file names its directories relative to ${prefix} when they are
# under it, so that a staged tree can be used with pkg-config
# --define-prefix or --define-variable=prefix=.
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
# <mcbridge/*.h>: what mcbridge_client.h and its users include.
MCB_HEADERS := $(notdir $(wildcard $(TOP)/include/mcbridge/*.h))
MAN_PAGES := mcbridged.8 mcbridge-listen.1 mcbridge-ctl.1 mcbridge-events.7 \
	mcbridge-nats.1
SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@PREFIX@|$(PREFIX)|g' \
	-e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@PC_LIBDIR@|$(PC_LIBDIR)|g' -e 's|@PC_INCLUDEDIR@|$(PC_INCLUDEDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	-e 's|@LUADIR@|$(WIRESHARK_LUADIR)|g'

.PHONY: install install-gen install-user install-data install-dkms \
	install-kmod uninstall

install: install-user install-data install-dkms \
		$(if $(filter yes,$(WITH_KMOD)),install-kmod)
	@[ "$(WITH_KMOD)" = yes ] || echo "module not installed: no kernel build" \
		"directory (set KDIR), or WITH_KMOD=$(WITH_KMOD); DKMS can build it"
	@if [ -z "$(DESTDIR)" ]; then \
		echo "installed; to start the bridge now and at boot:"; \
		echo "  systemctl daemon-reload && systemctl enable --now mcbridged"; \
	fi

# Files with the paths and version filled in, made anew on every install:
# PREFIX and friends may differ from the last run.
install-gen:
	@mkdir -p $(GEN)
	@set -e; for f in packaging/mcbridged.service.in packaging/mcbridge-client.pc.in \
		packaging/mcbridge-nats.service.in \
		packaging/dkms.conf.in $(MAN_PAGES:%=man/%.in); do \
		out=$(GEN)/$$(basename $$f .in); echo "  GEN     $$out"; \
		$(SUBST) $$f >$$out; done

install-user: $(USER_PARTS)
	$(INSTALL) -D -m 0755 $(BUILD)/bin/mcbridged $(DESTDIR)$(SBINDIR)/mcbridged
	$(INSTALL) -D -m 0755 $(BUILD)/bin/mcbridge-listen $(DESTDIR)$(BINDIR)/mcbridge-listen
	$(INSTALL) -D -m 0755 $(BUILD)/bin/mcbridge-ctl $(DESTDIR)$(BINDIR)/mcbridge-ctl
	$(INSTALL) -D -m 0755 $(BUILD)/bin/mcbridge-nats $(DESTDIR)$(BINDIR)/mcbridge-nats
	$(INSTALL) -D -m 0644 $(BUILD)/lib/libmcbridge-client.a $(DESTDIR)$(LIBDIR)/libmcbridge-client.a
	$(INSTALL) -D -m 0644 include/uapi/linux/mcbridge.h $(DESTDIR)$(INCLUDEDIR)/linux/mcbridge.h
	@set -e; for h in $(MCB_HEADERS); do \
		echo "$(INSTALL) -D -m 0644 include/mcbridge/$$h $(DESTDIR)$(INCLUDEDIR)/mcbridge/$$h"; \
		$(INSTALL) -D -m 0644 include/mcbridge/$$h $(DESTDIR)$(INCLUDEDIR)/mcbridge/$$h; done
	$(INSTALL) -D -m 0644 client/mcbridge_client.h $(DESTDIR)$(INCLUDEDIR)/mcbridge_client.h

install-data: install-gen
	$(INSTALL) -D -m 0644 $(GEN)/mcbridge-client.pc $(DESTDIR)$(PKGCONFIGDIR)/mcbridge-client.pc
	$(INSTALL) -D -m 0644 $(GEN)/mcbridged.service $(DESTDIR)$(UNITDIR)/mcbridged.service
	$(INSTALL) -D -m 0644 $(GEN)/mcbridge-nats.service $(DESTDIR)$(UNITDIR)/mcbridge-nats.service
	@set -e; for p in $(MAN_PAGES); do \
		echo "$(INSTALL) -D -m 0644 $(GEN)/$$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$$p"; \
		$(INSTALL) -D -m 0644 $(GEN)/$$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$$p; done
	@# The options files are configuration: an edited one is never replaced.
	@set -e; for d in mcbridged mcbridge-nats; do \
		$(INSTALL) -D -m 0644 packaging/$$d.default $(DESTDIR)$(DOCDIR)/examples/$$d.default; \
		f=$(DESTDIR)$(SYSCONFDIR)/default/$$d; \
		if [ -e $$f ]; then echo "keeping $$f"; else \
			echo "$(INSTALL) -D -m 0644 packaging/$$d.default $$f"; \
			$(INSTALL) -D -m 0644 packaging/$$d.default $$f; fi; \
	done
	$(INSTALL) -D -m 0644 wireshark/mcbridge.lua $(DESTDIR)$(WIRESHARK_LUADIR)/mcbridge.lua

# The module's sources, in the repository's layout (kmod/ builds with
# ../include/uapi and ../VERSION): what DKMS gets, and what the kernel
# matrix copies to build one module per kernel (scripts/kernels.sh).
KMOD_SOURCES := kmod/Kbuild kmod/Makefile kmod/mcbridge.c kmod/mcbridge-nl-gen.h \
	kmod/compat.h \
	VERSION include/uapi/linux/mcbridge.h

install-dkms: install-gen
	$(INSTALL) -D -m 0644 $(GEN)/dkms.conf $(DESTDIR)$(DKMSDIR)/dkms.conf
	@set -e; for f in $(KMOD_SOURCES); do \
		echo "$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f"; \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f; done

# make kmod-tree KMOD_TREE=DIR: the module's sources alone in DIR.
.PHONY: kmod-tree
kmod-tree:
	@[ -n "$(KMOD_TREE)" ] || { echo "kmod-tree: set KMOD_TREE=DIR" >&2; exit 2; }
	@set -e; for f in $(KMOD_SOURCES); do \
		$(INSTALL) -D -m 0644 $$f $(KMOD_TREE)/$$f; done

# Kbuild's modules_install, told the release (see KVER).  Distribution
# build directories have no signing key, so signing is left to DKMS (its
# MOK key); Kbuild's own depmod is replaced by ours below.
install-kmod: kmod
	@[ -n "$(KVER)" ] || { echo "no kernel release in $(KDIR)/include/generated/utsrelease.h" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP)/kmod modules_install \
		INSTALL_MOD_PATH=$(DESTDIR_ABS) INSTALL_MOD_DIR=updates \
		KERNELRELEASE=$(KVER) CONFIG_MODULE_SIG_ALL= cmd_depmod=: quiet_cmd_depmod=
	@if [ -z "$(DESTDIR)" ]; then echo "$(DEPMOD) -a $(KVER)"; $(DEPMOD) -a $(KVER); fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mcbridged $(DESTDIR)$(BINDIR)/mcbridge-listen \
		$(DESTDIR)$(BINDIR)/mcbridge-ctl $(DESTDIR)$(BINDIR)/mcbridge-nats \
		$(DESTDIR)$(LIBDIR)/libmcbridge-client.a \
		$(DESTDIR)$(INCLUDEDIR)/linux/mcbridge.h $(DESTDIR)$(INCLUDEDIR)/mcbridge_client.h \
		$(MCB_HEADERS:%=$(DESTDIR)$(INCLUDEDIR)/mcbridge/%) \
		$(DESTDIR)$(PKGCONFIGDIR)/mcbridge-client.pc $(DESTDIR)$(UNITDIR)/mcbridged.service \
		$(DESTDIR)$(UNITDIR)/mcbridge-nats.service \
		$(DESTDIR)$(DOCDIR)/examples/mcbridged.default \
		$(DESTDIR)$(DOCDIR)/examples/mcbridge-nats.default \
		$(DESTDIR)$(WIRESHARK_LUADIR)/mcbridge.lua
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(p))
	@rmdir $(DESTDIR)$(INCLUDEDIR)/mcbridge $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@# Unchanged configuration goes; an edited one stays, as with packages.
	@for d in mcbridged mcbridge-nats; do \
		f=$(DESTDIR)$(SYSCONFDIR)/default/$$d; \
		if [ -e $$f ]; then \
			if cmp -s $$f packaging/$$d.default; then echo "rm -f $$f"; rm -f $$f; \
			else echo "keeping $$f: it was changed"; fi; fi; \
	done
	@# A DKMS registration of these sources would be left dangling.
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null 2>&1 && \
	    [ -n "$$(dkms status -m mcbridge -v $(VERSION) 2>/dev/null)" ]; then \
		echo "dkms remove -m mcbridge -v $(VERSION) --all"; \
		dkms remove -m mcbridge -v $(VERSION) --all; fi
	rm -rf $(DESTDIR)$(DKMSDIR)
	@# The module of every kernel it was installed for, not only KDIR's.
	@for m in $(DESTDIR)/lib/modules/*/updates/mcbridge.ko*; do \
		[ -e "$$m" ] || continue; \
		echo "rm -f $$m"; rm -f "$$m"; \
		k=$${m#$(DESTDIR)/lib/modules/}; k=$${k%%/*}; \
		if [ -z "$(DESTDIR)" ]; then echo "$(DEPMOD) -a $$k"; $(DEPMOD) -a $$k; fi; \
	done

# ---- Debian packages ----------------------------------------------------------
#   make deb   build/deb/*.deb: mcbridge, mcbridge-dkms, libmcbridge-client-dev
#              (debian/: dpkg-buildpackage -us -uc -b), then lintian on them
#
# Built in a copy of the sources under build/deb, so that the checkout gets
# neither debian/ build files nor the packages (dpkg-buildpackage writes them
# to the parent directory), and the checkout's own build/ is not packaged.
DEB_DIR := $(TOP)/build/deb
DEB_SRC := $(DEB_DIR)/mcbridge-$(VERSION)

.PHONY: deb
deb: deps
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	@# The files git tracks or would (not what it ignores); without git,
	@# everything but build/ and what .gitignore names.
	@if git -C $(TOP) rev-parse --show-toplevel >/dev/null 2>&1; then \
		git -C $(TOP) ls-files -z --cached --others --exclude-standard | \
			(cd $(TOP) && xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' _) | \
			tar -C $(TOP) --null -T - -cf - | tar -C $(DEB_SRC) -xf -; \
	else \
		tar -C $(TOP) --exclude=./build --exclude-vcs --exclude-vcs-ignores -cf - . | \
			tar -C $(DEB_SRC) -xf -; \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(DEB_DIR)/mcbridge_$(VERSION)_*.changes
	@ls -1 $(DEB_DIR)/*.deb
