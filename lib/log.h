/* SPDX-License-Identifier: MIT */
/* Logging to stderr or syslog; the sink is chosen once at startup.  Shared
 * by mcbridged and mcbridge-nats. */
#ifndef MCB_LOG_H
#define MCB_LOG_H

#include <stdbool.h>
#include <syslog.h>

struct mcb_log {
	bool use_syslog;
	bool verbose;		/* LOG_DEBUG lines too */
	/* The program: syslog's ident, stderr's prefix; NULL: mcbridged's. */
	const char *ident;
};

void mcb_log_open(struct mcb_log *lg, const char *ident, bool use_syslog,
		  bool verbose);
void mcb_log_close(const struct mcb_log *lg);

__attribute__((format(printf, 3, 4)))
void mcb_log(const struct mcb_log *lg, int prio, const char *fmt, ...);

#endif
