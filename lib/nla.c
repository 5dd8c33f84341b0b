// SPDX-License-Identifier: MIT
/* Names of the generic attribute kinds (mcbridge/nla.h). */
#include <mcbridge/nla.h>

#include <stddef.h>

static const char *const kind_keys[] = {
	[MCB_ATTR_U8] = "u8",
	[MCB_ATTR_U16] = "u16",
	[MCB_ATTR_U32] = "u32",
	[MCB_ATTR_U64] = "u64",
	[MCB_ATTR_STR] = "str",
	[MCB_ATTR_NESTED] = "nested",
	[MCB_ATTR_HEX] = "hex",
};

const char *mcb_attr_kind_key(enum mcb_attr_kind kind)
{
	if ((size_t)kind >= sizeof(kind_keys) / sizeof(kind_keys[0]) ||
	    !kind_keys[kind])
		return "hex";
	return kind_keys[kind];
}
