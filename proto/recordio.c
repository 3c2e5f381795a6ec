/* RecordIO decoder and encoder (see recordio.h). Records that arrive whole
 * inside one piece are handed to the callback in place, without a copy; only
 * a record split across pieces is buffered, and only up to `max` bytes. */
#include "recordio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void recordio_decoder_init(struct recordio_decoder *d, size_t max_record)
{
	memset(d, 0, sizeof(*d));
	d->max = max_record ? max_record : RECORDIO_DEFAULT_MAX;
}

void recordio_decoder_reset(struct recordio_decoder *d)
{
	size_t max = d->max;
	free(d->buf);
	recordio_decoder_init(d, max);
}

void recordio_decoder_free(struct recordio_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
}

static int fail(struct recordio_decoder *d, const char *fmt, unsigned long long v)
{
	snprintf(d->err, sizeof(d->err), fmt, v);
	d->failed = 1;
	return -1;
}

/* Parses the digits in d->hdr; sets d->want or fails. */
static int header_done(struct recordio_decoder *d)
{
	unsigned long long n = 0;

	if (d->hdr_len == 0)
		return fail(d, "empty record length%.0llu", 0);
	for (size_t i = 0; i < d->hdr_len; i++) {
		unsigned digit = (unsigned)(d->hdr[i] - '0');
		if (n > (~0ull - digit) / 10)
			return fail(d, "record length overflows%.0llu", 0);
		n = n * 10 + digit;
	}
	if (n > d->max)
		return fail(d, "record of %llu bytes exceeds the maximum", n);
	d->want = (size_t)n;
	d->have = 0;
	d->in_payload = 1;
	d->hdr_len = 0;
	return 0;
}

int recordio_decoder_feed(struct recordio_decoder *d, const void *bytes, size_t n,
                          recordio_record_cb cb, void *data)
{
	const uint8_t *p = bytes, *end = p + n;

	if (d->failed)
		return -1;
	while (p < end) {
		if (!d->in_payload) {
			uint8_t c = *p++;
			if (c == '\n') {
				if (header_done(d) < 0)
					return -1;
			} else if (c < '0' || c > '9') {
				return fail(d, "invalid byte 0x%02llx in record length", c);
			} else if (d->hdr_len >= 20) {
				return fail(d, "record length has more than %llu digits", 20);
			} else {
				d->hdr[d->hdr_len++] = (char)c;
			}
			if (!d->in_payload || d->want > 0)
				continue;
			/* A zero-length record is complete at once. */
		}
		size_t need = d->want - d->have, avail = (size_t)(end - p);
		int rc;
		if (d->have == 0 && avail >= need) {
			rc = cb(data, p, d->want); /* whole record in this piece: no copy */
			p += need;
		} else {
			if (!d->buf) {
				d->buf = malloc(d->want ? d->want : 1);
				if (!d->buf)
					return fail(d, "out of memory for a %llu-byte record",
					            d->want);
			}
			size_t take = avail < need ? avail : need;
			memcpy(d->buf + d->have, p, take);
			d->have += take;
			p += take;
			if (d->have < d->want)
				return 0;
			rc = cb(data, d->buf, d->want);
			free(d->buf);
			d->buf = NULL;
		}
		d->in_payload = 0;
		d->want = d->have = 0;
		if (rc)
			return rc;
	}
	return 0;
}

int recordio_decoder_finish(struct recordio_decoder *d)
{
	if (d->failed)
		return -1;
	if (d->in_payload)
		return fail(d, "stream ended inside a record (%llu bytes missing)",
		            (unsigned long long)(d->want - d->have));
	if (d->hdr_len)
		return fail(d, "stream ended inside a record length%.0llu", 0);
	return 0;
}

size_t recordio_header(char *hdr, size_t payload_len)
{
	return (size_t)snprintf(hdr, 24, "%zu\n", payload_len);
}

uint8_t *recordio_encode(const void *payload, size_t len, size_t *out_len)
{
	char hdr[24];
	size_t h = recordio_header(hdr, len);
	uint8_t *out = malloc(h + len);

	if (!out)
		return NULL;
	memcpy(out, hdr, h);
	if (len)
		memcpy(out + h, payload, len);
	*out_len = h + len;
	return out;
}
