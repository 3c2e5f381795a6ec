/* fakeconsul against a real Consul client: Debian's python3-consul 0.7.1,
 * run with Debian's /usr/bin/python3. It sends lowercase keys, GETs for
 * deregister and TTL updates (so it needs --legacy-get), reads
 * X-Consul-Index for every catalog/health call, and quietly returns False on
 * a 405. scripts/deps.sh installs the package; without it the test skips. */
#include "testsupport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"

static const char script[] =
    "import sys, consul\n"
    "host, port = sys.argv[1].rsplit(':', 1)\n"
    "legacy = sys.argv[2] == 'legacy'\n"
    "c = consul.Consul(host=host, port=int(port))\n"
    "if not legacy:\n"
    "    assert c.agent.service.register('web', service_id='web-1', port=1)\n"
    "    # a strict agent answers GET with 405, which this client reports as False\n"
    "    assert c.agent.service.deregister('web-1') is False\n"
    "    assert 'web-1' in c.agent.services()\n"
    "    print('strict: ok')\n"
    "    sys.exit(0)\n"
    "assert c.agent.service.register('web', service_id='web-1', address='10.0.0.5', port=8080,\n"
    "    tags=['a', 'b'], check=consul.Check.http('http://10.0.0.5:8080/health', '10s',\n"
    "    timeout='2s', deregister='1m'))\n"
    "assert c.agent.service.register('t', service_id='t1', port=1, check=consul.Check.ttl('15s'))\n"
    "assert c.agent.service.register('c', service_id='c1', port=2,\n"
    "    check=consul.Check.tcp('127.0.0.1', 2, '5s'))\n"
    "svcs = c.agent.services()\n"
    "assert svcs['web-1']['Tags'] == ['a', 'b'] and svcs['web-1']['Port'] == 8080, svcs\n"
    "assert c.agent.checks()['service:web-1']['Type'] == 'http'\n"
    "assert c.agent.check.ttl_pass('service:t1', notes='ok')\n"
    "k = c.agent.checks()['service:t1']\n"
    "assert k['Status'] == 'passing' and k['Output'] == 'ok', k\n"
    "index, nodes = c.catalog.service('web', tag='a')\n"
    "assert len(nodes) == 1 and nodes[0]['ServiceID'] == 'web-1', nodes\n"
    "_, entries = c.health.service('t', passing=True)\n"
    "assert len(entries) == 1 and entries[0]['Service']['ID'] == 't1', entries\n"
    "index2, _ = c.health.service('web', index=index, wait='100ms')\n"
    "assert int(index2) >= int(index)\n"
    "assert c.status.leader() == '127.0.0.1:8300'\n"
    "try:\n"
    "    c.agent.service.register('bad', address='0.0.0.0')\n"
    "    raise AssertionError('0.0.0.0 accepted')\n"
    "except consul.base.ConsulException as e:\n"
    "    assert 'Invalid service address' in str(e), e\n"
    "assert c.agent.service.deregister('web-1')\n"
    "assert 'web-1' not in c.agent.services()\n"
    "assert 'service:web-1' not in c.agent.checks()\n"
    "print('legacy: ok')\n";

static bool have_python_consul(void)
{
	if (access(PYTHON, X_OK) != 0)
		return false;
	return system(PYTHON " -c 'import consul' >/dev/null 2>&1") == 0;
}

/* Runs the script against a fakeconsul started with `extra`; returns its
 * exit status. */
static int run_client(const char *extra, const char *mode)
{
	struct ts_proc p;
	char *argv[] = {(char *)ts_env("FAKECONSUL_BIN", "fakeconsul"), "--listen", "127.0.0.1:0",
	                (char *)extra, NULL};
	assert_int_equal(ts_spawn(&p, argv, NULL, true), 0);

	char *dir = ts_mkdtemp("fakeconsul-py");
	char path[512], cmd[1024];
	snprintf(path, sizeof(path), "%s/client.py", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), PYTHON " %s %s %s", path, p.addr, mode);
	int rc = system(cmd);
	ts_rmtree(dir);
	free(dir);
	ts_stop(&p, SIGTERM, 10000);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_python_consul_client_works_against_legacy_get_mode(void **state)
{
	if (!have_python_consul()) {
		fprintf(stderr, "python3-consul is not installed: skipped\n");
		skip();
	}
	assert_int_equal(run_client("--legacy-get", "legacy"), 0);
}

static void test_python_consul_deregister_fails_quietly_on_a_strict_agent(void **state)
{
	if (!have_python_consul()) {
		fprintf(stderr, "python3-consul is not installed: skipped\n");
		skip();
	}
	assert_int_equal(run_client(NULL, "strict"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_python_consul_client_works_against_legacy_get_mode),
	    cmocka_unit_test(test_python_consul_deregister_fails_quietly_on_a_strict_agent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
