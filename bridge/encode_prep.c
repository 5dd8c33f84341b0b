// SPDX-License-Identifier: MIT
/* A mapping's names in their wire forms, once: see event.h. */
#include "event.h"

#include <string.h>

#include <linux/mcbridge.h>

void mcb_enc_prepare(struct mcb_enc_prep *p, const char *family,
		     const char *group, uint32_t run)
{
	memset(p, 0, sizeof(*p));
	/* strncpy: NUL-padded fixed fields, as the format says. */
	strncpy(p->family, family, sizeof(p->family) - 1);
	strncpy(p->group, group, sizeof(p->group) - 1);
	p->run = run;
	p->is_mcbridge = strcmp(p->family, MCBRIDGE_GENL_NAME) == 0;
	p->cmd = MCBRIDGE_CMD_EVENT;
	mcb_encode_json_prepare(p);
	p->ready = true;
}
