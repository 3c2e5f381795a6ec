/* Files read whole into memory: a TLS key, a task or scenario file, a seed,
 * a log to look through. One reader for every module that reads a file at
 * once, so each gets the same errors: the file named, errno's reason. */
#ifndef COMMON_FILE_H
#define COMMON_FILE_H

#include <stddef.h>

/* Reads the file at `path` whole (a pipe or a /proc file too): malloc'd and
 * NUL-terminated (NULs inside are kept; the length is in *len when len is
 * not NULL). NULL on failure, with errno set and err naming the file and the
 * reason ("task.json: No such file or directory"). The caller frees. */
char *file_read(const char *path, size_t *len, char *err, size_t errlen);
/* The same, but only the first `max` bytes of a longer file. */
char *file_read_max(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif
