/* The job runner's tests (test_job.c, test_job_cancel.c): the runner
 * (daemon/jobs/job.c) over a fake child layer that records each child
 * without forking; the tests play the child's part. */
#pragma once

#include "daemon/jobs/job.c"

#include "test.h"

/* ---- the fake child layer ---- */

#define FAKE_MAX 16

struct fake_child {
	struct child *c;  /* the job's own: valid until its job finishes */
	char *spec;       /* what its process would have read on fd 0 */
	int signal;       /* the last signal sent, 0 if none */
	bool abandoned;
};

static struct {
	struct fake_child kids[FAKE_MAX];
	int n;
	int fail;         /* child_start returns this once, if not 0 */
} fake;

static inline char *fd_read_all(int fd)
{
	char *buf = NULL;
	size_t len = 0;
	char chunk[4096];
	ssize_t r;

	TEST_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek spec fd: %s", strerror(errno));
	while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
		buf = realloc(buf, len + (size_t)r + 1);
		ASSERT_NONNULL(buf);
		memcpy(buf + len, chunk, (size_t)r);
		len += (size_t)r;
	}
	ASSERT_TRUE(r == 0);
	ASSERT_NONNULL(buf);
	buf[len] = '\0';
	return buf;
}

int child_start(struct daemon *d, struct child *c)
{
	const struct job *j = c->ctx;
	struct fake_child *k;

	if (fake.fail) {
		int r = fake.fail;

		fake.fail = 0;
		return r;
	}
	ASSERT_TRUE(fake.n < FAKE_MAX);
	k = &fake.kids[fake.n++];
	k->c = c;
	k->spec = fd_read_all(j->spec_fd);
	c->pid = 1000 + fake.n;
	return 0;
}

void child_signal(const struct child *c, int sig)
{
	for (int i = 0; i < fake.n; i++)
		if (fake.kids[i].c == c)
			fake.kids[i].signal = sig;
}

void child_abandon(struct daemon *d, struct child *c)
{
	for (int i = 0; i < fake.n; i++)
		if (fake.kids[i].c == c)
			fake.kids[i].abandoned = true;
}

static inline void fake_clear(void)
{
	for (int i = 0; i < fake.n; i++)
		free(fake.kids[i].spec);
	memset(&fake, 0, sizeof(fake));
}

/* The started child number I (0 first) writes LINE. */
static inline void child_says(struct daemon *d, int i, const char *line)
{
	char *copy = strdup(line);

	ASSERT_TRUE(i < fake.n);
	ASSERT_NONNULL(fake.kids[i].c);
	ASSERT_NONNULL(copy);
	fake.kids[i].c->ops->on_line(d, fake.kids[i].c->ctx, copy);
	free(copy);
}

/* The started child number I ends. */
static inline void child_ends(struct daemon *d, int i, int status, int sig, bool timed_out)
{
	struct child_exit e = { .exit_status = status, .signal = sig, .timed_out = timed_out };

	ASSERT_TRUE(i < fake.n);
	ASSERT_NONNULL(fake.kids[i].c);
	fake.kids[i].c->ops->on_exit(d, fake.kids[i].c->ctx, &e);
	fake.kids[i].c = NULL; /* freed with its job */
}

/* ---- the metrics: the requests a job reports ---- */

static struct {
	int n;
	char endpoint[32];
	int status;
	double seconds;
} requests;

void metrics_count_request(struct daemon *d, const char *endpoint, int status, double seconds)
{
	requests.n++;
	snprintf(requests.endpoint, sizeof(requests.endpoint), "%s", str_or_empty(endpoint));
	requests.status = status;
	requests.seconds = seconds;
}

/* ---- what the submitter sees ---- */

#define SEEN_MAX 16

struct seen {
	int done_ids[SEEN_MAX];
	char *replies[SEEN_MAX];   /* as JSON text */
	bool busy_in_done[SEEN_MAX];
	unsigned count_in_done[SEEN_MAX];
	int ndone;
	int event_ids[SEEN_MAX];
	char *events[SEEN_MAX];
	int nevents;
	const char *name;          /* the lineage job_busy() is asked about */
	bool allow;                /* what may_start answers */
	int may_start_calls;
	int ndropped;              /* on_drop calls */
};

static inline void seen_clear(struct seen *s)
{
	for (int i = 0; i < s->ndone; i++)
		free(s->replies[i]);
	for (int i = 0; i < s->nevents; i++)
		free(s->events[i]);
}

static inline void on_drop(struct daemon *d, void *ctx)
{
	struct seen *s = ctx;

	(void)d;
	s->ndropped++;
}

static inline void on_done(struct daemon *d, void *ctx, int id, struct json_object *reply)
{
	struct seen *s = ctx;

	ASSERT_TRUE(s->ndone < SEEN_MAX);
	ASSERT_NONNULL(reply);
	s->done_ids[s->ndone] = id;
	s->replies[s->ndone] = strdup(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	s->busy_in_done[s->ndone] = s->name && job_busy(d, s->name);
	s->count_in_done[s->ndone] = job_count(d);
	s->ndone++;
}

static inline void on_event(struct daemon *d, void *ctx, int id, struct json_object *ev)
{
	struct seen *s = ctx;

	ASSERT_TRUE(s->nevents < SEEN_MAX);
	s->event_ids[s->nevents] = id;
	s->events[s->nevents] = strdup(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	s->nevents++;
}

static inline bool may_start(void *ctx)
{
	struct seen *s = ctx;

	s->may_start_calls++;
	return s->allow;
}

static inline void daemon_init(struct daemon *d, int max_parallel)
{
	memset(d, 0, sizeof(*d));
	ASSERT_INT_EQ(config_defaults(&d->cfg), 0);
	d->cfg.max_parallel_jobs = max_parallel;
	log_set_level(LOG_LVL_ERROR);
}

static inline void daemon_fini(struct daemon *d)
{
	job_stop_all(d);
	config_clear(&d->cfg);
	fake_clear();
}

static inline int submit(struct daemon *d, struct seen *s, const char *name, int port)
{
	struct job_spec spec = {
		.kind = "issue",
		.label = "renew",
		.what = name ? name : "",
		.name = name,
		.port = port,
		.on_event = on_event,
		.on_done = on_done,
		.on_drop = on_drop,
		.ctx = s,
	};
	int id = job_submit(d, &spec);

	ASSERT_TRUE(id > 0);
	return id;
}

/* The state ("queued", "running") of job ID in job_list_json(), NULL if
 * it is not listed; its step into STEP (caller frees), if asked. */
static inline char *listed_state(const struct daemon *d, int id, char **step)
{
	struct json_object *list = job_list_json(d);
	char *state = NULL;

	ASSERT_NONNULL(list);
	if (step)
		*step = NULL;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i);

		if (jobj_int(o, "id", -1) != id)
			continue;
		state = strdup(jobj_str(o, "state"));
		if (step && jobj_str(o, "step"))
			*step = strdup(jobj_str(o, "step"));
	}
	json_object_put(list);
	return state;
}

static inline void assert_state(const struct daemon *d, int id, const char *want)
{
	char *state = listed_state(d, id, NULL);

	TEST_CHECK(state && strcmp(state, want) == 0, "job %d: state %s, expected %s", id,
		   state ? state : "(not listed)", want);
	free(state);
}

/* The job whose child is started child number I. */
static inline int kid_job_id(int i)
{
	ASSERT_TRUE(i < fake.n);
	ASSERT_NONNULL(fake.kids[i].c);
	return ((const struct job *)fake.kids[i].c->ctx)->id;
}

/* ---- the tests ---- */
