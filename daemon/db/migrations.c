#include <config.h>

#include "macro.h"
#include "migrations.h"

#include "schema-sql.h"

const struct migration *db_migrations_get(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(migrations);
	return migrations;
}
