/* The benchmark's results for people (a table: median and [min..max] of
 * each figure, its target and whether the median meets it, other executors
 * side by side with their ratio to ours, the scale runs) and for machines
 * (one JSON document with every sample). */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* A value in the unit people read it in. */
static void fmt_value(enum bench_fig f, double v, char *buf, size_t len)
{
	const char *unit = bench_figs[f].unit;
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (!strcmp(unit, "KiB"))
		snprintf(buf, len, "%.2f MiB", v / 1024);
	else if (!strcmp(unit, "bytes"))
		snprintf(buf, len, "%.0f KB", v / 1000);
	else if (!strcmp(unit, "ms"))
		snprintf(buf, len, "%.2f ms", v);
	else if (!strcmp(unit, "us"))
		snprintf(buf, len, "%.0f us", v);
	else if (!strcmp(unit, "us/s"))
		snprintf(buf, len, "%.1f us/s", v);
	else if (!strcmp(unit, "/s") || !strcmp(unit, "/probe"))
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

/* "median [min..max]" without units in the brackets. */
static void fmt_spread(enum bench_fig f, const struct series *s, char *buf, size_t len)
{
	char med[32], lo[32], hi[32];
	fmt_value(f, series_median(s), med, sizeof(med));
	if (s->n < 2) {
		snprintf(buf, len, "%s", med);
		return;
	}
	fmt_value(f, series_min(s), lo, sizeof(lo));
	fmt_value(f, series_max(s), hi, sizeof(hi));
	char *sp = strchr(lo, ' ');
	if (sp)
		*sp = '\0';
	sp = strchr(hi, ' ');
	if (sp)
		*sp = '\0';
	snprintf(buf, len, "%.31s [%.15s..%.15s]", med, lo, hi);
}

/* The floor a probe figure is measured against (NaN for other figures). */
static double floor_of(const struct bench_report *r, enum bench_fig f)
{
	return f == FIG_HTTP_PROBE  ? series_median(&r->floor_http)
	       : f == FIG_TCP_PROBE ? series_median(&r->floor_tcp)
	                            : NAN;
}

static const char *met_text(const struct bench_report *r, enum bench_fig f, double median)
{
	double floor = floor_of(r, f);
	if (isnan(median))
		return "";
	if (!isnan(floor))
		return median <= FLOOR_FACTOR * floor ? "yes" : "NO";
	if (!bench_figs[f].target)
		return "";
	return median <= bench_figs[f].target ? "yes" : "NO";
}

/* The probe floor's rows: its CPU per probe, and each executor's multiple of it. */
static void floor_rows(const struct bench_report *r, FILE *out)
{
	const enum bench_fig figs[] = {FIG_HTTP_PROBE, FIG_TCP_PROBE};
	const struct series *floors[] = {&r->floor_http, &r->floor_tcp};
	if (!r->floor_http.n && !r->floor_tcp.n)
		return;
	fprintf(out, "\nthe probe floor (bench/probe_floor: the same probe, library and interval, "
	             "nothing else), CPU per probe:\n");
	for (int i = 0; i < 2; i++) {
		char cell[96];
		fmt_spread(figs[i], floors[i], cell, sizeof(cell));
		fprintf(out, "  %-4s %-24s", figs[i] == FIG_HTTP_PROBE ? "HTTP" : "TCP", cell);
		for (size_t k = 0; k < r->n_execs; k++) {
			double m = series_median(&r->execs[k].fig[figs[i]]),
			       fl = floor_of(r, figs[i]);
			if (!isnan(m) && !isnan(fl) && fl > 0)
				fprintf(out, "  %s: %.2fx", r->execs[k].label, m / fl);
		}
		fprintf(out, "\n");
	}
}

static void executors_table(const struct bench_report *r, FILE *out)
{
	const struct bench_exec *ours = &r->execs[0];
	fprintf(out, "%-46s %-13s %-28.28s %-4s", "figure", "target", ours->label, "met");
	for (size_t k = 1; k < r->n_execs; k++)
		fprintf(out, " | %-28.28s %-7s", r->execs[k].label, "ratio");
	fprintf(out, "\n");
	for (int f = 0; f < FIG_COUNT; f++) {
		char cell[96];
		double m = series_median(&ours->fig[f]);
		fmt_spread(f, &ours->fig[f], cell, sizeof(cell));
		fprintf(out, "%-46s %-13s %-28s %-4s", bench_figs[f].title,
		        bench_figs[f].target_text, cell, met_text(r, f, m));
		for (size_t k = 1; k < r->n_execs; k++) {
			double o = series_median(&r->execs[k].fig[f]);
			char ratio[16] = "-";
			if (!isnan(o) && !isnan(m) && m != 0)
				snprintf(ratio, sizeof(ratio), "%.2fx", o / m);
			fmt_spread(f, &r->execs[k].fig[f], cell, sizeof(cell));
			fprintf(out, " | %-28s %-7s", cell, ratio);
		}
		fprintf(out, "\n");
	}
}

static void scale_table(const struct bench_report *r, FILE *out)
{
	fprintf(out, "%6s %7s %7s %7s %9s %8s %8s %7s %7s %10s %11s %8s %7s %5s %5s %9s\n", "N",
	        "wall s", "launch s", "->RUN s", "->KILLD s", "->exit s", "RUNNING", "KILLED",
	        "exit 0", "agent CPU", "agent HWM", "updates", "unacked", "lost", "warn",
	        "leftovers");
	for (size_t i = 0; i < r->n_scale; i++) {
		const struct scale_result *s = &r->scale[i];
		fprintf(
		    out,
		    "%6d %7.2f %7.2f %7.2f %9.2f %8.2f %8d %7d %7d %8.2f s %7.1f MiB %8d %7d %5d "
		    "%5d %9d\n",
		    s->n, s->wall, s->launch_loop, s->launch_to_running, s->kill_to_killed,
		    s->kill_to_exited, s->running, s->killed, s->exited_zero, s->agent_cpu,
		    (double)s->agent_hwm_kib / 1024, s->updates, s->unacknowledged,
		    s->unacknowledged + s->tasks_incomplete, s->executor_warnings, s->leftovers);
		fprintf(out,
		        "       (agent: %d descriptors open with all RUNNING; listen drops on the "
		        "host: %ld)\n",
		        s->agent_fds, s->listen_drops);
		if (s->error[0])
			fprintf(out, "       ^ %s\n", s->error);
		if (s->first_warning[0])
			fprintf(out, "       ^ first executor warning: %s\n", s->first_warning);
	}
}

static void breakdown_table(const struct bench_exec *b, FILE *out)
{
	struct mapping_cost total = {.name = "total"};
	fprintf(out,
	        "\nmemory of %s by mapping, KiB (first run, idle, a second executor beside it)\n",
	        b->label);
	fprintf(out, "%-36s %7s %7s %9s %9s\n", "mapping", "Rss", "Pss", "Priv.Cln", "Priv.Dty");
	for (size_t i = 0; i <= b->n_map; i++) {
		const struct mapping_cost *m = i < b->n_map ? &b->map[i] : &total;
		fprintf(out, "%-36.36s %7ld %7ld %9ld %9ld\n", m->name, m->rss, m->pss,
		        m->private_clean, m->private_dirty);
		total.rss += m->rss;
		total.pss += m->pss;
		total.private_clean += m->private_clean;
		total.private_dirty += m->private_dirty;
	}
}

void report_table(const struct bench_report *r, FILE *out)
{
	fprintf(out,
	        "\nExecutor figures, %d runs each after a warm-up: median [min..max]; "
	        "\"met\": the median meets issue 15's target\n(load average before: %s)\n\n",
	        r->runs, r->load_before);
	executors_table(r, out);
	if (!isnan(r->fault_cost_us))
		fprintf(
		    out,
		    "\n(one page fault on fresh anonymous memory costs %.2f us on this machine)\n",
		    r->fault_cost_us);
	floor_rows(r, out);
	if (!isnan(r->probe_module_http_us) || !isnan(r->probe_module_tcp_us))
		fprintf(out,
		        "\nthe probe module alone (bench/health_probe_bench, no executor around "
		        "it): HTTP %.0f us, TCP %.0f us per probe\n",
		        r->probe_module_http_us, r->probe_module_tcp_us);
	for (size_t k = 0; k < r->n_execs; k++)
		if (r->execs[k].n_map)
			breakdown_table(&r->execs[k], out);
	for (size_t k = 0; k < r->n_execs; k++)
		if (r->execs[k].failures)
			fprintf(out, "\n%s: %d failed measurement(s):\n%s", r->execs[k].label,
			        r->execs[k].failures, r->execs[k].errors);
	if (r->n_scale) {
		fprintf(
		    out,
		    "\nScale: N executors of %s under one fake agent, all launched at once, "
		    "all killed at once\n(launch: first to last launch, one per loop turn; ->RUN: "
		    "first launch to "
		    "the last TASK_RUNNING;\n ->KILLD, ->exit: KILLs sent to the last TASK_KILLED, "
		    "to the last exit;\n lost: updates not acknowledged + tasks without RUNNING or "
		    "not ending KILLED;\n warn: warn/error lines in the executors' logs)\n\n",
		    r->execs[0].label);
		scale_table(r, out);
	}
}

/* ------------------------------------------------------------ JSON */

static cJSON *series_json(enum bench_fig f, const struct series *s)
{
	cJSON *j = cJSON_CreateObject();
	double m = series_median(s);
	cJSON_AddStringToObject(j, "unit", bench_figs[f].unit);
	cJSON_AddNumberToObject(j, "median", m);
	cJSON_AddNumberToObject(j, "min", series_min(s));
	cJSON_AddNumberToObject(j, "max", series_max(s));
	cJSON_AddItemToObject(j, "samples", cJSON_CreateDoubleArray(s->v, (int)s->n));
	if (bench_figs[f].target) {
		cJSON_AddNumberToObject(j, "target", bench_figs[f].target);
		if (!isnan(m))
			cJSON_AddBoolToObject(j, "target_met", m <= bench_figs[f].target);
	}
	return j;
}

static cJSON *exec_json(const struct bench_exec *b, const struct bench_exec *ours)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "path", b->path);
	cJSON_AddStringToObject(j, "label", b->label);
	cJSON *env = cJSON_AddArrayToObject(j, "environment");
	for (const char *const *e = b->env; *e; e++)
		cJSON_AddItemToArray(env, cJSON_CreateString(*e));
	cJSON_AddBoolToObject(j, "reference", b == ours);
	cJSON_AddNumberToObject(j, "failures", b->failures);
	if (b->errors[0])
		cJSON_AddStringToObject(j, "errors", b->errors);
	cJSON *figs = cJSON_AddObjectToObject(j, "figures");
	for (int f = 0; f < FIG_COUNT; f++)
		cJSON_AddItemToObject(figs, bench_figs[f].key, series_json(f, &b->fig[f]));
	if (b->n_map) {
		cJSON *maps = cJSON_AddArrayToObject(j, "memory_by_mapping_kib");
		for (size_t i = 0; i < b->n_map; i++) {
			cJSON *m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "mapping", b->map[i].name);
			cJSON_AddNumberToObject(m, "rss", (double)b->map[i].rss);
			cJSON_AddNumberToObject(m, "pss", (double)b->map[i].pss);
			cJSON_AddNumberToObject(m, "private_clean",
			                        (double)b->map[i].private_clean);
			cJSON_AddNumberToObject(m, "private_dirty",
			                        (double)b->map[i].private_dirty);
			cJSON_AddItemToArray(maps, m);
		}
	}
	if (b != ours) {
		cJSON *ratios = cJSON_AddObjectToObject(j, "ratio_to_reference");
		for (int f = 0; f < FIG_COUNT; f++) {
			double m = series_median(&ours->fig[f]), o = series_median(&b->fig[f]);
			cJSON_AddNumberToObject(ratios, bench_figs[f].key,
			                        !isnan(m) && !isnan(o) && m ? o / m : NAN);
		}
	}
	return j;
}

