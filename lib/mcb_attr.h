/* SPDX-License-Identifier: MIT */
/*
 * The mcbridge family's attributes, one row each, generated from
 * kmod/mcbridge.yaml (lib/mcb_attr_gen.c): id, JSON key, type and size,
 * enum names, and for event attributes the struct mcb_event field and
 * MCB_HAS_* bit.  The bridge's encoders and kernel-seq lookup, the client's
 * decoders and renderers and mcbridge-ctl all walk these rows, so that an
 * attribute added to the spec reaches each of them.
 */
#ifndef MCB_ATTR_H
#define MCB_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

enum mcb_attr_type {
	MCB_AT_UNUSED,
	MCB_AT_PAD,		/* alignment filler, no data */
	MCB_AT_U32,
	MCB_AT_U64,
	MCB_AT_STRING,
	MCB_AT_NEST,
};

struct mcb_names {
	const char *const *names;	/* by value; NULL: no name */
	size_t count;
};

struct mcb_attr_set;

struct mcb_attr_desc {
	const char *name;		/* as in the spec: "timestamp-ns" */
	uint16_t id;
	uint8_t type;			/* enum mcb_attr_type */
	uint8_t size;			/* payload bytes of numbers */
	bool hex;			/* shown in hex where not JSON */
	const char *json_key;		/* "timestamp_ns" */
	const char *json_prefix;	/* ,"timestamp_ns": */
	size_t json_prefix_len;
	const struct mcb_names *names;	/* enum values, or NULL */
	const struct mcb_attr_set *nested;
	/* Attributes of the event notification only: */
	bool in_event;
	const char *ctl_key;		/* mcbridge-ctl monitor */
	const char *human_key;		/* human line; NULL: not shown */
	uint8_t human_rank;		/* position in the human line */
	bool headline;			/* human: the value alone, as the kind */
	uint32_t has;			/* MCB_HAS_* */
	uint16_t field_off, field_size;	/* in struct mcb_event */
	uint16_t len_off;		/* strings: the length's field */
};

struct mcb_attr_set {
	const char *name;
	unsigned max;			/* highest id */
	const struct mcb_attr_desc *rows;	/* max + 1, by id */
};

extern const struct mcb_attr_set mcb_mcbridge_attrs, mcb_stats_attrs;
/* Event attributes in the human line's order, NULL-terminated. */
extern const struct mcb_attr_desc *const mcb_human_order[];
/* Generic attributes go before the rows ranked above this. */
#define MCB_HUMAN_RANK_GENERIC	50

_Static_assert(MCBRIDGE_ATTR_MAX < 64, "named attribute mask is 64 bits");

/*
 * The one rule for which mcbridge attribute is "named" (a JSON key, a field
 * of struct mcb_event, the bridge's kernel seq): the first of its type that
 * is an event attribute, not NLA_F_NESTED, and of its type's size.  Repeats
 * and the rest are generic attributes: shown, never lost.  *taken holds the
 * types named so far (start at 0).  Returns the row, or NULL.
 */
static inline const struct mcb_attr_desc *
mcb_attr_named(uint16_t type, uint16_t flags, uint16_t len, uint64_t *taken)
{
	const struct mcb_attr_desc *d;

	if (type > MCBRIDGE_ATTR_MAX || (flags & NLA_F_NESTED) ||
	    (*taken & (1ull << type)))
		return NULL;
	d = &mcb_mcbridge_attrs.rows[type];
	if (!d->in_event || (d->size && len != d->size))
		return NULL;
	*taken |= 1ull << type;
	return d;
}

/* Name of value v, or NULL (names.h's mcb_name, inline for the encoder). */
static inline const char *mcb_names_get(const struct mcb_names *t,
					uint64_t v)
{
	return v < t->count ? t->names[v] : NULL;
}

/* The event attribute with this JSON key, or NULL. */
const struct mcb_attr_desc *mcb_attr_by_json_key(const char *key);

#endif /* MCB_ATTR_H */
