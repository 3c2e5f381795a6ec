/* `fakeagent conformance --executor PATH ...`: runs the compiled-in cases
 * against an executor, each in every encoding asked for, several at a time
 * (each run a child process: runner.c), and prints one line per run in
 * suite order as they finish, a failure's details under its line, a
 * summary, and a JUnit report on request. `subscribe` goes first in each
 * encoding: an executor that cannot subscribe in it fails that case, and
 * the other cases of that encoding are skipped rather than all timing out.
 * SIGINT and SIGTERM stop the runs (their processes are killed) and the
 * command exits 128 + the signal. */
#include "conformance.h"

#include "common/str.h"
#include "fakeagent/commands/cli.h"
#include "fakeagent/commands/commands.h"
#include "fakeagent/output/junit.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GATE       "subscribe"
#define MAX_ENV    256
#define TAIL_LINES 10

enum run_state { RUN_PENDING, RUN_RUNNING, RUN_PASS, RUN_FAIL, RUN_SKIP };

struct run {
	const struct cf_case *c; /* borrowed */
	enum mesos_encoding enc;
	enum run_state state;
	pid_t pid;
	double started, secs;
	char dir[PATH_MAX];
	char *expected, *happened; /* owned, on failure */
	char *tail;                /* owned: the last updates and calls, on failure */
	char *why;                 /* owned: why skipped */
	bool printed;
};