static cJSON *scale_json(const struct scale_result *s)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "executors", s->n);
	cJSON_AddBoolToObject(j, "completed", s->completed);
	cJSON_AddNumberToObject(j, "wall_s", s->wall);
	cJSON_AddNumberToObject(j, "launch_loop_s", s->launch_loop);
	cJSON_AddNumberToObject(j, "launch_to_all_running_s", s->launch_to_running);
	cJSON_AddNumberToObject(j, "kill_to_all_killed_s", s->kill_to_killed);
	cJSON_AddNumberToObject(j, "kill_to_all_exited_s", s->kill_to_exited);
	cJSON_AddNumberToObject(j, "agent_cpu_s", s->agent_cpu);
	cJSON_AddNumberToObject(j, "agent_vmhwm_kib", (double)s->agent_hwm_kib);
	cJSON_AddNumberToObject(j, "agent_rss_before_kib", (double)s->agent_rss_start_kib);
	cJSON_AddNumberToObject(j, "running", s->running);
	cJSON_AddNumberToObject(j, "killed", s->killed);
	cJSON_AddNumberToObject(j, "exited_zero", s->exited_zero);
	cJSON_AddNumberToObject(j, "exited_other", s->exited_other);
	cJSON_AddNumberToObject(j, "updates", s->updates);
	cJSON_AddNumberToObject(j, "unacknowledged", s->unacknowledged);
	cJSON_AddNumberToObject(j, "tasks_incomplete", s->tasks_incomplete);
	cJSON_AddNumberToObject(j, "updates_lost", s->unacknowledged + s->tasks_incomplete);
	cJSON_AddNumberToObject(j, "executor_log_warnings", s->executor_warnings);
	if (s->first_warning[0])
		cJSON_AddStringToObject(j, "first_executor_warning", s->first_warning);
	cJSON_AddNumberToObject(j, "leftover_processes", s->leftovers);
	cJSON_AddNumberToObject(j, "agent_fds_all_running", s->agent_fds);
	cJSON_AddNumberToObject(j, "listen_drops_host", (double)s->listen_drops);
	if (s->error[0])
		cJSON_AddStringToObject(j, "error", s->error);
	return j;
}

