/* SPDX-License-Identifier: MIT */
/*
 * The option getopt_long() (GNU, opterr = 0) stopped at, as the user wrote
 * it, for the error message.  argv[optind - 1] is not it inside a cluster:
 * for "-xD" optind still points at the cluster, so "-x" is named from
 * optopt.  A long option ("--bogus", "--help=x", "--port" without value) is
 * argv[optind - 1], up to any '='.
 */
#ifndef MCBRIDGE_OPTNAME_H
#define MCBRIDGE_OPTNAME_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Is arg a long option naming (a prefix of) the option whose val is val? */
static inline bool mcb_opt_is_long(const char *arg,
				   const struct option *longopts, int val)
{
	size_t n;

	if (strncmp(arg, "--", 2) != 0)
		return false;
	arg += 2;
	n = strcspn(arg, "=");
	for (const struct option *l = longopts; l->name; l++)
		if (l->val == val && n > 0 && !strncmp(l->name, arg, n))
			return true;
	return false;
}

/* Right after getopt_long() returned '?' or ':'. */
static inline const char *mcb_opt_name(char *buf, size_t size, char **argv,
				       const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (optopt == 0 || mcb_opt_is_long(arg, longopts, optopt))
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt > 0 && optopt < 0x80)
		snprintf(buf, size, "-%c", optopt);
	else
		snprintf(buf, size, "-\\x%02x", (unsigned)optopt & 0xff);
	return buf;
}

#endif /* MCBRIDGE_OPTNAME_H */
