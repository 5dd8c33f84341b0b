// SPDX-License-Identifier: MIT
/* Command lines by table: see opttab.h. */
#include "lib/opttab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>

#include "lib/num.h"

/* Rows a table may have; long-only options get values from LONG_ONLY. */
#define MCB_OPT_MAX	64
#define LONG_ONLY	0x100
/* Column of the help text in --help. */
#define HELP_COL	25

static void store(const struct mcb_opt *o, void *cfg, uint64_t v)
{
	unsigned char *p = (unsigned char *)cfg + o->off;

	switch (o->size) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

int mcb_opt_set_flag(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size)
{
	(void)arg;
	(void)why;
	(void)why_size;
	*(bool *)((char *)cfg + o->off) = true;
	return 0;
}

int mcb_opt_set_str(const struct mcb_opt *o, const char *arg, void *cfg,
		    char *why, size_t why_size)
{
	(void)why;
	(void)why_size;
	*(const char **)((char *)cfg + o->off) = arg;
	return 0;
}

int mcb_opt_set_name(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size)
{
	if (!*arg) {
		snprintf(why, why_size, "empty name");
		return -EINVAL;
	}
	return mcb_opt_set_str(o, arg, cfg, why, why_size);
}

static int number(const struct mcb_opt *o, const char *arg, void *cfg,
		  char *why, size_t why_size, bool size)
{
	uint64_t v;
	int err = size ? mcb_parse_size(arg, o->min, o->max, &v) :
			 mcb_parse_u64(arg, o->min, o->max, &v);

	if (err) {
		snprintf(why, why_size, "expected %llu..%llu%s",
			 (unsigned long long)o->min, (unsigned long long)o->max,
			 size ? " bytes (K/M/G suffix)" : "");
		return err;
	}
	store(o, cfg, v);
	return 0;
}

int mcb_opt_set_u64(const struct mcb_opt *o, const char *arg, void *cfg,
		    char *why, size_t why_size)
{
	return number(o, arg, cfg, why, why_size, false);
}

int mcb_opt_set_size(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size)
{
	return number(o, arg, cfg, why, why_size, true);
}

int mcb_opt_choice(const char *const *choices, const char *s)
{
	for (int i = 0; choices[i]; i++)
		if (!strcmp(choices[i], s))
			return i;
	return -1;
}

int mcb_opt_set_choice(const struct mcb_opt *o, const char *arg, void *cfg,
		       char *why, size_t why_size)
{
	int i = mcb_opt_choice(o->choices, arg);
	size_t n = 0;

	if (i >= 0) {
		store(o, cfg, o->min + (uint64_t)i);
		return 0;
	}
	/* "expected a, b or c" */
	n += (size_t)snprintf(why, why_size, "expected");
	for (i = 0; o->choices[i] && n < why_size; i++)
		n += (size_t)snprintf(why + n, why_size - n, "%s %s",
				      i == 0 ? "" : o->choices[i + 1] ? "," :
				      " or", o->choices[i]);
	return -EINVAL;
}

static int address(const struct mcb_opt *o, const char *arg, void *cfg,
		   char *why, size_t why_size, bool mcast)
{
	struct in_addr a;

	if (inet_pton(AF_INET, arg, &a) != 1 ||
	    (mcast && !IN_MULTICAST(ntohl(a.s_addr)))) {
		snprintf(why, why_size, "not an IPv4 %saddress",
			 mcast ? "multicast " : "");
		return -EINVAL;
	}
	memcpy((char *)cfg + o->off, &a, sizeof(a));
	return 0;
}

int mcb_opt_set_ipv4(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size)
{
	return address(o, arg, cfg, why, why_size, false);
}

int mcb_opt_set_mcast(const struct mcb_opt *o, const char *arg, void *cfg,
		      char *why, size_t why_size)
{
	return address(o, arg, cfg, why, why_size, true);
}

/* Never called: the parser knows these rows by their setter. */
int mcb_opt_help(const struct mcb_opt *o, const char *arg, void *cfg,
		 char *why, size_t why_size)
{
	(void)o;
	(void)arg;
	(void)cfg;
	(void)why;
	(void)why_size;
	return 0;
}

int mcb_opt_version(const struct mcb_opt *o, const char *arg, void *cfg,
		    char *why, size_t why_size)
{
	return mcb_opt_help(o, arg, cfg, why, why_size);
}

/* "  -p, --port N" padded to the help column, then the help lines. */
static void usage(const struct mcb_opttab *t, FILE *out)
{
	fputs(t->head, out);
	for (const struct mcb_opt *o = t->opts; o->name; o++) {
		const char *h = o->help;
		int n;

		if (o->short_name)
			n = fprintf(out, "  -%c, --%s", o->short_name, o->name);
		else
			n = fprintf(out, "      --%s", o->name);
		if (o->arg)
			n += fprintf(out, " %s", o->arg);
		if (n > HELP_COL - 2) {
			fputc('\n', out);
			n = 0;
		}
		for (;;) {
			size_t len = strcspn(h, "\n");

			fprintf(out, "%*s%.*s\n", HELP_COL - n, "", (int)len, h);
			if (!h[len])
				break;
			h += len + 1;
			n = 0;
		}
	}
	fputs(t->tail, out);
}

/* Is arg a long option naming (a prefix of) the option whose val is val? */
static bool is_long(const char *arg, const struct option *longopts, int val)
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

/*
 * The option getopt_long() (GNU, opterr = 0) stopped at, as the user wrote
 * it.  argv[optind - 1] is not it inside a cluster: for "-xD" optind still
 * points at the cluster, so "-x" is named from optopt.  A long option
 * ("--bogus", "--help=x", "--port" without value) is argv[optind - 1], up to
 * any '='.
 */
static const char *opt_name(char *buf, size_t size, char **argv,
			    const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (optopt == 0 || is_long(arg, longopts, optopt))
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt > 0 && optopt < 0x80)
		snprintf(buf, size, "-%c", optopt);
	else
		snprintf(buf, size, "-\\x%02x", (unsigned)optopt & 0xff);
	return buf;
}