cJSON *report_json(const struct bench_report *r)
{
	cJSON *j = cJSON_CreateObject();
	struct utsname u;
	char when[32] = "";
	time_t now = time(NULL);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cJSON *m = cJSON_AddObjectToObject(j, "machine");
	cJSON_AddNumberToObject(m, "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
	if (uname(&u) == 0)
		cJSON_AddStringToObject(m, "kernel", u.release);
	cJSON_AddStringToObject(m, "loadavg_before", r->load_before);
	cJSON_AddStringToObject(m, "loadavg_after", r->load_after);
	cJSON_AddStringToObject(j, "date", when);
	cJSON_AddNumberToObject(m, "page_fault_us", r->fault_cost_us);
	cJSON_AddNumberToObject(j, "runs", r->runs);
	cJSON *execs = cJSON_AddArrayToObject(j, "executors");
	for (size_t k = 0; k < r->n_execs; k++)
		cJSON_AddItemToArray(execs, exec_json(&r->execs[k], &r->execs[0]));
	cJSON *fl = cJSON_AddObjectToObject(j, "probe_floor_us");
	cJSON_AddItemToObject(fl, "http", series_json(FIG_HTTP_PROBE, &r->floor_http));
	cJSON_AddItemToObject(fl, "tcp", series_json(FIG_TCP_PROBE, &r->floor_tcp));
	cJSON *mod = cJSON_AddObjectToObject(j, "probe_module_alone_us");
	cJSON_AddNumberToObject(mod, "http", r->probe_module_http_us);
	cJSON_AddNumberToObject(mod, "tcp", r->probe_module_tcp_us);
	cJSON *sc = cJSON_AddArrayToObject(j, "scale");
	for (size_t i = 0; i < r->n_scale; i++)
		cJSON_AddItemToArray(sc, scale_json(&r->scale[i]));
	return j;
}
