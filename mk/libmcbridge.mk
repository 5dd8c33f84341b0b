# lib/: libmcbridge.a, what the programs share.  Included after common.mk
# by lib/Makefile and by every part that links it; only lib/ builds it.

MCB_LIB := $(LIB)/libmcbridge.a
MCB_LIB_OBJDIR := $(O)/libmcbridge
# mcb_attr_gen.c is generated from kmod/mcbridge.yaml (scripts/genl-gen.py,
# `make gen` at the top); its table knows the client's struct mcb_event.
MCB_LIB_SRCS := auth.c keyfile.c replay.c clock.c hex.c num.c sockbuf.c \
	jsonstr.c nla.c opttab.c mcb_attr.c mcb_attr_gen.c mcaddr.c \
	log.c sdnotify.c cred.c
MCB_LIB_OBJS := $(MCB_LIB_SRCS:%.c=$(MCB_LIB_OBJDIR)/%.o)

ifneq ($(notdir $(CURDIR)),lib)
# Asked every time; lib/'s own rules decide whether anything changed, and
# the archive's time tells whoever links it.  Not the includer's default
# goal.
mcb_saved_goal := $(.DEFAULT_GOAL)
.PHONY: FORCE_MCB_LIB
$(MCB_LIB): FORCE_MCB_LIB
	$(MAKE) -C $(TOP)/lib
.DEFAULT_GOAL := $(mcb_saved_goal)
endif
