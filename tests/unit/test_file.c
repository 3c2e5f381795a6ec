/* Files read whole (common/file.h): the bytes as they are, NULs included,
 * with their length; a file past the reader's limit cut at it; and a file
 * that cannot be read named with errno's reason, never taken for an empty
 * one. */
#include "testsupport.h"

#include "common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static int setup(void **state)
{
	dir = ts_mkdtemp("test-file");
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(dir);
	free(dir);
	return 0;
}

static void write_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

static void test_a_file_is_read_whole_with_its_nuls_and_length(void **state)
{
	char path[512], err[256];
	size_t n = 20000, len = 0;
	char *big = malloc(n); /* more than one read's worth */
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i % 7 == 0 ? 0 : 'a' + i % 26);
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, big, n);
	char *got = file_read(path, &len, err, sizeof(err));
	assert_non_null(got);
	assert_int_equal(len, n);
	assert_memory_equal(got, big, n);
	assert_int_equal(got[n], '\0');
	free(got);
	free(big);
}

static void test_an_empty_file_reads_as_an_empty_string(void **state)
{
	char path[512], err[256];
	size_t len = 99;
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "", 0);
	char *got = file_read(path, &len, err, sizeof(err));
	assert_non_null(got);
	assert_int_equal(len, 0);
	assert_string_equal(got, "");
	free(got);
}

static void test_file_read_max_keeps_only_the_first_bytes(void **state)
{
	char path[512], err[256];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/long", dir);
	write_file(path, "0123456789", 10);
	char *got = file_read_max(path, 4, &len, err, sizeof(err));
	assert_non_null(got);
	assert_int_equal(len, 4);
	assert_string_equal(got, "0123");
	free(got);
}

static void test_a_missing_file_is_named_with_its_reason_and_errno(void **state)
{
	char path[512], err[256], want[600];
	snprintf(path, sizeof(path), "%s/none", dir);
	errno = 0;
	assert_null(file_read(path, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
}

static void test_a_directory_is_an_error_not_an_empty_file(void **state)
{
	char err[256], want[600];
	errno = 0;
	assert_null(file_read(dir, NULL, err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	assert_string_equal(err, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_file_is_read_whole_with_its_nuls_and_length),
	    cmocka_unit_test(test_an_empty_file_reads_as_an_empty_string),
	    cmocka_unit_test(test_file_read_max_keeps_only_the_first_bytes),
	    cmocka_unit_test(test_a_missing_file_is_named_with_its_reason_and_errno),
	    cmocka_unit_test(test_a_directory_is_an_error_not_an_empty_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
