/* File paths from task definitions stay inside the sandbox. fakeagent's
 * fetch (CommandInfo.URI output_file, or the URI's file name) refuses a
 * destination that is absolute or climbs out with "..": the launch fails
 * naming the field and nothing is written outside. The custom-executor
 * placement ("chmod ug+rx '<x>' && exec '<x>' ...") never copies the
 * executor binary outside either. The executor takes no path from a task:
 * the task runs in the sandbox the agent gave (MESOS_SANDBOX of the
 * executor), even when its own environment claims another. */
#include "chaos.h"

static char *tmp;

static int setup(void **state)
{
	tmp = ts_mkdtemp("security-paths");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* POSTs a launch, returns the status and (malloc'd) body. */
static int launch_status(struct agent *a, const char *body, char **out)
{
	struct fw_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	assert_int_equal(fw_call(a->proc.addr, "POST", "/_fake/launch", h, body, strlen(body), &r),
	                 0);
	*out = r.body;
	return r.status;
}

static void test_a_fetch_destination_outside_the_sandbox_fails_the_launch(void **state)
{
	char source[1024], body[4096], climbed[1024], absolute[1024];
	snprintf(source, sizeof(source), "%s/source.txt", tmp);
	FILE *f = fopen(source, "w");
	assert_non_null(f);
	fputs("fetched\n", f);
	fclose(f);
	snprintf(climbed, sizeof(climbed), "%s/climbed", tmp);
	snprintf(absolute, sizeof(absolute), "%s/absolute", tmp);
	struct agent a;
	chaos_start_agent(&a, NULL);

	const char *bad[] = {"../../../../../../../../../../../../%s/climbed", "%s/absolute",
	                     "sub/../../../../../../../../../../../../../../%s/climbed"};
	for (size_t i = 0; i < 3; i++) {
		char dest[1200], *reply;
		snprintf(dest, sizeof(dest), bad[i], tmp);
		snprintf(body, sizeof(body),
		         "{\"task\":{\"name\":\"f\",\"task_id\":{\"value\":\"fetch-%zu\"},"
		         "\"command\":{\"value\":\"true\",\"uris\":[{\"value\":\"%s\","
		         "\"output_file\":\"%s\"}]}}}",
		         i, source, dest);
		int status = launch_status(&a, body, &reply);
		if (status != 400 || !strstr(reply, "command.uris[0].output_file"))
			fail_msg("output_file %s: %d %s", dest, status, reply);
		free(reply);
	}
	assert_false(exists(climbed));
	assert_false(exists(absolute));

	/* A plain name inside the sandbox is fetched as usual. */
	struct chaos_task t;
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"f\",\"task_id\":{\"value\":\"fetch-ok\"},"
	         "\"command\":{\"value\":\"sleep 100\",\"uris\":[{\"value\":\"file://%s\","
	         "\"output_file\":\"./in/../fetched.txt\"}]}}}",
	         source);
	char *reply;
	/* "in/.." would stay inside, but any ".." part is refused. */
	assert_int_equal(launch_status(&a, body, &reply), 400);
	free(reply);
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"f\",\"task_id\":{\"value\":\"fetch-ok2\"},"
	         "\"command\":{\"value\":\"sleep 100\",\"uris\":[{\"value\":\"file://%s\","
	         "\"output_file\":\"fetched.txt\"}]}}}",
	         source);
	chaos_launch(&a, body, &t);
	assert_true(chaos_file_has(&t, "fetched.txt", "fetched"));
	stop_agent(&a);
}

static void test_the_executor_placement_never_leaves_the_sandbox(void **state)
{
	char body[4096], outside[1024];
	snprintf(outside, sizeof(outside), "%s/placed-executor", tmp);
	struct agent a;
	chaos_start_agent(&a, NULL);
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"p\",\"task_id\":{\"value\":\"place\"},"
	         "\"executor\":{\"executor_id\":{\"value\":\"place\"},\"command\":{\"value\":"
	         "\"chmod ug+rx '../../../../../../../../../../../..%s' && exec "
	         "'../../../../../../../../../../../..%s' sleep 1\"}}},\"executor\":\"/bin/true\"}",
	         outside, outside);
	char *reply;
	int status = launch_status(&a, body, &reply);
	free(reply);
	(void)status; /* launched or refused, nothing may land outside */
	ts_sleep_ms(500);
	assert_false(exists(outside));
	stop_agent(&a);
}

static void test_the_task_runs_in_the_agent_sandbox_whatever_its_environment_says(void **state)
{
	char body[4096];
	struct agent a;
	struct chaos_task t;
	chaos_start_agent(&a, NULL);
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"cwd\",\"task_id\":{\"value\":\"cwd\"},"
	         "\"command\":{\"shell\":true,\"value\":\"pwd > pwd.txt\","
	         "\"environment\":{\"variables\":[{\"name\":\"MESOS_SANDBOX\",\"value\":\"%s\"},"
	         "{\"name\":\"MESOS_DIRECTORY\",\"value\":\"%s\"}]}}}}",
	         tmp, tmp);
	chaos_launch(&a, body, &t);
	chaos_wait_update(&a, &t, "TASK_FINISHED", 30000);
	char elsewhere[1100];
	snprintf(elsewhere, sizeof(elsewhere), "%s/pwd.txt", tmp);
	if (exists(elsewhere))
		fail_msg("the task ran in %s, the directory its own TaskInfo environment named "
		         "(MESOS_SANDBOX), not in its sandbox %s",
		         tmp, t.sandbox);
	char *pwd = chaos_sandbox_file(&t, "pwd.txt");
	char want[1100];
	snprintf(want, sizeof(want), "%s\n", t.sandbox);
	assert_string_equal(pwd, want);
	free(pwd);
	stop_agent(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_a_fetch_destination_outside_the_sandbox_fails_the_launch,
	                              chaos_teardown),
	    cmocka_unit_test_teardown(test_the_executor_placement_never_leaves_the_sandbox,
	                              chaos_teardown),
	    cmocka_unit_test_teardown(
	        test_the_task_runs_in_the_agent_sandbox_whatever_its_environment_says,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
