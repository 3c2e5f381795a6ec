/* Chaos: tasks that write gigabytes. The executor must never hold them in
 * memory: a plain task's stdout is the sandbox file itself (the executor
 * never sees a byte), and with log shipping (label log-scraping=logstash)
 * the executor reads the task's pipe, copies every byte to the sandbox and
 * drops what a stalled Logstash cannot take. In both cases the task
 * finishes, every byte reaches the sandbox file, and the executor's peak
 * resident memory (VmHWM, sampled until it exits) stays small. Prints a
 * "chaos:" line per case for docs/reliability.md. */
#include "chaos.h"

#include "sinks.h"

#include <sys/stat.h>

#define GiB (1024LL * 1024 * 1024)
/* Far below the bytes written: the executor does not buffer them. */
#define HWM_LIMIT_KB (96 * 1024)
/* ASan keeps up to 256 MB of freed memory in quarantine; in the sanitizer
 * build the executor (which gets no environment but the task's and the
 * agent's) is told to keep less, so its peak still says what it holds.
 * Plain builds ignore it. */
#define ASAN_SMALL_QUARANTINE "quarantine_size_mb=8:detect_leaks=1:abort_on_error=1"

static char *tmp;

static int setup(void **state)
{
	tmp = ts_mkdtemp("chaos-flood");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Waits for the executor to exit, sampling its peak RSS; returns it in kB. */
static long watch_executor(struct agent *a, const struct chaos_task *t, int *exit_code)
{
	long hwm = -1;
	int64_t end = ts_now_ms() + 240000;
	while (ts_now_ms() < end) {
		long v = chaos_proc_kb(t->pid, "VmHWM");
		if (v < 0)
			break; /* gone */
		hwm = v > hwm ? v : hwm;
		ts_sleep_ms(20);
	}
	*exit_code = chaos_wait_executor_exit(a, t, 60000);
	return hwm;
}

static long long stdout_size(const struct chaos_task *t)
{
	char path[1200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/stdout", t->sandbox);
	assert_int_equal(stat(path, &st), 0);
	long long size = (long long)st.st_size;
	unlink(path); /* gigabytes: give the disk back now */
	return size;
}

static void test_two_gib_on_stdout_go_to_the_sandbox_file_not_through_the_executor(void **state)
{
	struct agent a;
	struct chaos_task t;
	chaos_start_agent(&a, NULL);
	int64_t start = ts_now_ms();
	chaos_launch(&a,
	             "{\"task\":{\"name\":\"flood\",\"task_id\":{\"value\":\"flood\"},"
	             "\"command\":{\"shell\":true,\"value\":\"head -c 2147483648 /dev/zero\"}}}",
	             &t);
	int code;
	long hwm = watch_executor(&a, &t, &code);
	int64_t took = ts_now_ms() - start;
	assert_int_equal(code, 0);
	cJSON *st = get_json(&a, "/state");
	assert_string_equal(chaos_str(chaos_task_of(st, t.executor_id, t.task_id), "state"),
	                    "TASK_FINISHED");
	cJSON_Delete(st);
	long long size = stdout_size(&t);
	assert_int_equal(size, 2 * GiB);
	assert_true(hwm > 0);
	if (hwm > HWM_LIMIT_KB)
		fail_msg("the executor's peak RSS was %ld kB while the task wrote 2 GiB", hwm);
	struct chaos_counts c;
	chaos_count_updates(&a, &t, &c);
	assert_int_equal(c.lost, 0);
	printf("chaos: output-flood bytes=%lld executor_vmhwm_kb=%ld seconds=%.1f\n", size, hwm,
	       (double)took / 1000);
	stop_agent(&a);
}

static void test_a_gib_of_log_lines_for_a_stalled_logstash_is_dropped_not_buffered(void **state)
{
	struct sink *logstash = sink_start(SINK_TCP, 0, SINK_COUNT_ONLY);
	assert_non_null(logstash);
	sink_set_reading(logstash, false); /* accepts, never reads: a stalled Logstash */
	struct agent a;
	struct chaos_task t;
	char body[2048];
	chaos_start_agent(&a, NULL);
	/* 16500 JSON lines of 65 kB each, 1 GiB in all. */
	char script[1024];
	snprintf(script, sizeof(script), "%s/flood.sh", tmp);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs("line=$(printf '{\"message\":\"%065000d\"}' 0)\n"
	      "yes \"$line\" | head -c 1073741824\n",
	      f);
	fclose(f);
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"flood\",\"task_id\":{\"value\":\"shipped\"},"
	         "\"labels\":{\"labels\":[{\"key\":\"log-scraping\",\"value\":\"logstash\"},"
	         "{\"key\":\"scId\",\"value\":\"1\"}]},"
	         "\"command\":{\"shell\":true,\"value\":\"sh %s\","
	         "\"environment\":{\"variables\":[{\"name\":"
	         "\"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_ADDRESS\",\"value\":\"%s\"},"
	         "{\"name\":\"ASAN_OPTIONS\",\"value\":\"%s\"}]}}}}",
	         script, sink_addr(logstash), ASAN_SMALL_QUARANTINE);
	int64_t start = ts_now_ms();
	chaos_launch(&a, body, &t);
	int code;
	long hwm = watch_executor(&a, &t, &code);
	int64_t took = ts_now_ms() - start;
	assert_int_equal(code, 0);
	cJSON *st = get_json(&a, "/state");
	assert_string_equal(chaos_str(chaos_task_of(st, t.executor_id, t.task_id), "state"),
	                    "TASK_FINISHED");
	cJSON_Delete(st);
	assert_true(chaos_file_has(&t, "stderr", "log shipping: the task's JSON lines go to"));
	long long size = stdout_size(&t);
	assert_int_equal(size, GiB); /* every byte copied to the sandbox */
	if (hwm > HWM_LIMIT_KB)
		fail_msg("the executor's peak RSS was %ld kB while the task logged 1 GiB", hwm);
	/* The executor's last metrics line says what became of the lines. */
	char *log = chaos_sandbox_file(&t, "stderr");
	char lines[32] = "?", dropped[32] = "?";
	const char *m = strstr(log, " logship.lines=");
	if (m)
		sscanf(m, " logship.lines=%31[0-9]", lines);
	m = strstr(log, " logship.dropped.buffer=");
	if (m)
		sscanf(m, " logship.dropped.buffer=%31[0-9]", dropped);
	free(log);
	printf("chaos: log-flood bytes=%lld stalled_logstash=yes lines=%s dropped_buffer_full=%s "
	       "executor_vmhwm_kb=%ld seconds=%.1f\n",
	       size, lines, dropped, hwm, (double)took / 1000);
	stop_agent(&a);
	sink_stop(logstash);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_two_gib_on_stdout_go_to_the_sandbox_file_not_through_the_executor,
	        chaos_teardown),
	    cmocka_unit_test_teardown(
	        test_a_gib_of_log_lines_for_a_stalled_logstash_is_dropped_not_buffered,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
