/* Durations (common/duration.h): stout's spelling as the agent writes it in
 * the executor's environment ("5secs"), Go's as ALLEGRO_EXECUTOR_* variables
 * and Consul use ("1m30s"); both parse exactly and format back. The Go table
 * was produced by Go's own time.Duration.String(). */
#include "testsupport.h"

#include "common/duration.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define S    DURATION_NS_PER_SEC
#define MIN  (60 * S)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)
#define WEEK (7 * DAY)

static void test_mesos_spellings_parse_to_nanoseconds(void **state)
{
	static const struct {
		const char *text;
		int64_t ns;
	} cases[] = {
	    {"5secs", 5 * S},
	    {"1.5secs", 1500000000},
	    {"250ms", 250000000},
	    {"15mins", 15 * MIN},
	    {"2hrs", 2 * HOUR},
	    {"1days", DAY},
	    {"1weeks", WEEK},
	    {"10us", 10000},
	    {"7ns", 7},
	    {"0.5ms", 500000},
	    {"0ns", 0},
	    {".5secs", 500000000},
	    {"1.000000001secs", 1000000001},
	    {"604800.000000001secs", WEEK + 1},
	    {"1.0000000000003125weeks", WEEK + 189},
	    {"9223372036854775807ns", INT64_MAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ns = -1;
		if (duration_parse_mesos(cases[i].text, &ns) != 0)
			fail_msg("'%s' rejected", cases[i].text);
		if (ns != cases[i].ns)
			fail_msg("'%s' -> %lld, want %lld", cases[i].text, (long long)ns,
			         (long long)cases[i].ns);
		/* duration_parse takes both syntaxes */
		assert_int_equal(duration_parse(cases[i].text, &ns), 0);
		assert_true(ns == cases[i].ns);
	}
}

static void test_malformed_mesos_spellings_are_rejected(void **state)
{
	static const char *bad[] = {"",
	                            "5",
	                            "secs",
	                            "5 secs",
	                            "-5secs",
	                            "+5secs",
	                            "5sec",
	                            "5secsx",
	                            "5s",
	                            "1.2.3secs",
	                            ".secs",
	                            "1e3secs",
	                            "9223372036854775808ns",
	                            "15251weeks",
	                            "5SECS"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns = 42;
		if (duration_parse_mesos(bad[i], &ns) == 0)
			fail_msg("'%s' accepted as %lld", bad[i], (long long)ns);
		assert_true(ns == 42); /* untouched on error */
	}
	int64_t ns;
	assert_int_equal(duration_parse_mesos(NULL, &ns), -1);
}

static void test_go_spellings_parse_like_go(void **state)
{
	/* Results checked against Go's time.ParseDuration. */
	static const struct {
		const char *text;
		int64_t ns;
	} cases[] = {
	    {"5s", 5 * S},
	    {"1m30s", 90 * S},
	    {"300ms", 300000000},
	    {"1.5h", 5400 * S},
	    {"1h2m3s4ms5us6ns", 3723004005006},
	    {".5s", 500000000},
	    {"5.s", 5 * S},
	    {"1\xc2\xb5s", 1000},
	    {"1\xce\xbcs", 1000},
	    {"0", 0},
	    {"00s", 0},
	    {"1.0000000001s", 1000000000},
	    {"1.9ns", 1},
	    {"2562047h47m16.854775807s", INT64_MAX},
	    {"9223372036854775807ns", INT64_MAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ns = -1;
		if (duration_parse_go(cases[i].text, &ns) != 0)
			fail_msg("'%s' rejected", cases[i].text);
		if (ns != cases[i].ns)
			fail_msg("'%s' -> %lld, want %lld", cases[i].text, (long long)ns,
			         (long long)cases[i].ns);
	}
}

static void test_malformed_or_negative_go_spellings_are_rejected(void **state)
{
	/* Go accepts a sign; configuration durations here never are negative. */
	static const char *bad[] = {"",
	                            "5",
	                            "s",
	                            "1x",
	                            "1e3s",
	                            "-5s",
	                            "+5s",
	                            "5s ",
	                            " 5s",
	                            "1h-1m",
	                            "2562047h47m16.854775808s",
	                            "9223372036854775808ns",
	                            "99999999999999999999s",
	                            "5secs"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns = 42;
		if (duration_parse_go(bad[i], &ns) == 0)
			fail_msg("'%s' accepted as %lld", bad[i], (long long)ns);
		assert_true(ns == 42);
	}
}

static void test_format_mesos_picks_the_largest_unit_that_stays_exact(void **state)
{
	static const struct {
		int64_t ns;
		const char *text;
	} cases[] = {
	    {0, "0ns"},
	    {1, "1ns"},
	    {999, "999ns"},
	    {1500, "1.5us"},
	    {250000000, "250ms"},
	    {5 * S, "5secs"},
	    {1500000000, "1.5secs"},
	    {90 * S, "1.5mins"},
	    {100 * S, "100secs"}, /* 1.666...mins is not exact */
	    {15 * MIN, "15mins"},
	    {HOUR, "1hrs"},
	    {DAY, "1days"},
	    {8 * DAY, "8days"},
	    {2 * WEEK, "2weeks"},
	    {1000000001, "1.000000001secs"},
	    {WEEK + 1, "604800.000000001secs"},
	    {WEEK + 189, "1.0000000000003125weeks"},
	    {INT64_MAX, "9223372036.854775807secs"},
	    {-5, "0ns"}, /* negative durations are clamped */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		duration_format_mesos(cases[i].ns, buf, sizeof(buf));
		if (strcmp(buf, cases[i].text) != 0)
			fail_msg("%lld -> '%s', want '%s'", (long long)cases[i].ns, buf,
			         cases[i].text);
	}
}

static void test_format_go_matches_go_duration_string(void **state)
{
	/* Produced by Go 1.19's time.Duration(v).String(). */
	static const struct {
		int64_t ns;
		const char *text;
	} cases[] = {
	    {0LL, "0s"},
	    {1LL, "1ns"},
	    {999LL, "999ns"},
	    {1000LL, "1\xc2\xb5s"},
	    {1100LL, "1.1\xc2\xb5s"},
	    {1500LL, "1.5\xc2\xb5s"},
	    {999999LL, "999.999\xc2\xb5s"},
	    {1000000LL, "1ms"},
	    {2200000LL, "2.2ms"},
	    {250000000LL, "250ms"},
	    {999999999LL, "999.999999ms"},
	    {1000000000LL, "1s"},
	    {1500000000LL, "1.5s"},
	    {3300000000LL, "3.3s"},
	    {5000000000LL, "5s"},
	    {60000000000LL, "1m0s"},
	    {90000000000LL, "1m30s"},
	    {245000000000LL, "4m5s"},
	    {245001000000LL, "4m5.001s"},
	    {3600000000000LL, "1h0m0s"},
	    {3601000000000LL, "1h0m1s"},
	    {18367001000000LL, "5h6m7.001s"},
	    {480000000001LL, "8m0.000000001s"},
	    {86400000000000LL, "24h0m0s"},
	    {604800000000000LL, "168h0m0s"},
	    {INT64_MAX, "2562047h47m16.854775807s"},
	    {INT64_MIN, "-2562047h47m16.854775808s"},
	    {-1500000000LL, "-1.5s"},
	    {-1LL, "-1ns"},
	    {-1100LL, "-1.1\xc2\xb5s"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		duration_format_go(cases[i].ns, buf, sizeof(buf));
		if (strcmp(buf, cases[i].text) != 0)
			fail_msg("%lld -> '%s', want '%s'", (long long)cases[i].ns, buf,
			         cases[i].text);
	}
}

static void test_both_spellings_round_trip(void **state)
{
	static const int64_t vals[] = {0,
	                               1,
	                               999,
	                               1000,
	                               1001,
	                               123456789,
	                               S,
	                               1500000000,
	                               90 * S,
	                               100 * S,
	                               HOUR + 1,
	                               DAY,
	                               WEEK,
	                               WEEK + 1,
	                               WEEK + 189,
	                               3 * WEEK + 5 * DAY + 7,
	                               1700000000123456789LL,
	                               INT64_MAX};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char buf[64];
		int64_t back = -1;
		duration_format_mesos(vals[i], buf, sizeof(buf));
		if (duration_parse_mesos(buf, &back) != 0 || back != vals[i])
			fail_msg("%lld -> '%s' -> %lld", (long long)vals[i], buf, (long long)back);
		duration_format_go(vals[i], buf, sizeof(buf));
		if (duration_parse_go(buf, &back) != 0 || back != vals[i])
			fail_msg("%lld -> '%s' -> %lld", (long long)vals[i], buf, (long long)back);
	}
}

static void test_small_buffers_are_truncated_not_overrun(void **state)
{
	char buf[4];
	duration_format_go(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "-25");
	duration_format_mesos(1500000000, buf, sizeof(buf));
	assert_string_equal(buf, "1.5");
}

static void test_seconds_convert_with_rounding_and_saturation(void **state)
{
	assert_true(duration_from_secs(1.5) == 1500000000);
	assert_true(duration_from_secs(0.0000000004) == 0);
	assert_true(duration_from_secs(0.0000000006) == 1);
	assert_true(duration_from_secs(-2) == -2 * S);
	assert_true(duration_from_secs(1e300) == INT64_MAX);
	assert_true(duration_from_secs(-1e300) == INT64_MIN);
	assert_true(duration_from_secs(NAN) == 0);
	assert_true(duration_to_secs(250000000) == 0.25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mesos_spellings_parse_to_nanoseconds),
	    cmocka_unit_test(test_malformed_mesos_spellings_are_rejected),
	    cmocka_unit_test(test_go_spellings_parse_like_go),
	    cmocka_unit_test(test_malformed_or_negative_go_spellings_are_rejected),
	    cmocka_unit_test(test_format_mesos_picks_the_largest_unit_that_stays_exact),
	    cmocka_unit_test(test_format_go_matches_go_duration_string),
	    cmocka_unit_test(test_both_spellings_round_trip),
	    cmocka_unit_test(test_small_buffers_are_truncated_not_overrun),
	    cmocka_unit_test(test_seconds_convert_with_rounding_and_saturation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
