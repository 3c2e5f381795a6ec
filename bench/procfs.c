/* What /proc says of a process, read from the outside: VmHWM and VmRSS,
 * Private_Clean + Private_Dirty and Pss of smaps_rollup, threads, context
 * switches summed over every thread, the CPU time (the process CPU clock
 * for nanoseconds, utime + stime of /proc/PID/stat for a cross-check); the
 * size of a stripped copy of a binary; and the leftover-process sweep of the
 * scale benchmark. */
#include "bench.h"

#include <elf.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The value of "Key:   123 kB" in a /proc status-like file; -1 when absent. */
static long field_kib(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long long ctx_switches_of(const char *status_path)
{
	long vol = field_kib(status_path, "voluntary_ctxt_switches");
	long nonvol = field_kib(status_path, "nonvoluntary_ctxt_switches");
	return vol < 0 || nonvol < 0 ? -1 : (long long)vol + nonvol;
}

/* Sums the context switches of every thread; counts the threads. */
static int threads_of(pid_t pid, int *threads, long long *ctx)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *de;
	*threads = 0;
	*ctx = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char status[320];
		snprintf(status, sizeof(status), "/proc/%d/task/%s/status", (int)pid, de->d_name);
		long long c = ctx_switches_of(status);
		if (c < 0)
			continue; /* the thread just ended */
		*ctx += c;
		(*threads)++;
	}
	closedir(d);
	return 0;
}

static int by_rss(const void *a, const void *b)
{
	const struct mapping_cost *x = a, *y = b;
	return x->rss < y->rss ? 1 : x->rss > y->rss ? -1 : strcmp(x->name, y->name);
}

size_t procfs_by_mapping(pid_t pid, struct mapping_cost *out, size_t max)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f || !max)
		return f ? (fclose(f), 0) : 0;
	size_t n = 0;
	struct mapping_cost *cur = NULL;
	while (fgets(line, sizeof(line), f)) {
		char range[64], name[400] = "";
		long kib;
		if (sscanf(line, "%63s %*s %*s %*s %*s %399s", range, name) >= 1 &&
		    strchr(range, '-') && !strchr(range, ':')) {
			const char *base = name[0] ? name : "[anon]";
			const char *slash = strrchr(base, '/');
			base = slash ? slash + 1 : base;
			cur = NULL;
			for (size_t i = 0; i < n && !cur; i++)
				if (!strcmp(out[i].name, base))
					cur = &out[i];
			if (!cur && n < max) {
				cur = &out[n++];
				memset(cur, 0, sizeof(*cur));
				snprintf(cur->name, sizeof(cur->name), "%.*s",
				         (int)sizeof(cur->name) - 1, base);
			}
			continue;
		}
		if (!cur || sscanf(line, "%*s %ld kB", &kib) != 1)
			continue;
		if (!strncmp(line, "Rss:", 4))
			cur->rss += kib;
		else if (!strncmp(line, "Pss:", 4))
			cur->pss += kib;
		else if (!strncmp(line, "Private_Clean:", 14))
			cur->private_clean += kib;
		else if (!strncmp(line, "Private_Dirty:", 14))
			cur->private_dirty += kib;
	}
	fclose(f);
	qsort(out, n, sizeof(*out), by_rss);
	while (n && out[n - 1].rss == 0)
		n--;
	return n;
}

