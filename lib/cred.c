// SPDX-License-Identifier: MIT
/* systemd credentials by name (cred.h). */
#include "cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mcb_cred_name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

int mcb_cred_path(const char *spec, char *buf, size_t size, char *why,
		  size_t why_size)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	int n;

	if (strncmp(spec, "cred:", 5)) {
		n = snprintf(buf, size, "%s", spec);
	} else if (!mcb_cred_name_ok(spec + 5)) {
		snprintf(why, why_size, "%s: not a credential name", spec);
		return -1;
	} else if (!dir || dir[0] != '/') {
		snprintf(why, why_size, "%s: no $CREDENTIALS_DIRECTORY "
			 "(LoadCredential= in the unit?)", spec);
		return -1;
	} else {
		n = snprintf(buf, size, "%s/%s", dir, spec + 5);
	}
	if (n < 0 || (size_t)n >= size) {
		snprintf(why, why_size, "%s: path too long", spec);
		return -1;
	}
	return 0;
}
