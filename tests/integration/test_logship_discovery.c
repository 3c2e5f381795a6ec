/* Log shipping to the Logstash instances a Consul agent reports (an HTTP
 * sink answering /v1/health/service/<name> as Consul does), and over UDP:
 * only passing instances get lines, lines are spread round-robin, the list
 * is refreshed (a new list moves the lines, an empty or failed answer keeps
 * the old one), the token goes in X-Consul-Token (and CONSUL_HTTP_AUTH in
 * Authorization), and UDP sends one datagram per entry. */
#include "logship_fixture.h"

struct fx {
	uv_loop_t loop;
	struct sink *a, *b, *udp;
	struct http_sink *consul;
	char consul_url[64];
	int devnull;
	Mesos__V1__TaskInfo *task;
	struct logship *ls;
	int out_fd, err_fd;
};

static struct fx F;

#define LABELS                                                                                     \
	"{\"key\":\"log-scraping\",\"value\":\"logstash\"},{\"key\":\"scId\",\"value\":\"9\"}"
#define HEALTH "/v1/health/service/logstash"

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	uv_loop_init(&F.loop);
	F.a = sink_start(SINK_TCP, 0, 0);
	F.b = sink_start(SINK_TCP, 0, 0);
	F.consul = http_sink_start();
	assert_true(F.a && F.b && F.consul);
	snprintf(F.consul_url, sizeof(F.consul_url), "http://%s", http_sink_addr(F.consul));
	F.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	F.task = lf_task(LABELS);
	F.out_fd = F.err_fd = -1;
	return 0;
}

static int teardown(void **state)
{
	if (F.out_fd >= 0)
		close(F.out_fd);
	if (F.err_fd >= 0)
		close(F.err_fd);
	logship_stop(F.ls);
	assert_true(lf_run_until_empty(&F.loop, LF_DEADLINE_MS));
	assert_int_equal(uv_loop_close(&F.loop), 0);
	sink_stop(F.a);
	sink_stop(F.b);
	sink_stop(F.udp);
	http_sink_stop(F.consul);
	lf_task_free(F.task);
	close(F.devnull);
	return 0;
}

/* Consul's answer listing these sinks as passing, and one critical. */
static void consul_lists(struct sink *x, struct sink *y)
{
	char body[1024];
	snprintf(body, sizeof(body),
	         "[{\"Node\":{\"Address\":\"127.0.0.1\"},\"Service\":{\"Port\":%u},\"Checks\":[{"
	         "\"Status\":\"passing\"}]}%s"
	         "{\"Node\":{\"Address\":\"127.0.0.1\"},\"Service\":{\"Port\":%u},\"Checks\":[{"
	         "\"Status\":\"passing\"}]},"
	         "{\"Node\":{\"Address\":\"127.0.0.1\"},\"Service\":{\"Port\":1},\"Checks\":[{"
	         "\"Status\":\"critical\"}]}]",
	         sink_port(x), ",", sink_port(y));
	http_sink_reply(F.consul, HEALTH, 200, body);
}

static void start(bool udp)
{
	struct logship_config c = lf_config(NULL, F.devnull, F.devnull);
	c.service = "logstash";
	c.consul.base = F.consul_url; /* borrowed: never freed here */
	c.consul.token_header = "X-Consul-Token: consul-secret";
	c.consul.userpwd = "mesos:pw"; /* CONSUL_HTTP_AUTH */
	c.refresh_ns = 50000000;       /* 50ms */
	c.protocol = udp ? "udp" : "tcp";
	char err[512] = "";
	if (logship_start(&F.loop, &c, F.task, NULL, &F.ls, &F.out_fd, &F.err_fd, err,
	                  sizeof(err)) != 0)
		fail_msg("logship_start: %s", err);
}

struct lines {
	const char *tag;
	int n;
};

static void write_lines(int out, int err, void *arg)
{
	const struct lines *l = arg;
	char line[128];
	for (int i = 0; i < l->n; i++) {
		int k = snprintf(line, sizeof(line), "{\"msg\":\"%s %d\"}\n", l->tag, i);
		lf_write_all(out, line, (size_t)k);
	}
}

static void run_task(const char *tag, int n)
{
	struct lines l = {tag, n};
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_lines, &l),
	                         LF_DEADLINE_MS));
}

static struct logship_stats stats(void)
{
	struct logship_stats s;
	logship_stats(F.ls, &s);
	return s;
}

static bool two_connected(void *data)
{
	return stats().connects >= 2;
}
static bool shipped_all(void *data)
{
	return stats().shipped >= *(uint64_t *)data;
}

struct asked {
	size_t n;
};

static bool consul_asked(void *data)
{
	return http_sink_count(F.consul) >= ((struct asked *)data)->n;
}

/* How many records of a sink contain text. */
static size_t count_in(struct sink *s, const char *text)
{
	size_t hits = 0, n = sink_count(s);
	for (size_t i = 0; i < n; i++) {
		char *r = sink_record(s, i);
		hits += r && strstr(r, text);
		free(r);
	}
	return hits;
}

