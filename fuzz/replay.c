/* A main for a fuzz target built without libFuzzer (the plain and sanitizer
 * builds): feeds every file named on the command line, or found in a
 * directory named there, to LLVMFuzzerTestOneInput once, so the seed corpus
 * and every input that once crashed (fuzz/regressions/<target>/) run as a
 * ctest test with any compiler. A broken property aborts (CHECK), which
 * fails the test; otherwise it prints how many inputs ran.
 *   replay_<target> DIR_OR_FILE... */
#include "fuzz.h"

#include "common/file.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	char err[512];
	size_t len = 0;
	char *buf = file_read(path, &len, err, sizeof(err));
	if (!buf) {
		fprintf(stderr, "replay: %s\n", err);
		return -1;
	}
	/* An exact-size copy, so ASan sees reads past the input's end. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	int files = 0, failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			if (errno == ENOENT)
				continue; /* no regressions for this target (yet) */
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed += run_file(argv[i]) < 0;
			files++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, by_name);
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
			if (names[k]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				failed += run_file(path) < 0;
				files++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("%d inputs replayed, %d unreadable\n", files, failed);
	return failed ? 1 : 0;
}
