/* SPDX-License-Identifier: MIT */
/*
 * Command lines by table: one row per option (names, argument, help line,
 * setter and its limits).  getopt_long's strings, --help and every error
 * message come from the rows, the same way in every program.
 */
#ifndef MCB_LIB_OPTTAB_H
#define MCB_LIB_OPTTAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A number macro as text, for help lines. */
#define MCB_STR_(x)	#x
#define MCB_STR(x)	MCB_STR_(x)

enum mcb_opt_result {
	MCB_OPT_RUN = 0,	/* go on */
	MCB_OPT_EXIT_OK = 1,	/* --help / --version printed: exit 0 */
	MCB_OPT_ERROR = 2,	/* message printed: exit 2 */
};

struct mcb_opt;

/* Store arg in cfg: 0, or -EINVAL / -ERANGE with the reason in why. */
typedef int (*mcb_opt_set_fn)(const struct mcb_opt *o, const char *arg,
			      void *cfg, char *why, size_t why_size);

struct mcb_opt {
	const char *name;	/* long name; NULL ends the table */
	char short_name;	/* 0: long only */
	const char *arg;	/* the argument in --help; NULL: takes none */
	const char *help;	/* '\n' goes on on the next line */
	mcb_opt_set_fn set;
	size_t off, size;	/* the field of cfg that set() writes */
	uint64_t min, max;	/* limits of the number setters */
	const char *const *choices;	/* mcb_opt_set_choice(): min + index */
};

/* The field set: cfg's type and the member's name. */
#define MCB_OPT_FIELD(type, member) \
	.off = offsetof(type, member), .size = sizeof(((type *)0)->member)

struct mcb_opttab {
	const char *prog;
	const char *head;	/* --help before the options */
	const char *tail;	/* ... and after them */
	const char *arg_word;	/* "option '-p' needs a value" */
	void (*version)(FILE *out);
	const struct mcb_opt *opts;
};

/* Setters.  Numbers: decimal (sizes: K/M/G suffix) in [min, max], stored
 * in the field's size; choices: min + the index in choices
 * (NULL-terminated). */
int mcb_opt_set_flag(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size);
int mcb_opt_set_str(const struct mcb_opt *o, const char *arg, void *cfg,
		    char *why, size_t why_size);
int mcb_opt_set_name(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size);
int mcb_opt_set_u64(const struct mcb_opt *o, const char *arg, void *cfg,
		    char *why, size_t why_size);
int mcb_opt_set_size(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size);
int mcb_opt_set_choice(const struct mcb_opt *o, const char *arg, void *cfg,
		       char *why, size_t why_size);
/* IPv4 address (struct in_addr); _mcast: a multicast one. */
int mcb_opt_set_ipv4(const struct mcb_opt *o, const char *arg, void *cfg,
		     char *why, size_t why_size);
int mcb_opt_set_mcast(const struct mcb_opt *o, const char *arg, void *cfg,
		      char *why, size_t why_size);
/* Rows that print --help or the version and end parsing. */
int mcb_opt_help(const struct mcb_opt *o, const char *arg, void *cfg,
		 char *why, size_t why_size);
int mcb_opt_version(const struct mcb_opt *o, const char *arg, void *cfg,
		    char *why, size_t why_size);

/* The index of s in choices (NULL-terminated), or -1. */
int mcb_opt_choice(const char *const *choices, const char *s);

/*
 * Every option in command-line order through its row's setter; arguments
 * that are not options are refused.  Help and version go to out, errors to
 * err: one line naming the option as written (also inside a cluster such
 * as "-vx"), then "Try 'PROG --help'.".  Resets getopt: may be called
 * again (tests).
 */
enum mcb_opt_result mcb_opt_parse(const struct mcb_opttab *t, int argc,
				  char **argv, void *cfg, FILE *out, FILE *err);

/* A usage error found after parsing: the same two lines. */
__attribute__((format(printf, 3, 4)))
enum mcb_opt_result mcb_opt_fail(const struct mcb_opttab *t, FILE *err,
				 const char *fmt, ...);

#endif /* MCB_LIB_OPTTAB_H */
