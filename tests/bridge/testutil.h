/* SPDX-License-Identifier: MIT */
/* Helpers for the bridge unit tests: message builders, a JSON checker. */
#ifndef MCB_TESTUTIL_H
#define MCB_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "event.h"

/* A genetlink message for family id fam with command cmd, version 1. */
static inline struct nl_msg *t_msg(int fam, uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 0, 0, fam, 0, 0, cmd, 1));
	return m;
}

/* Fill ev from a built message, as nlsource would. */
static inline void t_event(struct mcb_nl_event *ev, struct nl_msg *m,
			   const char *family, const char *group,
			   bool is_mcbridge)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct genlmsghdr *g = nlmsg_data(nlh);

	memset(ev, 0, sizeof(*ev));
	ev->kind = MCB_KIND_EVENT;
	ev->family = family;
	ev->group = group;
	ev->is_mcbridge = is_mcbridge;
	ev->cmd = g->cmd;
	ev->genl_version = g->version;
	ev->attrs = genlmsg_attrdata(g, 0);
	ev->attr_len = (uint32_t)genlmsg_attrlen(g, 0);
}

/* ---- minimal JSON well-formedness checker (RFC 8259 syntax) ---- */

struct t_json {
	const char *p, *end;
};

static inline void t_ws(struct t_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' ||
				 *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static inline bool t_value(struct t_json *j, int depth);

static inline bool t_string(struct t_json *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)
			return false;
		if (c == '\\') {
			j->p++;
			if (j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end ||
					    !strchr("0123456789abcdefABCDEF",
						    j->p[i]))
						return false;
				j->p += 4;
			} else if (!strchr("\"\\/bfnrt", *j->p)) {
				return false;
			}
		}
		j->p++;
	}
	if (j->p >= j->end)
		return false;
	j->p++;
	return true;
}

static inline bool t_value(struct t_json *j, int depth)
{
	if (depth > 64)
		return false;
	t_ws(j);
	if (j->p >= j->end)
		return false;
	if (*j->p == '"')
		return t_string(j);
	if (*j->p == '{' || *j->p == '[') {
		char close = *j->p == '{' ? '}' : ']';
		bool obj = close == '}';

		j->p++;
		t_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return true;
		}
		for (;;) {
			t_ws(j);
			if (obj) {
				if (!t_string(j))
					return false;
				t_ws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return false;
			}
			if (!t_value(j, depth + 1))
				return false;
			t_ws(j);
			if (j->p >= j->end)
				return false;
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != close)
				return false;
			return true;
		}
	}
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
		j->p++;
		while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') ||
					 strchr(".eE+-", *j->p)))
			j->p++;
		return true;
	}
	for (const char *const *lit = (const char *const[]){ "true", "false",
	     "null", NULL }; *lit; lit++) {
		size_t n = strlen(*lit);

		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, *lit, n)) {
			j->p += n;
			return true;
		}
	}
	return false;
}

/* One object, then exactly "\n". */
static inline bool t_json_datagram(const char *buf, size_t len)
{
	struct t_json j = { buf, buf + len };

	if (len < 3 || buf[0] != '{' || buf[len - 1] != '\n')
		return false;
	if (!t_value(&j, 0))
		return false;
	return j.p == buf + len - 1;
}

#endif
