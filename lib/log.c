// SPDX-License-Identifier: MIT
/* Logging: stderr by default, syslog with --syslog. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void mcb_log_open(struct mcb_log *lg, const char *ident, bool use_syslog,
		  bool verbose)
{
	lg->ident = ident;
	lg->use_syslog = use_syslog;
	lg->verbose = verbose;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void mcb_log_close(const struct mcb_log *lg)
{
	if (lg->use_syslog)
		closelog();
}

void mcb_log(const struct mcb_log *lg, int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !(lg && lg->verbose))
		return;
	va_start(ap, fmt);
	if (lg && lg->use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		/* One fprintf per line keeps lines whole when stderr is shared. */
		char line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "%s: %s\n", lg && lg->ident ? lg->ident :
			"mcbridged", line);
	}
	va_end(ap);
}
