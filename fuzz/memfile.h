/*
 * memfile.h -- a fuzz input as a path, for the CSV readers (cli/csv_core.h
 * reads only a path, in chunks).
 *
 * One anonymous in-memory file (memfd_create) is made per process and
 * rewritten for each input; readers open it as /proc/self/fd/N, which stats
 * as a regular file of the input's size, as a real file would.  Nothing
 * touches the disk and nothing is left behind.  memfd_create needs
 * _GNU_SOURCE, which run.sh defines for the fuzz targets.
 */
#ifndef FUZZ_MEMFILE_H
#define FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns the path of a file holding data[0..size); aborts when that cannot be done. */
static const char *fuzz_memfile(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];

    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) {
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) {
            abort();
        }
        done += (size_t)n;
    }
    return path;
}

/* 1 when some byte is not ASCII: only then can the GBK path differ from UTF-8. */
static int fuzz_has_high_byte(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (data[i] >= 0x80) {
            return 1;
        }
    }
    return 0;
}

#endif
