#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugins/authhook.h"
#include "ctlproto.h"
#include "error.h"
#include "fsutil.h"
#include "helper.h"
#include "hookexec.h"
#include "jsonutil.h"
#include "log.h"
#include "text.h"
#include "util.h"

#define OUTPUT_MAX 4096
#define REQUEST_MAX (64 * 1024)

/* ---- running one hook ---- */

/* What a hook wrote: its standard output (certbot's CERTBOT_AUTH_OUTPUT,
 * the first OUTPUT_MAX bytes) and the tail of its error output. */
struct hook_out {
	char buf[OUTPUT_MAX + 1];
	size_t len;
	struct text_tail err;
};

/* Read what FD has into O's output (ERR false) or error tail. False at
 * its end or on an error. */
static bool drain(int fd, struct hook_out *o, bool err)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (err) {
		text_tail_add(&o->err, chunk, (size_t)n);
	} else if (o->len < OUTPUT_MAX) { /* beyond the cap, read and dropped */
		size_t take = (size_t)n < OUTPUT_MAX - o->len ? (size_t)n : OUTPUT_MAX - o->len;

		memcpy(o->buf + o->len, chunk, take);
		o->len += take;
	}
	return true;
}

/* Milliseconds left of TIMEOUT seconds since START. */
static long ms_left(const struct timespec *start, int timeout)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)timeout * 1000 - ((now.tv_sec - start->tv_sec) * 1000 +
				       (now.tv_nsec - start->tv_nsec) / 1000000);
}

/* Read FDS[0] (stdout) and FDS[1] (stderr) into O until both end or
 * TIMEOUT seconds pass (true). Closes them. */
static bool collect(int fds[2], struct hook_out *o, int timeout)
{
	struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN },
			       { .fd = fds[1], .events = POLLIN } };
	struct timespec start;
	bool timed_out = false;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		long left = ms_left(&start, timeout);

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && p[i].revents && !drain(p[i].fd, o, i == 1))
				p[i].fd = -1; /* poll() skips a negative descriptor */
	}
	close(fds[0]);
	close(fds[1]);
	return timed_out;
}

/* Run CMD under /bin/sh -c with ENV, its output (at most OUTPUT_MAX bytes,
 * trailing white space removed) in *OUT, the tail of its error output in
 * O->err. Its exit status, or -1 if it was killed or could not start;
 * *TIMED_OUT when TIMEOUT seconds passed. */
static int run(const char *cmd, char *const *env, int timeout, struct hook_out *o, char **out,
	       bool *timed_out)
{
	int pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, status = -1;
	pid_t pid = -1;

	*out = NULL;
	*timed_out = false;
	if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		for (int i = 0; i < 2; i++) {
			if (pout[i] >= 0)
				close(pout[i]);
			if (perr[i] >= 0)
				close(perr[i]);
		}
		return -1;
	}
	if (pid == 0)
		hookexec_child(cmd, env, pout[1], perr[1]);
	setpgid(pid, pid);
	close(pout[1]);
	close(perr[1]);
	*timed_out = collect((int[2]){ pout[0], perr[0] }, o, timeout);
	if (*timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Whatever it left running in its group goes with it. */
	kill(-pid, SIGKILL);
	while (o->len > 0 && (o->buf[o->len - 1] == '\n' || o->buf[o->len - 1] == ' ' ||
			      o->buf[o->len - 1] == '\t' || o->buf[o->len - 1] == '\r'))
		o->len--;
	o->buf[o->len] = '\0';
	*out = strdup(o->buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- the runner ---- */

struct done {
	char *key;    /* "TYPE DOMAIN VALIDATION" */
	char *output; /* the auth hook's */
};

struct runner {
	const struct authhook_conf *c;
	struct done *v;
	size_t n;
	char err[HELPER_ERR_MAX];
};

static int refuse(struct runner *k, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct runner *k, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->err, sizeof(k->err), fmt, ap);
	va_end(ap);
	return r;
}

/* DOMAIN is one of the job's names, or the base of one of its wildcards
 * (an authorization names "example.com" for "*.example.com"). */
static bool job_domain(const struct authhook_conf *c, const char *domain)
{
	for (size_t i = 0; domain && i < c->ndomains; i++) {
		const char *d = c->domains[i];

		if (strcasecmp(d, domain) == 0 ||
		    (strncmp(d, "*.", 2) == 0 && strcasecmp(d + 2, domain) == 0))
			return true;
	}
	return false;
}

/* base64url, and '.' for an http-01 key authorization. */
static bool token_chars(const char *s, bool dot)
{
	if (!s || !*s || strlen(s) > 512)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || (dot && *s == '.')))
			return false;
	return true;
}

