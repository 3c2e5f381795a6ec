/* fakeconsul/fakevaas as scenario helpers (see sidecar.h). */
#include "sidecar.h"

#include "fakeagent/agent/reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void timer_closed(uv_handle_t *h)
{
	struct sidecar *s = h->data;
	void (*cb)(void *) = s->on_exit;
	s->on_exit = NULL;
	if (cb)
		cb(s->data);
}

static void close_timer(struct sidecar *s)
{
	if (!s->timer_open)
		return;
	s->timer_open = false;
	uv_close((uv_handle_t *)&s->kill_timer, timer_closed);
}

static void on_reaped(void *data, pid_t pid, int status)
{
	struct sidecar *s = data;
	s->exited = true;
	if (s->stopping)
		close_timer(s);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

int sidecar_start(struct sidecar *s, uv_loop_t *loop, const char *name, const char *bin,
                  const char *dir, char *err, size_t errlen)
{
	char out[1024];
	memset(s->addr, 0, sizeof(s->addr));
	s->name = name;
	s->exited = false;
	s->timer_open = false;
	s->stopping = false;
	s->on_exit = NULL;
	if (!bin) {
		snprintf(err, errlen,
		         "the scenario needs %s, but there is none beside fakeagent, in the build "
		         "tree or on PATH (build it, or pass --%s PATH)",
		         name, name);
		return -1;
	}
	if (access(bin, X_OK) < 0) {
		snprintf(err, errlen,
		         "the scenario needs %s, but %s is not an executable (build it, or pass "
		         "--%s PATH)",
		         name, bin, name);
		return -1;
	}
	snprintf(out, sizeof(out), "%s/%s.stdout", dir, name);
	snprintf(s->log, sizeof(s->log), "%s/%s.stderr", dir, name);
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int efd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0 || efd < 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		if (ofd >= 0)
			close(ofd);
		if (efd >= 0)
			close(efd);
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* gone with fakeagent, even when it is SIGKILLed */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		execl(bin, bin, "--listen", "127.0.0.1:0", (char *)NULL);
		dprintf(2, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(ofd);
	close(efd);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	s->pid = pid;
	for (int waited = 0; waited < 10000; waited += 20) {
		FILE *f = fopen(out, "r");
		char line[256] = "";
		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = '\0';
			fclose(f);
		}
		const char *at = strstr(line, "listening on http://");
		if (at && strchr(line, '\n')) {
			at += strlen("listening on http://");
			snprintf(s->addr, sizeof(s->addr), "%.*s", (int)strcspn(at, "\r\n/"), at);
			uv_timer_init(loop, &s->kill_timer);
			s->kill_timer.data = s;
			s->timer_open = true;
			reaper_watch(pid, on_reaped, s);
			return 0;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			snprintf(err, errlen, "%s exited before it listened (see %s)", name,
			         s->log);
			s->exited = true;
			return -1;
		}
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	s->exited = true;
	snprintf(err, errlen, "%s did not print its address within 10 s (see %s)", name, s->log);
	return -1;
}

static void on_kill_timer(uv_timer_t *t)
{
	struct sidecar *s = t->data;
	if (!s->exited)
		kill(s->pid, SIGKILL);
}

void sidecar_stop(struct sidecar *s, void (*on_exit)(void *data), void *data)
{
	s->on_exit = on_exit;
	s->data = data;
	s->stopping = true;
	if (!s->timer_open) { /* never started */
		s->on_exit = NULL;
		if (on_exit)
			on_exit(data);
		return;
	}
	if (s->exited) {
		close_timer(s);
		return;
	}
	kill(s->pid, SIGTERM);
	uv_timer_start(&s->kill_timer, on_kill_timer, 5000, 0);
}
