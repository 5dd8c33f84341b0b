// SPDX-License-Identifier: MIT
/* Lookups in the generated attribute and name tables (mcb_attr.h). */
#include <string.h>

#include "mcb_attr.h"

const char *mcb_name(const struct mcb_names *table, unsigned long long v)
{
	return mcb_names_get(table, v);
}

long mcb_value(const struct mcb_names *table, const char *s, size_t len)
{
	for (size_t i = 0; i < table->count; i++) {
		const char *name = table->names[i];

		if (name && strlen(name) == len && memcmp(name, s, len) == 0)
			return (long)i;
	}
	return -1;
}

const struct mcb_attr_desc *mcb_attr_by_json_key(const char *key)
{
	const struct mcb_attr_set *set = &mcb_mcbridge_attrs;

	for (unsigned i = 0; i <= set->max; i++)
		if (set->rows[i].in_event && !strcmp(set->rows[i].json_key, key))
			return &set->rows[i];
	return NULL;
}