struct command {
	struct cf_opts o;
	const char *env[MAX_ENV], *json_env[MAX_ENV];
	bool enc[2];       /* indexed by enum mesos_encoding */
	char *only;        /* owned: comma-separated names, NULL for all */
	const char *junit; /* borrowed argv */
	int jobs;
	bool keep, list;
	char executor[PATH_MAX];
	char run_dir[PATH_MAX];
	struct cf_case *cases; /* owned */
	size_t n_cases;
	struct run *runs; /* owned */
	size_t n_runs, printed, running;
	double t0;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	if (!stop_signal)
		stop_signal = sig;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char usage[] =
    "usage: fakeagent conformance --executor PATH [--encoding protobuf|json|both]\n"
    "                             [--executor-env K=V]... [--json-env K=V]... [--only NAMES]\n"
    "                             [--junit FILE] [--task-form command|marathon] [--jobs N]\n"
    "                             [--timeout-scale F] [--keep] [--list]\n"
    "  --executor PATH      the executor to judge (default $EXECUTOR_BIN)\n"
    "  --encoding E         what it speaks: protobuf (default), json, or both; each case\n"
    "                       runs once per encoding, the agent refusing the other one\n"
    "  --executor-env K=V   in every executor's environment (repeatable)\n"
    "  --json-env K=V       in the JSON runs' only: how this executor is told to speak JSON\n"
    "  --only NAMES         these cases only (comma-separated, repeatable; --list names them)\n"
    "  --junit FILE         a JUnit report: one testcase per case and encoding\n"
    "  --task-form F        command (default): the task in TaskInfo.command, as the agent\n"
    "                       hands it to its command executor; marathon: Marathon's custom-\n"
    "                       executor form, in ExecutorInfo.command after `chmod ug+rx\n"
    "                       './executor' && exec './executor' `\n"
    "  --jobs N             runs at a time (default 4)\n"
    "  --timeout-scale F    multiply every step timeout by F (slow executors: valgrind)\n"
    "  --keep               keep every run's directory (a failed run's is always kept)\n"
    "  --list               list the cases and exit\n"
    "exit status: 0 no case failed, 1 one failed, 2 bad usage, 130/143 stopped by\n"
    "SIGINT/SIGTERM. docs/conformance.md says what each case checks and why.\n";

/* ------------------------------------------------------------ options */

static int add_kv(const char **to, size_t *n, const char *kv, const char *opt, char *err,
                  size_t errlen)
{
	if (!strchr(kv, '=') || kv[0] == '=')
		return snprintf(err, errlen, "%s: expected KEY=VALUE, got '%s'", opt, kv), -1;
	if (*n == MAX_ENV)
		return snprintf(err, errlen, "%s: at most %d", opt, MAX_ENV), -1;
	to[(*n)++] = kv;
	return 0;
}

static int add_only(struct command *cmd, const char *names)
{
	size_t old = cmd->only ? strlen(cmd->only) : 0;
	char *o = realloc(cmd->only, old + strlen(names) + 2);
	if (!o)
		return -1;
	if (old)
		o[old++] = ',';
	strcpy(o + old, names);
	cmd->only = o;
	return 0;
}

static int parse(struct command *cmd, int argc, char **argv, char *err, size_t errlen)
{
	const char *executor = getenv("EXECUTOR_BIN"), *v;
	cmd->enc[MESOS_PROTOBUF] = true;
	cmd->jobs = 4;
	cmd->o.timeout_scale = 1;
	for (int i = 0; i < argc; i++) {
		int rc;
		if (cli_flag(argv, i, "--keep")) {
			cmd->keep = true;
		} else if (cli_flag(argv, i, "--list")) {
			cmd->list = true;
		} else if ((rc = cli_value(argc, argv, &i, "--executor-env", &v, err, errlen))) {
			if (rc < 0 ||
			    add_kv(cmd->env, &cmd->o.n_env, v, "--executor-env", err, errlen) < 0)
				return -1;
		} else if ((rc = cli_value(argc, argv, &i, "--json-env", &v, err, errlen))) {
			if (rc < 0 || add_kv(cmd->json_env, &cmd->o.n_json_env, v, "--json-env",
			                     err, errlen) < 0)
				return -1;
		} else if ((rc = cli_value(argc, argv, &i, "--executor", &v, err, errlen))) {
			if (rc < 0)
				return -1;
			executor = v;
		} else if ((rc = cli_value(argc, argv, &i, "--encoding", &v, err, errlen))) {
			if (rc < 0)
				return -1;
			bool both = !strcmp(v, "both");
			cmd->enc[MESOS_PROTOBUF] = both || !strcmp(v, "protobuf");
			cmd->enc[MESOS_JSON] = both || !strcmp(v, "json");
			if (!cmd->enc[MESOS_PROTOBUF] && !cmd->enc[MESOS_JSON])
				return snprintf(err, errlen,
				                "--encoding: expected protobuf, json or both"),
				       -1;
		} else if ((rc = cli_value(argc, argv, &i, "--only", &v, err, errlen))) {
			if (rc < 0 || add_only(cmd, v) < 0)
				return -1;
		} else if ((rc = cli_value(argc, argv, &i, "--junit", &v, err, errlen))) {
			if (rc < 0)
				return -1;
			cmd->junit = v;
		} else if ((rc = cli_value(argc, argv, &i, "--task-form", &v, err, errlen))) {
			if (rc < 0)
				return -1;
			if (strcmp(v, "command") && strcmp(v, "marathon"))
				return snprintf(err, errlen,
				                "--task-form: expected command or marathon"),
				       -1;
			cmd->o.form = !strcmp(v, "marathon") ? CF_FORM_MARATHON : CF_FORM_COMMAND;
		} else if ((rc = cli_value(argc, argv, &i, "--jobs", &v, err, errlen))) {
			char *end;
			long n = rc < 0 ? 0 : strtol(v, &end, 10);
			if (rc < 0 || *end || n < 1 || n > 64)
				return snprintf(err, errlen, "--jobs: expected 1 to 64"), -1;
			cmd->jobs = (int)n;
		} else if ((rc = cli_value(argc, argv, &i, "--timeout-scale", &v, err, errlen))) {
			char *end;
			double f = rc < 0 ? 0 : strtod(v, &end);
			if (rc < 0 || *end || !(f >= 0.1 && f <= 100))
				return snprintf(
				           err, errlen,
				           "--timeout-scale: expected a number from 0.1 to 100"),
				       -1;
			cmd->o.timeout_scale = f;
		} else {
			return snprintf(err, errlen, "unknown option %s", argv[i]), -1;
		}
	}
	cmd->o.env = cmd->env;
	cmd->o.json_env = cmd->json_env;
	if (cmd->list)
		return 0;
	if (!executor)
		return snprintf(err, errlen, "no executor: pass --executor PATH"), -1;
	struct stat st;
	if (!realpath(executor, cmd->executor) || stat(cmd->executor, &st) < 0 ||
	    !S_ISREG(st.st_mode) || access(cmd->executor, X_OK) < 0)
		return snprintf(err, errlen, "--executor %s: not an executable file", executor), -1;
	cmd->o.executor = cmd->executor;
	return 0;
}

/* ------------------------------------------------------------ the runs */

static bool selected(const struct command *cmd, const char *name)
{
	if (!cmd->only)
		return true;
	size_t nl = strlen(name);
	for (const char *p = cmd->only; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t l = strcspn(p, ",");
		if (l == nl && !strncmp(p, name, l))
			return true;
	}
	return false;
}

static int check_only(const struct command *cmd, char *err, size_t errlen)
{
	for (const char *p = cmd->only; p && *p;
	     p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t l = strcspn(p, ","), i;
		for (i = 0; i < cmd->n_cases; i++)
			if (strlen(cmd->cases[i].name) == l && !strncmp(p, cmd->cases[i].name, l))
				break;
		if (l && i == cmd->n_cases)
			return snprintf(err, errlen, "--only: no case '%.*s' (--list names them)",
			                (int)l, p),
			       -1;
	}
	return 0;
}

static void skip(struct run *r, const char *fmt, const char *arg)
{
	r->state = RUN_SKIP;
	if (asprintf(&r->why, fmt, arg) < 0)
		r->why = NULL;
}

static int make_runs(struct command *cmd)
{
	cmd->runs = calloc(cmd->n_cases * 2 + 1, sizeof(*cmd->runs));
	if (!cmd->runs)
		return -1;
	for (size_t i = 0; i < cmd->n_cases; i++) {
		const struct cf_case *c = &cmd->cases[i];
		if (!selected(cmd, c->name))
			continue;
		for (int e = MESOS_PROTOBUF; e <= MESOS_JSON; e++) {
			if (!cmd->enc[e])
				continue;
			struct run *r = &cmd->runs[cmd->n_runs++];
			r->c = c;
			r->enc = (enum mesos_encoding)e;
			if (snprintf(r->dir, sizeof(r->dir), "%s/%s-%s", cmd->run_dir, c->name,
			             cf_encoding_name(r->enc)) >= (int)sizeof(r->dir))
				return -1;
			const cJSON *p;
			if (!c->form[cmd->o.form])
				skip(r, "%s", "no such form of this case (--task-form)");
			cJSON_ArrayForEach (p, c->needs)
				if (r->state == RUN_PENDING && !cf_on_path(p->valuestring))
					skip(r, "%s is not on PATH", p->valuestring);
		}
	}
	return 0;
}

/* The gate of a run's encoding: the subscribe run, when it is selected. */
static const struct run *gate_of(const struct command *cmd, const struct run *r)
{
	for (size_t i = 0; i < cmd->n_runs; i++)
		if (!strcmp(cmd->runs[i].c->name, GATE) && cmd->runs[i].enc == r->enc)
			return &cmd->runs[i] == r ? NULL : &cmd->runs[i];
	return NULL;
}

static void start(struct command *cmd, struct run *r)
{
	mkdir(r->dir, 0755);
	fflush(stdout);
	fflush(stderr);
	r->started = mono();
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* exit, not _exit: the leak checker of a sanitizer build judges the run */
		exit(cf_run_child(r->c, r->enc, &cmd->o, r->dir));
	}
	if (pid < 0) {
		r->state = RUN_FAIL;
		r->expected = strdup("the run starts");
		r->happened = strdup(strerror(errno));
		return;
	}
	r->pid = pid;
	r->state = RUN_RUNNING;
	cmd->running++;
}

