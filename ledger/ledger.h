/*
 * ledger.h -- the ledger adapter in one include: the connection (pg.h), the local
 * cluster (local.h), stored policies (policy_store.h), SHA-256 (sha256.h), bulk
 * COPY (copy.h) and the journal of entries, postings and claims (journal.h).
 */
#ifndef LED_LEDGER_H
#define LED_LEDGER_H

#include "copy.h"
#include "journal.h"
#include "local.h"
#include "pg.h"
#include "policy_store.h"
#include "sha256.h"

#endif
