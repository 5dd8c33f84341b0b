# lib/: code two programs share, as the static library $(LIBMCB), and the
# same objects inside libmcbridge-client.a for the library's users.
# Include after mk/common.mk.
#
# mcb_attr_gen.c is generated from kmod/mcbridge.yaml (scripts/genl-gen.py,
# `make gen` at the top).
# The includer's default goal stays its own (restored at the end).
LIBMCB_SAVED_GOAL := $(.DEFAULT_GOAL)

LIBMCB_SRCS := mcb_attr.c mcb_attr_gen.c
LIBMCB_OBJDIR := $(O)/lib/obj
LIBMCB_OBJS := $(LIBMCB_SRCS:%.c=$(LIBMCB_OBJDIR)/%.o)
LIBMCB := $(LIB)/libmcbridge.a
# The table knows struct mcb_event's layout (client/mcbridge_client.h).
LIBMCB_CFLAGS := -I$(TOP)/lib -I$(TOP)/client

$(LIBMCB_OBJDIR)/%.o: $(TOP)/lib/%.c | $(LIBMCB_OBJDIR)
	$(CC) $(CFLAGS) $(LIBMCB_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LIBMCB): $(LIBMCB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBMCB_OBJDIR):
	mkdir -p $@

-include $(LIBMCB_OBJS:.o=.d)

.DEFAULT_GOAL := $(LIBMCB_SAVED_GOAL)
