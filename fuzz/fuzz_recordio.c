/* Fuzzes the RecordIO decoder (proto/recordio.h). The first input byte picks
 * a maximum record size and how the rest is cut into pieces; the rest is the
 * stream. Property: decoding it in one piece and in those pieces yields the
 * same records and the same error, and an encoded record decodes to itself. */
#include "fuzz.h"

#include "proto/recordio.h"

#include <string.h>

struct outcome {
	int feed_rc, finish_rc;
	size_t records, bytes;
	uint64_t hash; /* FNV-1a over every record's length and bytes */
	char err[sizeof(((struct recordio_decoder *)0)->err)];
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 1099511628211ULL;
}

static int on_record(void *data, const uint8_t *rec, size_t len)
{
	struct outcome *o = data;
	o->records++;
	o->bytes += len;
	hash_bytes(&o->hash, &len, sizeof(len));
	hash_bytes(&o->hash, rec, len);
	return 0;
}

/* Feeds data in pieces whose sizes come from `seed` (0: one piece). */
static void decode(const uint8_t *data, size_t size, size_t max, unsigned seed, struct outcome *o)
{
	struct recordio_decoder d;
	size_t at = 0;

	memset(o, 0, sizeof(*o));
	o->hash = 14695981039346656037ULL;
	recordio_decoder_init(&d, max);
	while (at < size && o->feed_rc == 0) {
		size_t piece = size - at;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			piece = 1 + (seed >> 16) % (seed & 1 ? 3 : 64);
			if (piece > size - at)
				piece = size - at;
		}
		o->feed_rc = recordio_decoder_feed(&d, data + at, piece, on_record, o);
		at += piece;
	}
	o->finish_rc = o->feed_rc ? 0 : recordio_decoder_finish(&d);
	memcpy(o->err, d.err, sizeof(o->err));
	if (o->feed_rc || o->finish_rc)
		CHECK(d.err[0] != '\0'); /* every error says what it was */
	recordio_decoder_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned seed = data[0] | 1u;
	size_t max = data[0] & 0x80 ? 0 : 1 + (data[0] & 0x7f); /* 0: the 16 MiB default */
	struct outcome whole, pieces;

	decode(data + 1, size - 1, max, 0, &whole);
	decode(data + 1, size - 1, max, seed, &pieces);
	CHECK(whole.feed_rc == pieces.feed_rc);
	CHECK(whole.finish_rc == pieces.finish_rc);
	CHECK(whole.records == pieces.records);
	CHECK(whole.bytes == pieces.bytes);
	CHECK(whole.hash == pieces.hash);
	CHECK(strcmp(whole.err, pieces.err) == 0);

	/* The encoder's output is one record holding exactly the payload. */
	size_t n;
	uint8_t *rec = recordio_encode(data, size, &n);
	CHECK(rec != NULL);
	struct outcome one;
	decode(rec, n, 0, seed, &one);
	CHECK(one.feed_rc == 0 && one.finish_rc == 0 && one.records == 1 && one.bytes == size);
	free(rec);
	return 0;
}
