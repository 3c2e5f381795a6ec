/* The hook manager (hooks/manager.h) on a real loop and thread pool, with
 * hooks that sleep: ALLEGRO_EXECUTOR_HOOK_TIMEOUT caps the whole chain of one
 * event (each hook within its own limit or not), the chain's deadline reaches
 * the hooks, and a chain asked for while an abandoned one still runs waits
 * for it, so two chains never run at once. */
#include "testsupport.h"

#include "hooks/manager.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int inside, most_inside;
static char trace[32][48];
static int ntrace;
static int64_t seen_deadline, seen_at;

static void note(const char *what, enum hook_event ev)
{
	pthread_mutex_lock(&mu);
	if (ntrace < 32)
		snprintf(trace[ntrace++], sizeof(trace[0]), "%s:%s", what, hook_event_name(ev));
	pthread_mutex_unlock(&mu);
}

/* Sleeps 300 ms, whatever the deadline; counts how many run at once. */
static int slow_handle(struct hook *h, const struct hook_call *call, struct hook_result *res)
{
	pthread_mutex_lock(&mu);
	if (++inside > most_inside)
		most_inside = inside;
	seen_deadline = call->deadline_ms;
	seen_at = ts_now_ms();
	pthread_mutex_unlock(&mu);
	note("start", call->event);
	ts_sleep_ms(300);
	note("end", call->event);
	pthread_mutex_lock(&mu);
	inside--;
	pthread_mutex_unlock(&mu);
	return 0;
}

/* Two hooks, each well within a limit of its own (10 s). */
static struct hook one = {.name = "one", .handle = slow_handle, .timeout_ms = 10000};
static struct hook two = {.name = "two", .handle = slow_handle, .timeout_ms = 10000};
static struct hook *const both[] = {&one, &two, NULL};

struct done {
	int n;
	enum hook_event ev[4];
	char error[4][256];
};

static void on_done(void *data, enum hook_event ev, const char *error, char **env, size_t nenv)
{
	struct done *d = data;
	if (d->n < 4) {
		d->ev[d->n] = ev;
		snprintf(d->error[d->n], sizeof(d->error[0]), "%s", error ? error : "");
		d->n++;
	}
	for (size_t i = 0; i < nenv; i++)
		free(env[i]);
	free(env);
	note("done", ev);
}

static const struct hook_env env = {.executor_id = "e", .sandbox = "/tmp"};

static void run_until(uv_loop_t *loop, const struct done *d, int n)
{
	int64_t end = ts_now_ms() + 20000;
	while (d->n < n && ts_now_ms() < end)
		uv_run(loop, UV_RUN_ONCE);
	assert_int_equal(d->n, n);
}

static int trace_at(const char *what)
{
	for (int i = 0; i < ntrace; i++)
		if (strcmp(trace[i], what) == 0)
			return i;
	return -1;
}

static void test_hook_timeout_caps_the_whole_chain_and_the_next_waits_for_it(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct hook_manager *m = hooks_new(&loop, &env, 400); /* the chain: 400 ms */
	struct envcfg cfg = {0};
	hooks_load(m, both, &cfg);
	struct done d = {0};

	int64_t asked = ts_now_ms();
	hooks_run(m, HOOK_AFTER_TASK_HEALTHY, NULL, NULL, on_done, &d);
	run_until(&loop, &d, 1);
	/* 2 x 300 ms is within each hook's own limit, not within the chain's. */
	assert_int_equal(d.ev[0], HOOK_AFTER_TASK_HEALTHY);
	assert_string_equal(d.error[0], "hooks did not finish AfterTaskHealthy within 400ms "
	                                "(ALLEGRO_EXECUTOR_HOOK_TIMEOUT)");
	assert_true(seen_deadline >= asked + 400 && seen_deadline <= seen_at + 400);

	/* Asked for at once, BeforeTerminate runs only once the abandoned chain
	 * is over (its time counting from when it was asked), then is reported. */
	hooks_run(m, HOOK_BEFORE_TERMINATE, NULL, NULL, on_done, &d);
	run_until(&loop, &d, 2);
	assert_int_equal(d.ev[1], HOOK_BEFORE_TERMINATE);
	assert_int_equal(most_inside, 1);
	int abandoned_end = -1;
	for (int i = 0; i < ntrace; i++)
		if (strcmp(trace[i], "end:AfterTaskHealthy") == 0)
			abandoned_end = i;
	assert_true(abandoned_end >= 0);
	assert_true(trace_at("start:BeforeTerminate") > abandoned_end);

	hooks_close(m);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_chain_within_its_time_succeeds_with_the_deadline_given(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct hook_manager *m = hooks_new(&loop, &env, 60000);
	struct envcfg cfg = {0};
	hooks_load(m, both, &cfg);
	struct done d = {0};
	int64_t asked = ts_now_ms();
	hooks_run(m, HOOK_AFTER_TASK_START, NULL, NULL, on_done, &d);
	run_until(&loop, &d, 1);
	assert_string_equal(d.error[0], "");
	/* The hooks' own limits add up to less than the cap: that is the time. */
	assert_true(seen_deadline >= asked + 20000 && seen_deadline <= seen_at + 20000);
	hooks_close(m);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hook_timeout_caps_the_whole_chain_and_the_next_waits_for_it),
	    cmocka_unit_test(test_chain_within_its_time_succeeds_with_the_deadline_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
