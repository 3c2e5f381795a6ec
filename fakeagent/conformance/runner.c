/* One conformance run in a child process, on the scenario engine: the
 * child's stdout (the timeline, the engine's summary) goes to
 * <dir>/timeline.log, the engine's work dir is made below <dir> ($TMPDIR),
 * and the verdict is left in <dir>/result.json for the parent. Each run has
 * a process, a loop and an agent of its own, so runs go side by side. And
 * the parent's sweep: whatever a finished run left behind is re-parented to
 * the parent (a child subreaper) and killed there. */
#include "conformance.h"

#include "fakeagent/commands/cli.h"
#include "fakeagent/marathon/load.h"
#include "fakeagent/agent/procscan.h"
#include "fakeagent/scenario/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int write_verdict(const char *dir, const char *expected, const char *happened)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/result.json", dir);
	cJSON *r = cJSON_CreateObject();
	cJSON_AddBoolToObject(r, "passed", !happened);
	if (happened) {
		cJSON_AddStringToObject(r, "expected", expected);
		cJSON_AddStringToObject(r, "happened", happened);
	}
	char *text = cJSON_Print(r);
	cJSON_Delete(r);
	FILE *f = text ? fopen(path, "w") : NULL;
	int rc = f && fputs(text, f) >= 0 ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	free(text);
	return rc;
}

int cf_run_child(const struct cf_case *c, enum mesos_encoding enc, const struct cf_opts *o,
                 const char *dir)
{
	char path[4200], err[2048], label[300];
	snprintf(path, sizeof(path), "%s/timeline.log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 2;
	close(fd);
	setenv("TMPDIR", dir, 1);
	cli_process_setup();

	cJSON *doc = cf_case_scenario(c, enc, o, err, sizeof(err));
	if (!doc)
		return write_verdict(dir, "the case can be set up", err) < 0 ? 2 : 0;
	snprintf(label, sizeof(label), "conformance case %s (%s)", c->name, cf_encoding_name(enc));
	struct scenario_opts so = {.executor = o->executor};
	struct scenario sc = {.file = label, .opts = &so, .doc = doc};
	snprintf(sc.dir, sizeof(sc.dir), "%s", dir);
	snprintf(sc.name, sizeof(sc.name), "%s (%s)", c->name, cf_encoding_name(enc));
	int rc;
	if (scenario_load(&sc, err, sizeof(err)) < 0) {
		rc = write_verdict(dir, "the case's steps are valid", err);
	} else {
		scenario_run(&sc);
		const char *expected = "the case starts: agent, executor, task";
		const char *happened = sc.setup_failure;
		for (size_t i = 0; !happened && i < sc.n; i++)
			if (sc.steps[i].failure) {
				expected = sc.steps[i].name;
				happened = sc.steps[i].failure;
			}
		rc = write_verdict(dir, expected, happened);
	}
	scenario_free(&sc); /* and doc, which sc owns */
	fflush(stdout);
	return rc < 0 ? 2 : 0;
}

int cf_verdict_read(const char *dir, struct cf_verdict *v)
{
	char path[4200], err[256];
	memset(v, 0, sizeof(*v));
	snprintf(path, sizeof(path), "%s/result.json", dir);
	cJSON *r = load_json_file(path, err, sizeof(err));
	if (!r)
		return -1;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "expected");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "happened");
	v->passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "passed"));
	v->expected = cJSON_IsString(e) ? strdup(e->valuestring) : NULL;
	v->happened = cJSON_IsString(h) ? strdup(h->valuestring) : NULL;
	cJSON_Delete(r);
	return v->passed || v->happened ? 0 : -1;
}

void cf_verdict_free(struct cf_verdict *v)
{
	free(v->expected);
	free(v->happened);
	memset(v, 0, sizeof(*v));
}

static bool kept(pid_t pid, const pid_t *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == pid)
			return true;
	return false;
}

void cf_sweep(const pid_t *keep, size_t n)
{
	pid_t self = getpid(), killed[256];
	size_t n_killed = 0;
	for (int round = 0; round < 200; round++) {
		size_t np = 0, found = 0;
		struct procscan_entry *v = procscan_snapshot(&np);
		for (size_t i = 0; i < np; i++) {
			if (v[i].ppid != self || kept(v[i].pid, keep, n))
				continue;
			found++;
			kill(v[i].pid, SIGKILL);
			if (!kept(v[i].pid, killed, n_killed) && n_killed < 256)
				killed[n_killed++] = v[i].pid;
		}
		free(v);
		/* Reap only what was killed here: a run's own exit status is the
		 * command's to collect. */
		for (size_t i = 0; i < n_killed;)
			if (waitpid(killed[i], NULL, WNOHANG) != 0)
				killed[i] = killed[--n_killed];
			else
				i++;
		if (!found && !n_killed)
			return;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
}
