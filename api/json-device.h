/*
 * json-device.h - devices and groups as the contract's JSON objects, written with json-writer.
 *
 * One serializer for each object, used by every route that shows it, so the list, the single
 * device and a group's members can never disagree.
 */
#pragma once

#include "core/inventory.h"
#include "json-writer.h"

/* The device object (CONTRACT.md "Device object") as the value of @key (NULL in arrays). */
void api_device_write(struct jw *w, const char *key, const struct inv *inv,
		      const struct pd_device *d);
/* The group object (CONTRACT.md "Group object"); with @members, the devices in full too. */
void api_group_write(struct jw *w, const char *key, const struct inv *inv,
		     const struct grp_group *g, bool members);
