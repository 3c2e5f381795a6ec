/* /proc snapshots (procscan.h). */
#include "procscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct procscan_entry *procscan_snapshot(size_t *n)
{
	DIR *d = opendir("/proc");
	if (!d)
		return NULL;
	struct procscan_entry *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	pid_t self = getpid();
	*n = 0;
	while ((de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0 || p == self)
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%ld/stat", p);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		const char *rp = strrchr(buf, ')');
		char state;
		int ppid, pgrp, session;
		if (!rp || sscanf(rp + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4 ||
		    state == 'Z')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			struct procscan_entry *nv = realloc(v, cap * sizeof(*nv));
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = (struct procscan_entry){(pid_t)p, ppid, pgrp, session, false};
	}
	closedir(d);
	return v;
}

bool procscan_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int fd = len ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return true;
}
