/* SPDX-License-Identifier: MIT */
/*
 * Names of the mcbridge family's enums (include/uapi/linux/mcbridge.h), as
 * used in the JSON wire format and by the tools.  One table per enum, indexed
 * by its value; mcb_name() returns NULL for values without a name.
 */
#ifndef MCBRIDGE_NAMES_H
#define MCBRIDGE_NAMES_H

#include <stddef.h>
#include <string.h>
#include <linux/mcbridge.h>

static const char *const mcb_cmd_names[__MCBRIDGE_CMD_MAX] = {
	[MCBRIDGE_CMD_EVENT] = "event",
	[MCBRIDGE_CMD_EMIT] = "emit",
	[MCBRIDGE_CMD_GET_STATS] = "get-stats",
};

static const char *const mcb_event_type_names[__MCBRIDGE_EVENT_MAX] = {
	[MCBRIDGE_EVENT_NETDEV] = "netdev",
	[MCBRIDGE_EVENT_MODULE] = "module",
	[MCBRIDGE_EVENT_HEARTBEAT] = "heartbeat",
	[MCBRIDGE_EVENT_INJECTED] = "injected",
};

static const char *const mcb_netdev_event_names[__MCBRIDGE_NETDEV_MAX] = {
	[MCBRIDGE_NETDEV_REGISTER] = "register",
	[MCBRIDGE_NETDEV_UNREGISTER] = "unregister",
	[MCBRIDGE_NETDEV_UP] = "up",
	[MCBRIDGE_NETDEV_DOWN] = "down",
	[MCBRIDGE_NETDEV_CHANGE] = "change",
	[MCBRIDGE_NETDEV_RENAME] = "rename",
	[MCBRIDGE_NETDEV_CHANGEMTU] = "changemtu",
	[MCBRIDGE_NETDEV_CHANGEADDR] = "changeaddr",
};

static const char *const mcb_module_state_names[__MCBRIDGE_MODULE_MAX] = {
	[MCBRIDGE_MODULE_COMING] = "coming",
	[MCBRIDGE_MODULE_LIVE] = "live",
	[MCBRIDGE_MODULE_GOING] = "going",
};

static const char *const mcb_stats_names[__MCBRIDGE_STATS_MAX] = {
	[MCBRIDGE_STATS_NETDEV] = "netdev",
	[MCBRIDGE_STATS_MODULE] = "module",
	[MCBRIDGE_STATS_HEARTBEAT] = "heartbeat",
	[MCBRIDGE_STATS_INJECTED] = "injected",
	[MCBRIDGE_STATS_NO_LISTENER] = "no_listener",
	[MCBRIDGE_STATS_ALLOC_FAILED] = "alloc_failed",
	[MCBRIDGE_STATS_SIZE_FAILED] = "size_failed",
	[MCBRIDGE_STATS_UNDELIVERED] = "undelivered",
	[MCBRIDGE_STATS_LAST_SEQ] = "last_seq",
};

#define MCB_NAME(table, value) \
	mcb_name((table), sizeof(table) / sizeof((table)[0]), (value))

static inline const char *mcb_name(const char *const *table, size_t n,
				   unsigned long value)
{
	return value < n ? table[value] : NULL;
}

/* Reverse lookup; returns -1 when @name is not in @table. */
#define MCB_VALUE(table, name) \
	mcb_value((table), sizeof(table) / sizeof((table)[0]), (name))

static inline long mcb_value(const char *const *table, size_t n,
			     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (table[i] && strcmp(table[i], name) == 0)
			return (long)i;
	return -1;
}

#endif /* MCBRIDGE_NAMES_H */
