/* Reading a file whole (see file.h). */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills err with "path: reason" and returns NULL, errno kept for the caller. */
static char *fail(const char *path, int e, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	errno = e;
	return NULL;
}

char *file_read_max(const char *path, size_t max, size_t *len_out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(path, errno, err, errlen);
	char *buf = NULL, chunk[8192];
	size_t len = 0, cap = 0;
	while (len < max) {
		size_t n =
		    fread(chunk, 1, max - len < sizeof(chunk) ? max - len : sizeof(chunk), f);
		if (n == 0)
			break;
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return fail(path, ENOMEM, err, errlen);
			}
			buf = nb;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (ferror(f)) { /* a directory, an I/O error: not an empty file */
		int e = errno ? errno : EIO;
		free(buf);
		fclose(f);
		return fail(path, e, err, errlen);
	}
	fclose(f);
	if (!buf && !(buf = malloc(1)))
		return fail(path, ENOMEM, err, errlen);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

char *file_read(const char *path, size_t *len, char *err, size_t errlen)
{
	return file_read_max(path, (size_t)-1, len, err, errlen);
}
