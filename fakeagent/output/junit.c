/* JUnit XML writer (see junit.h). */
#include "junit.h"

#include <stdio.h>

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

int junit_write(const char *path, const struct junit_suite *suites, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t tests = 0, failures = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < suites[i].n; k++) {
			tests++;
			failures += suites[i].cases[k].failure != NULL;
		}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", tests, failures);
	for (size_t i = 0; i < n; i++) {
		const struct junit_suite *s = &suites[i];
		size_t fails = 0, skips = 0;
		double secs = 0;
		for (size_t k = 0; k < s->n; k++) {
			fails += s->cases[k].failure != NULL;
			skips += s->cases[k].skipped;
			secs += s->cases[k].secs;
		}
		fputs("  <testsuite name=\"", f);
		esc(f, s->name);
		fprintf(f,
		        "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\" file=\"",
		        s->n, fails, skips, secs);
		esc(f, s->file);
		fputs("\">\n", f);
		for (size_t k = 0; k < s->n; k++) {
			const struct junit_case *c = &s->cases[k];
			fputs("    <testcase classname=\"", f);
			esc(f, s->name);
			fputs("\" name=\"", f);
			esc(f, c->name);
			fprintf(f, "\" time=\"%.3f\"", c->secs);
			if (c->failure) {
				fputs(">\n      <failure message=\"", f);
				esc(f, c->failure);
				fputs("\"/>\n    </testcase>\n", f);
			} else if (c->skipped) {
				fputs(">\n      <skipped/>\n    </testcase>\n", f);
			} else {
				fputs("/>\n", f);
			}
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