double procfs_cpu_secs(pid_t pid)
{
	clockid_t clk;
	struct timespec ts;
	if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return NAN;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long stat_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	unsigned long long utime, stime;
	/* fields 3..15 after the command: state ppid pgrp session tty tpgid
	 * flags minflt cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
	                 &stime) != 2)
		return -1;
	return (long long)(utime + stime);
}

int procfs_read(pid_t pid, struct procfs_sample *out, char *err, size_t errlen)
{
	char path[64];
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	out->hwm_kib = field_kib(path, "VmHWM");
	out->rss_kib = field_kib(path, "VmRSS");
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	long clean = field_kib(path, "Private_Clean"), dirty = field_kib(path, "Private_Dirty");
	out->private_kib = clean < 0 || dirty < 0 ? -1 : clean + dirty;
	out->pss_kib = field_kib(path, "Pss");
	out->cpu_secs = procfs_cpu_secs(pid);
	out->stat_ticks = stat_ticks(pid);
	if (out->hwm_kib < 0 || out->private_kib < 0 || isnan(out->cpu_secs) ||
	    threads_of(pid, &out->threads, &out->ctx_switches) < 0) {
		snprintf(err, errlen, "/proc/%d: process gone or unreadable", (int)pid);
		return -1;
	}
	return 0;
}

void procfs_self_memory(long *hwm_kib, long *rss_kib)
{
	*hwm_kib = field_kib("/proc/self/status", "VmHWM");
	*rss_kib = field_kib("/proc/self/status", "VmRSS");
}

long procfs_minflt(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command may hold spaces */
	long v = -1;
	/* after ")": state ppid pgrp session tty tpgid flags minflt */
	if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %ld", &v) != 1)
		v = -1;
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double procfs_fault_cost_us(void)
{
	enum { PAGES = 256, ROUNDS = 9 };
	double per[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		char *m = mmap(NULL, PAGES * 4096L, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NAN;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < PAGES; i++)
			((volatile char *)m)[i * 4096] = 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		munmap(m, PAGES * 4096L);
		per[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
		         1e3 / PAGES;
	}
	qsort(per, ROUNDS, sizeof(per[0]), cmp_double);
	return per[ROUNDS / 2];
}

bool procfs_is_static(const char *path)
{
	Elf64_Ehdr eh;
	bool interp = false;
	FILE *f = fopen(path, "rbe");
	if (!f)
		return false;
	bool elf = fread(&eh, sizeof(eh), 1, f) == 1 && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	           eh.e_ident[EI_CLASS] == ELFCLASS64;
	for (int i = 0; elf && i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) != 0 ||
		    fread(&ph, sizeof(ph), 1, f) != 1) {
			elf = false;
			break;
		}
		interp |= ph.p_type == PT_INTERP;
	}
	fclose(f);
	return elf && !interp;
}

long procfs_stripped_size(const char *path, char *err, size_t errlen)
{
	char tmp[] = "/tmp/bench-strip.XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "mkstemp: %s", strerror(errno));
		return -1;
	}
	close(fd);
	char *argv[] = {"strip", "-o", tmp, (char *)path, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "strip", NULL, NULL, argv, environ), st = 0;
	if (rc != 0) {
		snprintf(err, errlen, "cannot run strip: %s", strerror(rc));
		unlink(tmp);
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	struct stat sb;
	long size = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		snprintf(err, errlen, "strip -o %s %s failed", tmp, path);
	else if (stat(tmp, &sb) < 0)
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	else
		size = (long)sb.st_size;
	unlink(tmp);
	return size;
}

int procfs_self_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own */
}

long procfs_listen_drops(void)
{
	FILE *f = fopen("/proc/net/netstat", "re");
	char names[4096], values[4096];
	long v = -1;
	while (f && fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		char *sn, *sv;
		char *n = strtok_r(names, " \n", &sn), *x = strtok_r(values, " \n", &sv);
		for (; n && x; n = strtok_r(NULL, " \n", &sn), x = strtok_r(NULL, " \n", &sv))
			if (!strcmp(n, "ListenDrops"))
				v = strtol(x, NULL, 10);
	}
	if (f)
		fclose(f);
	return v;
}

int procfs_kill_below(const char *dir)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t dl = strlen(dir);
	int killed = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 1 || pid == getpid())
			continue;
		char link[64], cwd[4096];
		snprintf(link, sizeof(link), "/proc/%ld/cwd", pid);
		ssize_t n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n <= 0)
			continue;
		cwd[n] = '\0';
		if (strncmp(cwd, dir, dl) == 0 &&
		    (cwd[dl] == '/' || cwd[dl] == '\0' || cwd[dl] == ' ')) {
			kill((pid_t)pid, SIGKILL);
			killed++;
		}
	}
	closedir(d);
	return killed;
}
