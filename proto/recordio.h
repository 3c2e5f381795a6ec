/* RecordIO framing of the Mesos event stream: "<decimal length>\n<payload>".
 *
 * The decoder is fed bytes in pieces of any size (a record may be split
 * anywhere, one piece may hold many records) and hands each complete record
 * to a callback. A record longer than the configured maximum is an error
 * before anything is allocated for it. The encoder writes one record. */
#ifndef PROTO_RECORDIO_H
#define PROTO_RECORDIO_H

#include <stddef.h>
#include <stdint.h>

#define RECORDIO_DEFAULT_MAX (16u * 1024 * 1024)

/* Called once per complete record. `rec` is valid only during the call.
 * Return 0 to go on, non-zero to stop decoding (feed returns that value). */
typedef int (*recordio_record_cb)(void *data, const uint8_t *rec, size_t len);

struct recordio_decoder {
	size_t max;   /* largest record accepted */
	size_t want;  /* payload length of the record being read */
	size_t have;  /* payload bytes buffered so far */
	uint8_t *buf; /* owned; payload of a record split across pieces */
	char hdr[24]; /* length digits read so far */
	size_t hdr_len;
	int in_payload; /* 0: reading the length line, 1: reading the payload */
	int failed;     /* sticky: once an error happened, feed keeps failing */
	char err[128];  /* what went wrong, for the caller's log */
};

void recordio_decoder_init(struct recordio_decoder *d, size_t max_record);
/* Returns 0 when every byte was consumed, -1 on malformed input (d->err says
 * why), or the callback's non-zero return value. */
int recordio_decoder_feed(struct recordio_decoder *d, const void *bytes, size_t n,
                          recordio_record_cb cb, void *data);
/* At end of stream: -1 when a record was cut short (d->err says where). */
int recordio_decoder_finish(struct recordio_decoder *d);
/* Forgets any partial record; the decoder can be fed a new stream. */
void recordio_decoder_reset(struct recordio_decoder *d);
void recordio_decoder_free(struct recordio_decoder *d);

/* Writes "<len>\n" into hdr (at least 24 bytes); returns its length. */
size_t recordio_header(char *hdr, size_t payload_len);
/* A malloc'd record (header + payload); *out_len gets its size. */
uint8_t *recordio_encode(const void *payload, size_t len, size_t *out_len);

#endif