static void start_ready(struct command *cmd)
{
	for (size_t i = 0; i < cmd->n_runs && cmd->running < (size_t)cmd->jobs; i++) {
		struct run *r = &cmd->runs[i];
		if (r->state != RUN_PENDING)
			continue;
		const struct run *g = gate_of(cmd, r);
		if (g && (g->state == RUN_PENDING || g->state == RUN_RUNNING))
			continue;
		if (g && g->state != RUN_PASS)
			skip(r, "the executor did not subscribe in %s (case " GATE ")",
			     cf_encoding_name(r->enc));
		else
			start(cmd, r);
	}
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void finish(struct command *cmd, struct run *r, int status)
{
	struct cf_verdict v;
	char log[PATH_MAX + 16];
	r->secs = mono() - r->started;
	cmd->running--;
	if (stop_signal) {
		r->state = RUN_FAIL;
		r->expected = strdup("the run completes");
		r->happened = strdup(stop_signal == SIGINT ? "interrupted by SIGINT"
		                                           : "interrupted by SIGTERM");
	} else if (cf_verdict_read(r->dir, &v) < 0) {
		r->state = RUN_FAIL;
		r->expected = strdup("the run ends with a verdict");
		if (asprintf(&r->happened, "its process ended with wait status %d and left none",
		             status) < 0)
			r->happened = NULL;
	} else if (v.passed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		/* fakeagent's own fault (a sanitizer's report is in the timeline) */
		cf_verdict_free(&v);
		r->state = RUN_FAIL;
		r->expected = strdup("the run's own process ends with status 0");
		if (asprintf(&r->happened, "it ended with wait status %d", status) < 0)
			r->happened = NULL;
	} else {
		r->state = v.passed ? RUN_PASS : RUN_FAIL;
		r->expected = v.expected;
		r->happened = v.happened;
	}
	snprintf(log, sizeof(log), "%s/timeline.log", r->dir);
	if (r->state == RUN_FAIL)
		r->tail = cf_timeline_tail(log, TAIL_LINES, 8);
	else if (!cmd->keep)
		nftw(r->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Prints the finished runs that come next in suite order. */
static void print_ready(struct command *cmd)
{
	static const char *const word[] = {"", "", "PASS", "FAIL", "SKIP"};
	for (; cmd->printed < cmd->n_runs; cmd->printed++) {
		struct run *r = &cmd->runs[cmd->printed];
		if (r->state == RUN_PENDING || r->state == RUN_RUNNING)
			return;
		if (r->state == RUN_SKIP) {
			printf("SKIP  %-36s %-8s      -  %s\n", r->c->name,
			       cf_encoding_name(r->enc), r->why ? r->why : "");
			continue;
		}
		printf("%s  %-36s %-8s %6.1fs\n", word[r->state], r->c->name,
		       cf_encoding_name(r->enc), r->secs);
		if (r->state == RUN_FAIL) {
			printf("      expected: %s\n", r->expected ? r->expected : "?");
			printf("      happened: %s\n", r->happened ? r->happened : "?");
			if (r->tail && *r->tail)
				printf("      the executor's last calls and updates:\n%s", r->tail);
			printf("      timeline: %s/timeline.log\n", r->dir);
		}
	}
	fflush(stdout);
}

static void stop_all(struct command *cmd)
{
	for (size_t i = 0; i < cmd->n_runs; i++) {
		struct run *r = &cmd->runs[i];
		if (r->state == RUN_RUNNING)
			kill(r->pid, SIGKILL);
		else if (r->state == RUN_PENDING)
			skip(r, "not run: %s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	}
}

static void running_pids(const struct command *cmd, pid_t *out, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < cmd->n_runs; i++)
		if (cmd->runs[i].state == RUN_RUNNING)
			out[(*n)++] = cmd->runs[i].pid;
}

static void run_all(struct command *cmd)
{
	pid_t *pids = calloc(cmd->n_runs + 1, sizeof(*pids));
	size_t np;
	bool stopping = false;
	for (;;) {
		if (stop_signal && !stopping) {
			stopping = true;
			stop_all(cmd);
		}
		if (!stopping)
			start_ready(cmd);
		print_ready(cmd);
		if (!cmd->running)
			break;
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (size_t i = 0; i < cmd->n_runs; i++)
			if (cmd->runs[i].state == RUN_RUNNING && cmd->runs[i].pid == pid) {
				finish(cmd, &cmd->runs[i], status);
				running_pids(cmd, pids, &np);
				cf_sweep(pids, np);
			}
	}
	cf_sweep(NULL, 0);
	free(pids);
}

/* ------------------------------------------------------------ reports */

static void print_summary(const struct command *cmd)
{
	size_t count[5] = {0};
	for (size_t i = 0; i < cmd->n_runs; i++)
		count[cmd->runs[i].state]++;
	printf("conformance: %zu passed, %zu failed, %zu skipped (%zu runs: %s%s%s; %.1fs)\n",
	       count[RUN_PASS], count[RUN_FAIL], count[RUN_SKIP], cmd->n_runs,
	       cmd->enc[MESOS_PROTOBUF] ? "protobuf" : "",
	       cmd->enc[MESOS_PROTOBUF] && cmd->enc[MESOS_JSON] ? " and " : "",
	       cmd->enc[MESOS_JSON] ? "json" : "", mono() - cmd->t0);
	if (count[RUN_FAIL] && !stop_signal) /* an interrupted run is not worth a look */
		printf("conformance: the failed runs are kept in %s\n", cmd->run_dir);
}

static int write_junit(const struct command *cmd)
{
	struct junit_case *cases = calloc(cmd->n_runs + 1, sizeof(*cases));
	char **texts = calloc(cmd->n_runs + 1, sizeof(*texts));
	struct junit_suite suites[2];
	char names[2][64];
	size_t ns = 0, k = 0;
	int rc = -1;
	if (!cases || !texts)
		goto out;
	for (int e = MESOS_PROTOBUF; e <= MESOS_JSON; e++) {
		if (!cmd->enc[e])
			continue;
		snprintf(names[ns], sizeof(names[ns]), "conformance (%s)",
		         cf_encoding_name((enum mesos_encoding)e));
		suites[ns] = (struct junit_suite){
		    .name = names[ns], .file = cmd->executor, .cases = cases + k};
		for (size_t i = 0; i < cmd->n_runs; i++) {
			const struct run *r = &cmd->runs[i];
			if ((int)r->enc != e)
				continue;
			if (r->state == RUN_FAIL &&
			    asprintf(&texts[k], "expected: %s\nhappened: %s\n%s",
			             r->expected ? r->expected : "?",
			             r->happened ? r->happened : "?", r->tail ? r->tail : "") < 0)
				texts[k] = NULL;
			cases[k] = (struct junit_case){.name = r->c->name,
			                               .secs = r->secs,
			                               .skipped = r->state == RUN_SKIP,
			                               .failure = NULL};
			if (r->state == RUN_FAIL)
				cases[k].failure = texts[k] ? texts[k] : "failed";
			k++;
			suites[ns].n++;
		}
		ns++;
	}
	rc = junit_write(cmd->junit, suites, ns);
out:
	strv_free_n(texts, cmd->n_runs);
	free(cases);
	return rc;
}

static void list_cases(const struct command *cmd)
{
	for (size_t i = 0; i < cmd->n_cases; i++) {
		const struct cf_case *c = &cmd->cases[i];
		printf("%-36s %s%s\n", c->name, c->title,
		       c->form[CF_FORM_MARATHON] ? "" : " [command form only]");
	}
}

static void free_command(struct command *cmd)
{
	for (size_t i = 0; i < cmd->n_runs; i++) {
		free(cmd->runs[i].expected);
		free(cmd->runs[i].happened);
		free(cmd->runs[i].tail);
		free(cmd->runs[i].why);
	}
	free(cmd->runs);
	cf_cases_free(cmd->cases, cmd->n_cases);
	free(cmd->only);
}

int fakeagent_conformance(int argc, char **argv)
{
	char err[1024];
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
	struct command *cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return 2;
	int code = 2;
	if (parse(cmd, argc, argv, err, sizeof(err)) < 0 ||
	    cf_cases_load(&cmd->cases, &cmd->n_cases, err, sizeof(err)) < 0 ||
	    check_only(cmd, err, sizeof(err)) < 0) {
		fprintf(stderr, "fakeagent conformance: %s\n%s", err, usage);
		goto out;
	}
	if (cmd->list) {
		list_cases(cmd);
		code = 0;
		goto out;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(cmd->run_dir, sizeof(cmd->run_dir), "%s/fakeagent-conformance.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(cmd->run_dir)) {
		fprintf(stderr, "fakeagent conformance: cannot make %s: %s\n", cmd->run_dir,
		        strerror(errno));
		goto out;
	}
	if (make_runs(cmd) < 0)
		goto out;
	cli_process_setup();
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cmd->t0 = mono();
	printf("conformance: %s, %zu runs (%s%s%s), task in %s, %d at a time\n", cmd->executor,
	       cmd->n_runs, cmd->enc[MESOS_PROTOBUF] ? "protobuf" : "",
	       cmd->enc[MESOS_PROTOBUF] && cmd->enc[MESOS_JSON] ? " and " : "",
	       cmd->enc[MESOS_JSON] ? "json" : "",
	       cmd->o.form == CF_FORM_MARATHON ? "ExecutorInfo.command (Marathon)"
	                                       : "TaskInfo.command",
	       cmd->jobs);
	run_all(cmd);
	print_ready(cmd);
	print_summary(cmd);
	code = 0;
	for (size_t i = 0; i < cmd->n_runs; i++)
		code |= cmd->runs[i].state == RUN_FAIL;
	if (cmd->junit && write_junit(cmd) < 0) {
		fprintf(stderr, "fakeagent conformance: cannot write %s: %s\n", cmd->junit,
		        strerror(errno));
		code = 2;
	}
	if ((!code || stop_signal) && !cmd->keep)
		nftw(cmd->run_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (stop_signal)
		code = 128 + stop_signal;
out:
	free_command(cmd);
	free(cmd);
	return code;
}
