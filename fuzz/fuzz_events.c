/*
 * fuzz_events.c -- libFuzzer target for the events CSV reader.
 *
 * Writes the input to an in-memory file (memfile.h) and reads it with
 * cli_events_read() (cli/events_csv.h) as UTF-8 and, when it has a non-ASCII
 * byte, as GBK too.  Every return must leave the file empty or freeable and
 * every error in the list; each kept row must keep the per-kind rules of the
 * header; both are freed after each read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "errlist.h"
#include "events_csv.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when `row` keeps what events_csv.h promises of a valid row. */
static int row_ok(const cli_event_row *row)
{
    if (row->event_id == NULL || row->kind >= CLI_EVENT_NKINDS || row->amount < 0 ||
        row->interest < 0 || row->cost < 0) {
        return 0;
    }
    if (row->kind == CLI_EVENT_FUNDING) {
        return row->party != NULL && row->loan_id == NULL && row->amount > 0;
    }
    if (row->loan_id == NULL || row->party != NULL) {
        return 0;
    }
    if (row->kind == CLI_EVENT_RECOVERY) {
        return row->amount > 0 && row->cost <= row->amount;
    }
    return row->kind == CLI_EVENT_DEFAULT ? row->amount == 0 : row->amount > 0;
}

/* Reads `path` as `encoding` and checks the result. */
static void read_once(const char *path, const char *encoding)
{
    cli_event_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;

    eng_status rc = cli_events_read(&f, path, encoding, &errs);
    if (rc == ENG_OK && errs.total != 0) {
        abort(); /* ENG_OK means the file has no error */
    }
    if (rc != ENG_OK && (f.rows != NULL || f.blocks != NULL || errs.total == 0)) {
        abort(); /* a failure leaves `f` empty and says why */
    }
    for (size_t i = 0; i < f.n_rows; i++) {
        if (!row_ok(&f.rows[i]) || !cli_event_same(&f.rows[i], &f.rows[i])) {
            abort();
        }
    }
    cli_events_free(&f);
    cli_errlist_free(&errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_memfile(data, size);

    read_once(path, NULL);
    if (fuzz_has_high_byte(data, size)) {
        read_once(path, "gbk");
    }
    return 0;
}
