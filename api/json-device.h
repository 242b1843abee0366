/*
 * json-device.h - devices and groups as the contract's JSON objects.
 */
#pragma once

#include <jansson.h>

#include "core/inventory.h"

/* The device object (CONTRACT.md "Device object"). Returns a new reference or NULL. */
json_t *api_device_to_json(const struct inv *inv, const struct pd_device *d);
/* The group object (CONTRACT.md "Group object"). Returns a new reference or NULL. */
json_t *api_group_to_json(const struct inv *inv, const struct grp_group *g);