static enum mcb_opt_result vfail(const struct mcb_opttab *t, FILE *err,
				 const char *fmt, va_list ap)
{
	fprintf(err, "%s: ", t->prog);
	vfprintf(err, fmt, ap);
	fprintf(err, "\nTry '%s --help'.\n", t->prog);
	return MCB_OPT_ERROR;
}

enum mcb_opt_result mcb_opt_fail(const struct mcb_opttab *t, FILE *err,
				 const char *fmt, ...)
{
	enum mcb_opt_result r;
	va_list ap;

	va_start(ap, fmt);
	r = vfail(t, err, fmt, ap);
	va_end(ap);
	return r;
}

/* getopt_long's optstring and options from the rows. */
static int getopt_tables(const struct mcb_opttab *t, char *shorts,
			 struct option *longs)
{
	size_t ns = 0, i;

	shorts[ns++] = ':';	/* a missing value is ':', not '?' */
	for (i = 0; t->opts[i].name; i++) {
		const struct mcb_opt *o = &t->opts[i];

		if (i == MCB_OPT_MAX)
			return -E2BIG;
		longs[i] = (struct option){
			o->name, o->arg ? required_argument : no_argument,
			NULL, o->short_name ? o->short_name :
					      LONG_ONLY + (int)i };
		if (o->short_name) {
			shorts[ns++] = o->short_name;
			if (o->arg)
				shorts[ns++] = ':';
		}
	}
	longs[i] = (struct option){ NULL, 0, NULL, 0 };
	shorts[ns] = '\0';
	return 0;
}

static const struct mcb_opt *row(const struct mcb_opttab *t, int c)
{
	for (size_t i = 0; t->opts[i].name; i++)
		if (c == (t->opts[i].short_name ? t->opts[i].short_name :
			  LONG_ONLY + (int)i))
			return &t->opts[i];
	return NULL;
}

enum mcb_opt_result mcb_opt_parse(const struct mcb_opttab *t, int argc,
				  char **argv, void *cfg, FILE *out, FILE *err)
{
	struct option longs[MCB_OPT_MAX + 1];
	char shorts[2 * MCB_OPT_MAX + 2], name[64], why[128];
	const struct mcb_opt *o;
	int c;

	if (getopt_tables(t, shorts, longs) < 0)
		return mcb_opt_fail(t, err, "too many options in the table");
	optind = 0;	/* GNU: full reinitialisation, for repeated calls */
	opterr = 0;	/* our own messages, to err */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == ':')
			return mcb_opt_fail(t, err, "option '%s' needs %s %s",
					    opt_name(name, sizeof(name), argv,
						     longs),
					    strchr("aeiou", t->arg_word[0]) ?
					    "an" : "a", t->arg_word);
		o = c == '?' ? NULL : row(t, c);
		if (!o) {
			opt_name(name, sizeof(name), argv, longs);
			if (optopt && is_long(argv[optind - 1], longs, optopt))
				return mcb_opt_fail(t, err, "option '%s' takes "
						    "no %s", name, t->arg_word);
			return mcb_opt_fail(t, err, "unknown option '%s'",
					    name);
		}
		if (o->set == mcb_opt_help) {
			usage(t, out);
			return MCB_OPT_EXIT_OK;
		}
		if (o->set == mcb_opt_version) {
			t->version(out);
			return MCB_OPT_EXIT_OK;
		}
		why[0] = '\0';
		if (o->set(o, optarg, cfg, why, sizeof(why)) < 0) {
			if (optarg && *optarg)
				return mcb_opt_fail(t, err, "--%s '%s': %s",
						    o->name, optarg, why);
			return mcb_opt_fail(t, err, "--%s: %s", o->name, why);
		}
	}
	if (optind < argc)
		return mcb_opt_fail(t, err, "unexpected argument '%s'",
				    argv[optind]);
	return MCB_OPT_RUN;
}
