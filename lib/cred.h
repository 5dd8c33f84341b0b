/* SPDX-License-Identifier: MIT */
/* systemd credentials by name: "cred:NAME" is $CREDENTIALS_DIRECTORY/NAME
 * (LoadCredential= in a unit), for the files a service user could not
 * read otherwise. */
#ifndef MCB_LIB_CRED_H
#define MCB_LIB_CRED_H

#include <stdbool.h>
#include <stddef.h>

/* One file name: not empty, no '/', not "." or "..". */
bool mcb_cred_name_ok(const char *name);

/*
 * The path spec names: "cred:NAME" -> $CREDENTIALS_DIRECTORY/NAME, any
 * other spec as it is.  0, or -1 with the reason in why (a bad name, no
 * credential directory, too long).
 */
int mcb_cred_path(const char *spec, char *buf, size_t size, char *why,
		  size_t why_size);

#endif