static char *env_var(const char *name, const char *value)
{
	char *s = NULL;

	if (asprintf(&s, "%s=%s", name, value) < 0)
		return NULL;
	return s;
}

/* Run K's auth (AUTH) or cleanup hook with ENV, its output in *OUT. 0, or
 * ACMED_EHOOK with K->err saying how it failed and the end of what it
 * wrote to stderr (logged in any case: certbot logs it too). */
static int run_hook(struct runner *k, bool auth, char *const *env, char **out)
{
	const char *which = auth ? "auth" : "cleanup";
	struct hook_out *o = calloc(1, sizeof(*o));
	const char *err;
	bool timed_out;
	int status, r = 0;

	if (!o)
		return -ENOMEM;
	status = run(auth ? k->c->auth_hook : k->c->cleanup_hook, env, k->c->timeout, o, out,
		     &timed_out);
	err = text_tail_get(&o->err);
	if (*err)
		log_warning("the manual %s hook wrote to stderr: %s", which, err);
	if (timed_out)
		r = refuse(k, ACMED_EHOOK, "the %s hook was killed after %d s%s%s", which,
			   k->c->timeout, *err ? "; its error output: " : "", err);
	else if (status != 0)
		r = refuse(k, ACMED_EHOOK, "the %s hook failed with exit status %d%s%s", which,
			   status, *err ? "; its error output: " : "", err);
	free(o);
	return r;
}

