/*
 * migrate.h -- the versioned SQL migrations compiled into riskshare, and their runner.
 *
 * ledger/migrations/NNN_name.sql are embedded at build time by ledger/embed-sql.sh
 * (build/gen/migrations.c).  Each is applied once, in order, in one transaction
 * under an advisory lock, and recorded in the table `schema_version` with the
 * SHA-256 of its text, so a database migrated by a different build is noticed.
 */
#ifndef LED_MIGRATE_H
#define LED_MIGRATE_H

#include <stddef.h>

#include "error.h"

struct led_migration {
    int version;        /* 1, 2, 3, ... from the file name */
    const char *name;   /* the file name between NNN_ and .sql */
    const char *sql;    /* the file's text */
};

extern const struct led_migration led_migrations[];
extern const size_t led_n_migrations;

typedef struct led_db led_db;

/*
 * Brings the database of `db` up to the newest embedded migration.  When every
 * migration is already recorded it only reads `schema_version` (so read-only
 * roles and replicas can connect); otherwise it applies the pending ones in one
 * transaction under an advisory lock, so concurrent first connections are safe.
 * Returns ENG_EDB when a migration fails, when a recorded migration's text
 * differs from the embedded one, or when the database is newer than this build.
 * Allocates nothing that outlives the call.
 */
eng_status led_migrate(led_db *db, eng_error *err);

#endif
