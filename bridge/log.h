/* SPDX-License-Identifier: MIT */
/* Logging to stderr or syslog; the sink is chosen once at startup. */
#ifndef MCB_LOG_H
#define MCB_LOG_H

#include <stdbool.h>
#include <syslog.h>

struct mcb_log {
	bool use_syslog;
	bool verbose;		/* LOG_DEBUG lines too */
};

void mcb_log_open(struct mcb_log *lg, bool use_syslog, bool verbose);
void mcb_log_close(const struct mcb_log *lg);

__attribute__((format(printf, 3, 4)))
void mcb_log(const struct mcb_log *lg, int prio, const char *fmt, ...);

#endif