static int op_hook(struct runner *k, struct json_object *req, bool auth)
{
	const struct authhook_conf *c = k->c;
	const char *domain = jobj_str(req, "domain"), *type = jobj_str(req, "type");
	const char *token = jobj_str(req, "token"), *validation = jobj_str(req, "validation");
	long long remaining = jobj_int(req, "remaining", -1);
	char *extra[8] = { 0 }, **env = NULL, *all = NULL, *key = NULL, *out = NULL, num[24];
	struct done *d = NULL;
	size_t n = 0, len = 0;
	bool http = streq(type, "http-01");
	int r = 0;

	if (!job_domain(c, domain))
		return refuse(k, -EPERM, "%s is not one of this job's names", str_or_empty(domain));
	if (!http && !streq(type, "dns-01"))
		return refuse(k, -EINVAL, "the manual hooks answer http-01 and dns-01 only");
	if (!token_chars(validation, http) || (http ? !token_chars(token, false) : token != NULL))
		return refuse(k, -EINVAL, "a validation (and for http-01 a token) in base64url");
	if (remaining < 0 || remaining > 2 * (long long)c->ndomains)
		return refuse(k, -EINVAL, "remaining: out of range");
	if (asprintf(&key, "%s %s %s", type, domain, validation) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < k->n && !d; i++)
		if (streq(k->v[i].key, key))
			d = &k->v[i];
	if (!auth && !d) {
		free(key);
		return refuse(k, -EPERM, "no auth hook ran for that challenge");
	}
	if (!auth && !c->cleanup_hook) {
		free(key);
		return 0;
	}
	for (size_t i = 0; i < c->ndomains; i++)
		len += strlen(c->domains[i]) + 1;
	all = calloc(1, len + 1);
	for (size_t i = 0; all && i < c->ndomains; i++)
		strcat(strcat(all, i ? "," : ""), c->domains[i]);
	snprintf(num, sizeof(num), "%lld", remaining);
	extra[n++] = env_var("CERTBOT_DOMAIN", domain);
	extra[n++] = env_var("CERTBOT_VALIDATION", validation);
	if (http)
		extra[n++] = env_var("CERTBOT_TOKEN", token);
	extra[n++] = env_var("CERTBOT_REMAINING_CHALLENGES", num);
	extra[n++] = env_var("CERTBOT_ALL_DOMAINS", all ? all : "");
	if (!auth)
		extra[n++] = env_var("CERTBOT_AUTH_OUTPUT", d->output ? d->output : "");
	for (size_t i = 0; i < n; i++)
		if (!extra[i])
			r = -ENOMEM;
	if (r == 0 && !(env = hookexec_env(auth ? "manual-auth" : "manual-cleanup", extra, n)))
		r = -ENOMEM;
	if (r == 0) {
		log_info("%s hook for %s (%s): running %s", auth ? "manual auth" : "manual cleanup",
			 domain, type, auth ? c->auth_hook : c->cleanup_hook);
		r = run_hook(k, auth, env, &out);
	}
	if (r == 0 && auth && !d) {
		struct done *v = realloc(k->v, (k->n + 1) * sizeof(*v));

		if (v) {
			k->v = v;
			v[k->n++] = (struct done){ key, out };
			key = out = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(extra[i]);
	strv_free_nt(env);
	free(all);
	free(key);
	free(out);
	return r;
}

static int op_auth(void *state, struct json_object *req, struct json_object *out, char *err,
		   size_t errlen)
{
	struct runner *k = state;
	int r;

	(void)out;
	k->err[0] = '\0';
	r = op_hook(k, req, true);
	if (r < 0)
		snprintf(err, errlen, "%s", k->err);
	return r;
}

static int op_cleanup(void *state, struct json_object *req, struct json_object *out, char *err,
		      size_t errlen)
{
	struct runner *k = state;
	int r;

	(void)out;
	k->err[0] = '\0';
	r = op_hook(k, req, false);
	if (r < 0)
		snprintf(err, errlen, "%s", k->err);
	return r;
}

static const struct helper_op ops[] = { { "auth", op_auth }, { "cleanup", op_cleanup } };

/* The request loop of a runner on FD (exposed for the tests). */
static int authhook_serve(const struct authhook_conf *c, int fd)
{
	struct runner k = { .c = c };
	int r = helper_serve(fd, ops, ELEMENTSOF(ops), &k, REQUEST_MAX, "hook runner");

	for (size_t i = 0; i < k.n; i++) {
		free(k.v[i].key);
		free(k.v[i].output);
	}
	free(k.v);
	return r;
}

static int runner_main(void *arg, int fd)
{
	return authhook_serve(arg, fd);
}

int authhook_start(const struct authhook_conf *c, struct helper *l)
{
	*l = HELPER_INIT("the hook runner");
	return helper_start(l, "acmed-authhook", runner_main, (void *)c);
}

void authhook_stop(struct helper *l)
{
	helper_stop(l);
}

static int call(struct helper *l, const char *op, const char *domain, const char *type,
		const char *token, const char *validation, int remaining)
{
	struct json_object *req = helper_request(op);

	if (!req)
		return -ENOMEM;
	json_object_object_add(req, "domain", json_object_new_string(domain));
	json_object_object_add(req, "type", json_object_new_string(type));
	if (token)
		json_object_object_add(req, "token", json_object_new_string(token));
	json_object_object_add(req, "validation", json_object_new_string(validation));
	json_object_object_add(req, "remaining", json_object_new_int(remaining));
	return helper_call(l, req, REQUEST_MAX, NULL);
}

int authhook_auth(struct helper *l, const char *domain, const char *type,
		  const char *token, const char *validation, int remaining)
{
	return call(l, "auth", domain, type, token, validation, remaining);
}

int authhook_cleanup(struct helper *l, const char *domain, const char *type,
		     const char *token, const char *validation, int remaining)
{
	return call(l, "cleanup", domain, type, token, validation, remaining);
}
