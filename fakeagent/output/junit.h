/* JUnit XML for CI: one <testsuite> per scenario file, one <testcase> per
 * step, with <failure> or <skipped>. */
#ifndef FAKEAGENT_OUTPUT_JUNIT_H
#define FAKEAGENT_OUTPUT_JUNIT_H

#include <stdbool.h>
#include <stdio.h>

struct junit_case {
	const char *name;
	double secs;
	bool skipped;
	const char *failure; /* NULL when passed */
};

struct junit_suite {
	const char *name;
	const char *file;
	const struct junit_case *cases;
	size_t n;
};

/* Writes the whole document; 0, or -1 when the file cannot be written. */
int junit_write(const char *path, const struct junit_suite *suites, size_t n);

#endif
