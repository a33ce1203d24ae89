/* acmed-job: one job of acmed, in a process of its own (DESIGN.md,
 * "Process model"). The daemon execs it for every issuance, renewal, ARI
 * check and task, so it starts from a clean address space: nothing of
 * another job's request or secrets is in its memory, and its layout is its
 * own. It reads what to do as one JSON object on fd 0 ({"job", "kind",
 * "name", "log", "config", "args", and "verbosity" when its client asked
 * for the job's log lines}), writes progress and its result as
 * JSON lines on fd 3, logs on stderr (or where the daemon logs), and exits.
 * Only acmed runs it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "acme/http.h"
#include "ctlproto.h"
#include "config.h"
#include "daemon/worker/account.h"
#include "daemon/worker/ari.h"
#include "daemon/worker/cancel.h"
#include "daemon/worker/check.h"
#include "daemon/worker/issue.h"
#include "daemon/worker/progress.h"
#include "daemon/worker/revoke.h"
#include "error.h"
#include "issue_req.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

/* Its spec is a request and the configuration: a few KiB, a CSR at most. */
#define SPEC_MAX (4 * 1024 * 1024)

static struct json_object *run_issue(struct json_object *args, const struct acmed_config *cfg,
				     int ev_fd)
{
	struct issue_req req;
	struct json_object *reply;

	if (issue_req_from_json(args, &req) < 0)
		return NULL;
	reply = issue_run(&req, cfg, ev_fd);
	issue_req_clear(&req);
	return reply;
}

static struct json_object *run_ari(struct json_object *args, const struct acmed_config *cfg,
				   int ev_fd)
{
	struct json_object *names = NULL, *ids = NULL, *reply = NULL;
	char **nv = NULL, **iv = NULL;
	size_t n;

	if (!json_object_object_get_ex(args, "names", &names) ||
	    !json_object_object_get_ex(args, "ids", &ids) || !jobj_str(args, "server") ||
	    (n = json_object_array_length(names)) != json_object_array_length(ids))
		return NULL;
	nv = calloc(n + 1, sizeof(char *));
	iv = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; nv && iv && i < n; i++) {
		nv[i] = (char *)json_object_get_string(json_object_array_get_idx(names, i));
		iv[i] = (char *)json_object_get_string(json_object_array_get_idx(ids, i));
	}
	if (nv && iv)
		reply = ari_check_run(jobj_str(args, "server"), cfg, nv, iv, n, ev_fd);
	free(nv);
	free(iv);
	return reply;
}

static const struct {
	const char *kind;
	struct json_object *(*run)(struct json_object *args, const struct acmed_config *cfg,
				   int ev_fd);
	bool cancellable; /* until it commits (cancel.h) */
} kinds[] = {
	{ "issue", run_issue, true },	    { "ari", run_ari, true },
	{ "revoke", revoke_task, false },   { "account", account_task, false },
	{ "check", check_task, true },	    { "repair", check_task, false },
};

/* The whole of fd 0. */
static struct json_object *read_spec(void)
{
	return ctl_read_whole(0, SPEC_MAX);
}

/* Each request to the CA, one line each before the result, for the
 * daemon's metrics: {"event":"request","endpoint":...,"status":...,
 * "seconds":...}. */
static void report_requests(void)
{
	struct json_object *all = http_stats_take();

	for (size_t i = 0; all && i < json_object_array_length(all); i++) {
		struct json_object *r = json_object_array_get_idx(all, i);
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string("request"));
		json_object_object_add(o, "endpoint",
				       json_object_get(json_object_array_get_idx(r, 0)));
		json_object_object_add(o, "status", json_object_get(json_object_array_get_idx(r, 1)));
		json_object_object_add(o, "seconds",
				       json_object_get(json_object_array_get_idx(r, 2)));
		dprintf(3, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	json_object_put(all);
}

int main(int argc, char **argv)
{
	struct json_object *spec = read_spec(), *args = NULL, *cfgj = NULL, *reply = NULL, *line;
	struct acmed_config cfg = { 0 };
	const char *kind = jobj_str(spec, "kind");
	struct timespec t0, t1;
	struct rusage ru, ru_children;
	enum log_level lvl;
	size_t i;

	(void)argc;
	(void)argv;
	prctl(PR_SET_NAME, "acmed-worker");
	signal(SIGPIPE, SIG_IGN);
	cancel_init();
	log_use_sink(jobj_str(spec, "log"));
	if (!spec || !json_object_object_get_ex(spec, "config", &cfgj) ||
	    !json_object_object_get_ex(spec, "args", &args) || config_from_json(cfgj, &cfg) < 0) {
		log_error("acmed-job: no job to run on fd 0 (only acmed starts this program)");
		json_object_put(spec);
		return 2;
	}
	if (log_parse_level(cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	progress_forward_logs(3, (int)jobj_int(spec, "verbosity", 0));
	for (i = 0; i < ELEMENTSOF(kinds) && !streq(kind, kinds[i].kind); i++)
		;
	/* A revocation, an account change or a repair is not cut off
	 * halfway: only issuance, ARI and check jobs can be cancelled while
	 * they run (job_cancellable()). */
	if (i < ELEMENTSOF(kinds) && !kinds[i].cancellable)
		cancel_commit(-1);
	log_set_context((int)jobj_int(spec, "job", 0), jobj_str(spec, "name"),
			streq(kind, "ari") ? "ARI" : streq(kind, "issue") ? "(csr)" : kind);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (i < ELEMENTSOF(kinds))
		reply = kinds[i].run(args, &cfg, 3);
	if (!reply)
		reply = ctl_error_reply(ACMED_EUSAGE, NULL, "acmed-job: a job it cannot run");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	getrusage(RUSAGE_CHILDREN, &ru_children);
	/* The children (signer, responder) are reaped by now: the largest
	 * one's peak. */
	log_info("worker done in %.3f s, peak memory %ld KiB, largest child %ld KiB",
		 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		 ru.ru_maxrss, ru_children.ru_maxrss);
	report_requests();
	line = json_object_new_object();
	json_object_object_add(line, "event", json_object_new_string("result"));
	json_object_object_add(line, "reply", reply);
	dprintf(3, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	json_object_put(line);
	json_object_put(spec);
	config_clear(&cfg);
	return 0;
}
