/* SPDX-License-Identifier: MIT */
/*
 * Names of the mcbridge uapi enums, shared by the encoder (bridge/) and the
 * decoder (client/) so that the JSON they exchange uses one spelling.
 * Tables are indexed by the enum value; mcb_name() returns NULL for values
 * without a name (UNSPEC, or newer than this header), which the encoder
 * then writes as a number.
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

#define MCB_NAMES_LEN(table) (sizeof(table) / sizeof((table)[0]))

/* Name of value v in table, or NULL. */
#define mcb_name(table, v) \
	mcb_name_in((table), MCB_NAMES_LEN(table), (v))

static inline const char *mcb_name_in(const char *const *table, size_t n,
				      unsigned long long v)
{
	return v < n ? table[v] : NULL;
}

/* Value whose name is the len bytes at s, or -1. */
#define mcb_value(table, s, len) \
	mcb_value_in((table), MCB_NAMES_LEN(table), (s), (len))

static inline long mcb_value_in(const char *const *table, size_t n,
				const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (table[i] && strlen(table[i]) == len &&
		    memcmp(table[i], s, len) == 0)
			return (long)i;
	return -1;
}

#endif /* MCBRIDGE_NAMES_H */
