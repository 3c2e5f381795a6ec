/* docs/troubleshooting.md's table of log lines says what the executor
 * writes: every `msg` it lists (placeholders like <n> and ... stand for
 * anything) is the whole of a message the code logs (a string literal of
 * executor/, hooks/ or common/ and their sub-folders, its printf conversions
 * standing for the placeholders), at the level the table gives wherever the literal sits in
 * a log call; and the words of every termination cause are in the table. So
 * the page cannot drift from the code again. */
#include "testsupport.h"

#include "common/log.h"
#include "executor/executor.h"

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK '\001' /* a printf conversion in a literal */

struct literal {
	char *text; /* unescaped, adjacent literals joined, conversions as MARK */
	int level;  /* LOG_* of the log call it sits in, or -1 */
	char where[400];
};

static struct literal *lits;
static size_t nlits, caplits;

static void add_literal(const char *text, int level, const char *file, int line)
{
	if (nlits == caplits) {
		caplits = caplits ? caplits * 2 : 1024;
		lits = realloc(lits, caplits * sizeof(*lits));
		assert_non_null(lits);
	}
	lits[nlits].text = strdup(text);
	lits[nlits].level = level;
	snprintf(lits[nlits].where, sizeof(lits[0].where), "%s:%d", file, line);
	nlits++;
}

/* The log level of the statement that ends at `code[end]`: the last log
 * call named since the previous ';', '{' or '}' (code has literals and
 * comments blanked out). */
static int statement_level(const char *code, size_t end)
{
	size_t b = end;
	while (b > 0 && code[b - 1] != ';' && code[b - 1] != '{' && code[b - 1] != '}')
		b--;
	static const struct {
		const char *token;
		int level;
	} calls[] = {{"log_debug", LOG_DEBUG}, {"log_info", LOG_INFO},   {"log_warn", LOG_WARN},
	             {"log_error", LOG_ERROR}, {"LOG_DEBUG", LOG_DEBUG}, {"LOG_INFO", LOG_INFO},
	             {"LOG_WARN", LOG_WARN},   {"LOG_ERROR", LOG_ERROR}};
	int level = -1;
	size_t best = 0;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		size_t n = strlen(calls[i].token);
		for (size_t p = b; p + n <= end; p++)
			if (strncmp(code + p, calls[i].token, n) == 0 && p + 1 > best) {
				best = p + 1;
				level = calls[i].level;
			}
	}
	return level;
}

/* Replaces each printf conversion of a format with MARK ("%%" stays "%"). */
static void mark_conversions(char *s)
{
	char *o = s;
	for (const char *p = s; *p;) {
		if (*p != '%') {
			*o++ = *p++;
			continue;
		}
		p++;
		if (*p == '%') {
			*o++ = *p++;
			continue;
		}
		p += strspn(p, "-+ #0123456789.*");
		p += strspn(p, "hlLqjzt");
		if (*p)
			p++; /* the conversion letter */
		*o++ = MARK;
	}
	*o = '\0';
}

/* Collects the string literals of one C file. */
static void read_source(const char *path, const char *name)
{
	size_t len;
	char *src = ts_read_file(path, &len);
	assert_non_null(src);
	char *code = strdup(src); /* src with comments and literals blanked */
	char *buf = malloc(len + 1);
	assert_true(code && buf);
	size_t blen = 0, start = 0;
	bool in_lit = false; /* a literal (maybe joined) is being read */
	int line = 1, lit_line = 0;

	for (size_t i = 0; i < len;) {
		char c = src[i];
		if (c == '\n')
			line++;
		if (c == '/' && i + 1 < len && src[i + 1] == '/') {
			while (i < len && src[i] != '\n')
				code[i++] = ' ';
			continue;
		}
		if (c == '/' && i + 1 < len && src[i + 1] == '*') {
			for (; i < len && !(src[i] == '*' && i + 1 < len && src[i + 1] == '/'); i++)
				if (src[i] == '\n')
					line++;
				else
					code[i] = ' ';
			if (i < len)
				code[i] = code[i + 1] = ' ', i += 2;
			continue;
		}
		if (c == '\'') { /* a character literal */
			code[i++] = ' ';
			while (i < len && src[i] != '\'') {
				if (src[i] == '\\')
					code[i++] = ' ';
				code[i++] = ' ';
			}
			if (i < len)
				code[i++] = ' ';
			continue;
		}
		if (c == '"') {
			if (!in_lit) {
				in_lit = true;
				blen = 0;
				start = i;
				lit_line = line;
			}
			code[i++] = ' ';
			while (i < len && src[i] != '"') {
				if (src[i] == '\\' && i + 1 < len) {
					char e = src[i + 1];
					buf[blen++] = e == 'n' ? '\n' : e == 't' ? '\t' : e;
					code[i] = code[i + 1] = ' ';
					i += 2;
					continue;
				}
				buf[blen++] = src[i];
				code[i++] = ' ';
			}
			if (i < len)
				code[i++] = ' ';
			continue;
		}
		if (in_lit && c != ' ' && c != '\t' && c != '\n') {
			buf[blen] = '\0';
			mark_conversions(buf);
			add_literal(buf, statement_level(code, start), name, lit_line);
			in_lit = false;
		}
		i++;
	}
	free(buf);
	free(code);
	free(src);
}

