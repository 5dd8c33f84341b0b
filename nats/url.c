/* SPDX-License-Identifier: MIT */
/*
 * Server URLs checked on the command line, so that a typo is a usage error
 * (exit 2) and not an endless reconnect loop: the C client only parses
 * them when it connects.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/num.h"
#include "url.h"

static bool host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* One URL of len bytes at u. */
static int check_one(const char *u, size_t len, char *why, size_t why_size)
{
	const char *end = u + len, *sep, *host, *at;
	char port[8];
	uint64_t n;

	sep = memmem(u, len, "://", 3);
	if (sep) {
		size_t sl = (size_t)(sep - u);

		if (!((sl == 4 && !memcmp(u, "nats", 4)) ||
		      (sl == 3 && !memcmp(u, "tls", 3)))) {
			snprintf(why, why_size, "'%.*s': the scheme must be "
				 "nats:// or tls://", (int)len, u);
			return -EINVAL;
		}
		u = sep + 3;
	}
	/* user[:password]@ belongs to the client's options, kept as is. */
	at = memchr(u, '@', (size_t)(end - u));
	if (at)
		u = at + 1;
	host = u;
	if (u < end && *u == '[') {
		const char *close = memchr(u, ']', (size_t)(end - u));

		if (!close || close == u + 1)
			goto bad_host;
		for (const char *p = u + 1; p < close; p++)
			if (!strchr("0123456789abcdefABCDEF:.", *p))
				goto bad_host;
		u = close + 1;
	} else {
		while (u < end && host_char((unsigned char)*u))
			u++;
		if (u == host)
			goto bad_host;
	}
	if (u == end)
		return 0;
	if (*u != ':' || (size_t)(end - u - 1) >= sizeof(port) ||
	    end - u - 1 == 0)
		goto bad_port;
	memcpy(port, u + 1, (size_t)(end - u - 1));
	port[end - u - 1] = '\0';
	if (mcb_parse_u64(port, 1, 65535, &n) == 0)
		return 0;
bad_port:
	snprintf(why, why_size, "'%.*s': expected HOST[:PORT] with a port "
		 "1..65535", (int)len, host);
	return -EINVAL;
bad_host:
	snprintf(why, why_size, "'%.*s': no host name or address",
		 (int)(end - host), host);
	return -EINVAL;
}

int mcbn_urls_check(const char *list, char *why, size_t why_size)
{
	const char *p = list;
	unsigned n = 0;

	if (!*p) {
		snprintf(why, why_size, "no server URL");
		return -EINVAL;
	}
	if (strlen(list) > 4095) {
		snprintf(why, why_size, "list too long");
		return -EINVAL;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		int err;

		if (len == 0) {
			snprintf(why, why_size, "empty URL in '%s'", list);
			return -EINVAL;
		}
		if (++n > MCBN_MAX_SERVERS) {
			snprintf(why, why_size, "more than %d URLs",
				 MCBN_MAX_SERVERS);
			return -EINVAL;
		}
		err = check_one(p, len, why, why_size);
		if (err)
			return err;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}
