/* SIGINT and SIGTERM on a benchmark's loop, turned into a flag: the waits
 * of lab.c and scale.c end at once, and the fake agent is stopped as usual
 * (its executors killed, its sandboxes removed). The handles are closed with
 * the loop's other handles, so the loop closes cleanly. */
#include "bench.h"

#include <signal.h>

static void on_signal(uv_signal_t *h, int signum)
{
	bool *flag = h->data;
	*flag = true;
}

void interrupt_start(struct interrupt *in, uv_loop_t *loop, bool *flag)
{
	int sigs[2] = {SIGINT, SIGTERM};
	for (int i = 0; i < 2; i++) {
		uv_signal_init(loop, &in->sig[i]);
		in->sig[i].data = flag;
		uv_signal_start(&in->sig[i], on_signal, sigs[i]);
		uv_unref((uv_handle_t *)&in->sig[i]);
	}
}

void interrupt_close(struct interrupt *in)
{
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&in->sig[i], NULL);
}