/* Every .c file of `rel` (relative to the source tree) and of its
 * sub-folders (executor/logship/, executor/telemetry/, ...). */
static void read_dir(const char *root, const char *rel)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		char path[1400], name[300];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(name, sizeof(name), "%s/%s", rel, de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR)
			read_dir(root, name);
		else if (n >= 3 && strcmp(de->d_name + n - 2, ".c") == 0)
			read_source(path, name);
	}
	closedir(dp);
}

static void read_sources(void)
{
	const char *dirs[] = {"executor", "hooks", "common"};
	const char *root = ts_env("SOURCE_DIR", ".");
	for (size_t d = 0; d < 3; d++)
		read_dir(root, dirs[d]);
}

/* An anchored regex for a documented message: `<...>` and `...` match
 * anything, the rest itself. */
static void doc_regex(const char *msg, regex_t *re)
{
	char pat[2048];
	size_t n = 0;
	pat[n++] = '^';
	for (const char *p = msg; *p && n + 8 < sizeof(pat);) {
		const char *close = *p == '<' ? strchr(p, '>') : NULL;
		if (close) {
			n += (size_t)snprintf(pat + n, sizeof(pat) - n, ".*");
			p = close + 1;
		} else if (strncmp(p, "...", 3) == 0) {
			n += (size_t)snprintf(pat + n, sizeof(pat) - n, ".*");
			p += 3;
		} else {
			if (strchr("\\^$.[]|()*+?{}", *p))
				pat[n++] = '\\';
			pat[n++] = *p++;
		}
	}
	pat[n++] = '$';
	pat[n] = '\0';
	if (regcomp(re, pat, REG_EXTENDED | REG_NOSUB) != 0)
		fail_msg("cannot compile a regex for %s", msg);
}

static int level_of(const char *cell)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (strstr(cell, names[i]))
			return i;
	return -1;
}

/* The table rows of the "Log lines worth knowing" section: "| level | msg | ...". */
static char *log_table(char *doc)
{
	char *sec = strstr(doc, "## Log lines worth knowing");
	assert_non_null(sec);
	char *end = strstr(sec + 3, "\n## ");
	if (end)
		*end = '\0';
	return sec;
}

