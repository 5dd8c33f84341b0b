# Common settings for the userspace parts (bridge/, client/, tools/, tests/).
# Include with TOP set to the project root.
#
#   make              -> objects and programs under build/
#   make SAN=1        -> ASan+UBSan build under build/san/
#   make O=DIR        -> any other output directory

ifeq ($(SAN),1)
O ?= $(TOP)/build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O ?= $(TOP)/build
SANFLAGS :=
endif

BIN := $(O)/bin
LIB := $(O)/lib

CC ?= cc
PKG_CONFIG ?= pkg-config

WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	     -Wformat=2 -Wvla
CFLAGS ?= -O2 -g
MCB_VERSION := $(shell cat $(TOP)/VERSION)
CFLAGS += -std=c11 -D_GNU_SOURCE -DMCB_VERSION='"$(MCB_VERSION)"' $(WARNFLAGS) $(SANFLAGS) -I$(TOP) -I$(TOP)/include -I$(TOP)/include/uapi
LDFLAGS += $(SANFLAGS)

NL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell $(PKG_CONFIG) --libs libnl-genl-3.0 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcrypto 2>/dev/null)
CRYPTO_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null)

# Objects of a part go to $(O)/<part>/, with header dependencies tracked.
DEPFLAGS = -MMD -MP