/* Whether the two sinks together hold n records: "shipped" counts what was
 * written to the sockets, the sinks may still be reading it. */
static bool both_hold(void *data)
{
	return sink_count(F.a) + sink_count(F.b) >= *(size_t *)data;
}

static void test_lines_go_round_robin_to_the_passing_instances(void **state)
{
	consul_lists(F.a, F.b);
	start(false);
	assert_true(lf_run_until(&F.loop, two_connected, NULL, LF_DEADLINE_MS));
	run_task("rr", 200);
	uint64_t want = 200;
	assert_true(lf_run_until(&F.loop, shipped_all, &want, LF_DEADLINE_MS));
	size_t records = 200;
	assert_true(lf_run_until(&F.loop, both_hold, &records, LF_DEADLINE_MS));
	size_t na = count_in(F.a, "\"rr "), nb = count_in(F.b, "\"rr ");
	assert_true(na > 0);
	assert_true(nb > 0);
	assert_int_equal(na + nb, 200);
	assert_int_equal(stats().targets, 2); /* the critical one was left out */

	/* what Consul was asked, and how */
	struct http_sink_req r;
	assert_true(http_sink_get(F.consul, 0, &r));
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, HEALTH);
	assert_non_null(strstr(r.query, "passing"));
	char tok[64];
	assert_true(http_sink_header(&r, "X-Consul-Token", tok, sizeof(tok)));
	assert_string_equal(tok, "consul-secret");
	assert_true(http_sink_header(&r, "Authorization", tok, sizeof(tok)));
	assert_string_equal(tok, "Basic bWVzb3M6cHc="); /* base64("mesos:pw") */
	http_sink_req_free(&r);
}

static void test_a_new_list_moves_the_lines_and_an_empty_one_is_ignored(void **state)
{
	consul_lists(F.a, F.b);
	start(false);
	assert_true(lf_run_until(&F.loop, two_connected, NULL, LF_DEADLINE_MS));

	/* only b now */
	char body[256];
	snprintf(body, sizeof(body),
	         "[{\"Node\":{\"Address\":\"127.0.0.1\"},\"Service\":{\"Port\":%u}}]",
	         sink_port(F.b));
	http_sink_reply(F.consul, HEALTH, 200, body);
	struct asked w = {http_sink_count(F.consul) + 2}; /* surely seen by then */
	assert_true(lf_run_until(&F.loop, consul_asked, &w, LF_DEADLINE_MS));
	run_task("only-b", 50);
	uint64_t want = 50;
	assert_true(lf_run_until(&F.loop, shipped_all, &want, LF_DEADLINE_MS));
	assert_int_equal(sink_wait(F.b, 50, LF_DEADLINE_MS), 50);
	assert_int_equal(count_in(F.a, "only-b"), 0);
	assert_int_equal(stats().targets, 1);

	/* an empty list, then a failing Consul: b keeps getting the lines */
	http_sink_reply(F.consul, HEALTH, 200, "[]");
	w.n = http_sink_count(F.consul) + 2;
	assert_true(lf_run_until(&F.loop, consul_asked, &w, LF_DEADLINE_MS));
	http_sink_reply(F.consul, HEALTH, 500, "oops");
	w.n = http_sink_count(F.consul) + 2;
	assert_true(lf_run_until(&F.loop, consul_asked, &w, LF_DEADLINE_MS));
	run_task("still-b", 10);
	want = 60;
	assert_true(lf_run_until(&F.loop, shipped_all, &want, LF_DEADLINE_MS));
	assert_int_equal(sink_wait(F.b, 60, LF_DEADLINE_MS), 60);
	assert_int_equal(count_in(F.b, "still-b"), 10);
	assert_int_equal(stats().targets, 1);
}

static bool targets_known(void *data)
{
	return stats().targets >= 1;
}

static void test_udp_sends_one_datagram_per_entry(void **state)
{
	F.udp = sink_start(SINK_UDP, 0, 0);
	assert_non_null(F.udp);
	consul_lists(F.udp, F.udp);
	start(true);
	assert_true(lf_run_until(&F.loop, targets_known, NULL, LF_DEADLINE_MS));
	run_task("udp", 20);
	uint64_t want = 20;
	assert_true(lf_run_until(&F.loop, shipped_all, &want, LF_DEADLINE_MS));
	assert_int_equal(sink_wait(F.udp, 20, LF_DEADLINE_MS), 20);
	char *r = sink_record(F.udp, 0);
	cJSON *j = lf_parse(r);
	assert_string_equal(lf_str(j, "message"), "udp 0");
	assert_string_equal(lf_str(j, "instance-id"), "exec-1");
	cJSON_Delete(j);
	free(r);
	assert_int_equal(stats().connects, 0); /* no connections over UDP */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lines_go_round_robin_to_the_passing_instances,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_new_list_moves_the_lines_and_an_empty_one_is_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_udp_sends_one_datagram_per_entry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