static void test_every_documented_log_line_is_a_message_the_code_logs(void **state)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/troubleshooting.md", ts_env("SOURCE_DIR", "."));
	char *doc = ts_read_file(path, NULL);
	assert_non_null(doc);
	read_sources();
	assert_true(nlits > 500);

	int rows = 0, msgs = 0, bad = 0;
	char *save = NULL;
	for (char *ln = strtok_r(log_table(doc), "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		if (strncmp(ln, "| ", 2) != 0 || strstr(ln, "| --- |") || strstr(ln, "| Level |"))
			continue;
		char *cell2 = strchr(ln + 1, '|');
		char *cell3 = cell2 ? strchr(cell2 + 1, '|') : NULL;
		assert_non_null(cell3);
		*cell2 = '\0';
		*cell3 = '\0';
		int level = level_of(ln);
		assert_true(level >= 0);
		rows++;
		/* Each `...` in the msg cell is one message. */
		for (char *q = strchr(cell2 + 1, '`'); q; q = strchr(q + 1, '`')) {
			char *e = strchr(q + 1, '`');
			assert_non_null(e);
			*e = '\0';
			regex_t re;
			doc_regex(q + 1, &re);
			bool found = false, level_ok = false;
			char levels[2048] = "";
			for (size_t i = 0; i < nlits; i++) {
				if (regexec(&re, lits[i].text, 0, NULL, 0) != 0)
					continue;
				found = true;
				level_ok |= lits[i].level == level || lits[i].level < 0;
				snprintf(levels + strlen(levels), sizeof(levels) - strlen(levels),
				         " %.200s(%d)", lits[i].where, lits[i].level);
			}
			regfree(&re);
			msgs++;
			if (!found) {
				fprintf(stderr, "documented but never logged: `%s`\n", q + 1);
				bad++;
			} else if (!level_ok) {
				fprintf(stderr, "`%s` is logged at another level than %s:%s\n",
				        q + 1, ln, levels);
				bad++;
			}
			q = e;
		}
	}
	printf("troubleshooting.md: %d rows, %d messages checked against %zu literals\n", rows,
	       msgs, nlits);
	assert_true(rows > 30);
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < nlits; i++)
		free(lits[i].text);
	free(lits);
	lits = NULL;
	nlits = caplits = 0;
	free(doc);
}

static void test_every_termination_cause_has_its_words_in_the_table(void **state)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/troubleshooting.md", ts_env("SOURCE_DIR", "."));
	char *doc = ts_read_file(path, NULL);
	assert_non_null(doc);
	char *row = strstr(log_table(doc), "`terminating the task (");
	assert_non_null(row);
	char *eol = strchr(row, '\n');
	if (eol)
		*eol = '\0';
	for (int c = EX_CAUSE_EXITED; c <= EX_CAUSE_EXPIRED; c++) {
		char quoted[128];
		snprintf(quoted, sizeof(quoted), "`%s`", ex_cause_text((enum ex_cause)c));
		if (!strstr(row, quoted))
			fail_msg("the 'terminating the task' row lacks %s", quoted);
		for (int d = EX_CAUSE_EXITED; d < c; d++)
			assert_string_not_equal(ex_cause_text((enum ex_cause)c),
			                        ex_cause_text((enum ex_cause)d));
	}
	free(doc);
}

/* The exit code table: one row per code the executor has, each with its
 * name and number as executor/executor.h defines them. */
static void test_the_exit_code_table_is_the_executors(void **state)
{
	static const struct {
		int code;
		const char *name;
	} codes[] = {{EX_EXIT_OK, "EX_EXIT_OK"},
	             {EX_EXIT_CONFIG, "EX_EXIT_CONFIG"},
	             {EX_EXIT_NO_ACK, "EX_EXIT_NO_ACK"},
	             {EX_EXIT_AGENT_LOST, "EX_EXIT_AGENT_LOST"},
	             {EX_EXIT_INTERNAL, "EX_EXIT_INTERNAL"}};
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/troubleshooting.md", ts_env("SOURCE_DIR", "."));
	char *doc = ts_read_file(path, NULL);
	assert_non_null(doc);
	char *sec = strstr(doc, "## Exit codes");
	assert_non_null(sec);
	char *end = strstr(sec + 3, "\n## ");
	if (end)
		*end = '\0';
	int rows = 0;
	for (char *ln = strstr(sec, "\n| "); ln; ln = strstr(ln + 1, "\n| ")) {
		int code;
		char name[64];
		if (sscanf(ln, "\n| %d | `%63[A-Z_]` |", &code, name) != 2)
			continue;
		rows++;
		bool known = false;
		for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (strcmp(codes[i].name, name) == 0) {
				known = true;
				if (codes[i].code != code)
					fail_msg(
					    "troubleshooting.md gives %s as %d, the code has %d",
					    name, code, codes[i].code);
			}
		if (!known)
			fail_msg("troubleshooting.md names an exit code %s the executor has not",
			         name);
	}
	assert_int_equal(rows, (int)(sizeof(codes) / sizeof(codes[0])));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_documented_log_line_is_a_message_the_code_logs),
	    cmocka_unit_test(test_every_termination_cause_has_its_words_in_the_table),
	    cmocka_unit_test(test_the_exit_code_table_is_the_executors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
