/*
 * sim-fault.h - failure injection rules of passd-sim (grammar in tests/sim/README.md).
 *
 * A rule says which writes it catches (an operation, optionally a device address and a driver)
 * and what happens to them: a delay, then an error, a write that "succeeds" without effect, or
 * the normal behaviour; "vanish" rules make a device disappear after N more writes touching it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum sim_op {
	SIM_OP_BIND,
	SIM_OP_UNBIND,
	SIM_OP_PROBE,
	SIM_OP_OVERRIDE,
	SIM_OP_SRIOV,
	SIM_OP_REMOVE,
	SIM_OP_RESCAN,
	SIM_OP_RESET,
	SIM_OP_NEW_ID,
	SIM_OP_REMOVE_ID,
	SIM_OP_OTHER, /* any other write to a writable attribute */
	SIM_OP_ANY,   /* rules only: every kind above */
	SIM_OP_VANISH, /* rules only */
	SIM_OP_MAX,
};

struct sim_fault {
	enum sim_op op;
	char addr[16];	 /* "" matches any device */
	char driver[64]; /* "" matches any driver */
	int err;	 /* positive errno to fail with, 0 for none */
	unsigned hang_ms;
	bool ignore; /* succeed without doing anything */
	unsigned after; /* vanish: writes still allowed */
	unsigned count; /* times left to fire, 0 = unlimited */
};

struct sim_faults {
	struct sim_fault *v;
	size_t n, alloc;
};

/* "bind", "unbind"... */
const char *simfault_op_name(enum sim_op op);

/*
 * Add the rules of @spec (rules separated by blanks, ';' or newlines; "clear" drops every rule
 * so far). On a syntax error nothing is added, @err says why and -EINVAL is returned.
 */
int simfault_parse(struct sim_faults *f, const char *spec, char *err, size_t errsize);

/*
 * The first rule catching a write of @op on @addr (may be NULL) through @driver (may be NULL):
 * copied to *ret, its count used up (an exhausted rule is dropped). Returns false for none.
 */
bool simfault_match(struct sim_faults *f, enum sim_op op, const char *addr, const char *driver,
		    struct sim_fault *ret);

/* A write touches @addr: true when a vanish rule says the device is gone now. */
bool simfault_vanish(struct sim_faults *f, const char *addr);

/* Print the rules left, one a line, in the grammar they were given in. */
void simfault_print(const struct sim_faults *f, FILE *out);

void simfault_clear(struct sim_faults *f);
