/*
 * fuzz_loans.c -- libFuzzer target for the loans CSV reader.
 *
 * Writes the input to an in-memory file (memfile.h) and reads it with
 * cli_loans_read() (cli/loans_csv.h) as UTF-8 and, when it has a non-ASCII
 * byte, as GBK too.  Every return must leave the file empty or freeable and
 * every error in the list; both are freed after each read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "errlist.h"
#include "loans_csv.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads `path` as `encoding` and checks what the header promises of the result. */
static void read_once(const char *path, const char *encoding)
{
    cli_loan_file f;
    cli_errlist errs = CLI_ERRLIST_INIT;

    eng_status rc = cli_loans_read(&f, path, encoding, &errs);
    if (rc == ENG_OK && errs.total != 0) {
        abort(); /* ENG_OK means the file has no error */
    }
    if (rc != ENG_OK && (f.rows != NULL || f.blocks != NULL || errs.total == 0)) {
        abort(); /* a failure leaves `f` empty and says why */
    }
    for (size_t i = 0; i < f.n_rows; i++) {
        const cli_loan_row *row = &f.rows[i];
        if (row->principal <= 0 || row->revenue < 0 || row->term_months < 1 ||
            row->term_months > 360 || row->loan_id == NULL || row->bank == NULL) {
            abort();
        }
    }
    cli_loans_free(&f);
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
