/* Health-check targets for the benchmark (see targets.c). A target lives on
 * the caller's loop; target_stop closes it (the struct must outlive the
 * loop's next run, which finishes the close). */
#ifndef BENCH_TARGETS_H
#define BENCH_TARGETS_H

#include "fakekit/httpd.h"

#include <stdbool.h>
#include <uv.h>

enum target_kind { TARGET_HTTP, TARGET_TCP };

struct target {
	enum target_kind kind;
	int port;            /* on 127.0.0.1 */
	long count;          /* requests (HTTP) or connections (TCP) so far */
	struct httpd *httpd; /* TARGET_HTTP */
	uv_tcp_t tcp;        /* TARGET_TCP: the listener */
	bool tcp_open;
};

int target_start(struct target *t, enum target_kind kind, uv_loop_t *loop, char *err,
                 size_t errlen);
void target_stop(struct target *t);

#endif
