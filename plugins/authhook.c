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
#include "util.h"

#define OUTPUT_MAX 4096
#define REQUEST_MAX (64 * 1024)

/* ---- running one hook ---- */

/* The runner's socket to its job, -1 in the tests: when the job ends
 * (cancelled, or killed for its time) while a hook runs, the runner
 * stops the hook and ends too. */
static int job_fd = -1;

/* Run CMD under /bin/sh -c with ENV, its output (at most OUTPUT_MAX bytes,
 * trailing white space removed) in *OUT. Its exit status, or -1 if it was
 * killed or could not start; *TIMED_OUT when TIMEOUT seconds passed. */
static int run(const char *cmd, char *const *env, int timeout, char **out, bool *timed_out)
{
	char buf[OUTPUT_MAX + 1];
	size_t len = 0;
	int pfd[2], status = -1;
	struct timespec start, now;
	pid_t pid;

	*out = NULL;
	*timed_out = false;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0)
		hookexec_child(cmd, env, pfd[1]);
	setpgid(pid, pid);
	close(pfd[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p[2] = { { .fd = pfd[0], .events = POLLIN }, { .fd = job_fd } };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)timeout * 1000 - ((now.tv_sec - start.tv_sec) * 1000 +
					      (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			*timed_out = true;
			break;
		}
		if (poll(p, job_fd >= 0 ? 2 : 1, (int)left) < 0 && errno != EINTR)
			break;
		if (p[1].revents & (POLLHUP | POLLERR)) {
			kill(-pid, SIGKILL); /* the job is gone */
			_exit(1);
		}
		if (!p[0].revents)
			continue;
		n = read(pfd[0], buf + len, len < OUTPUT_MAX ? OUTPUT_MAX - len : sizeof(buf) - 1);
		if (n <= 0)
			break;
		if (len < OUTPUT_MAX)
			len += (size_t)n; /* beyond the cap, read and dropped */
	}
	close(pfd[0]);
	if (*timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Whatever it left running in its group goes with it. */
	kill(-pid, SIGKILL);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
			   buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	*out = strdup(buf);
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
	char err[512];
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

static int op_hook(struct runner *k, struct json_object *req, bool auth)
{
	const struct authhook_conf *c = k->c;
	const char *domain = jobj_str(req, "domain"), *type = jobj_str(req, "type");
	const char *token = jobj_str(req, "token"), *validation = jobj_str(req, "validation");
	long long remaining = jobj_int(req, "remaining", -1);
	char *extra[8] = { 0 }, **env = NULL, *all = NULL, *key = NULL, *out = NULL, num[24];
	struct done *d = NULL;
	size_t n = 0, len = 0;
	bool http = streq(type, "http-01"), timed_out;
	int status, r = 0;

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
		status = run(auth ? c->auth_hook : c->cleanup_hook, env, c->timeout, &out,
			     &timed_out);
		if (timed_out)
			r = refuse(k, ACMED_EHOOK, "the %s hook was killed after %d s",
				   auth ? "auth" : "cleanup", c->timeout);
		else if (status != 0)
			r = refuse(k, ACMED_EHOOK, "the %s hook failed with exit status %d",
				   auth ? "auth" : "cleanup", status);
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
	job_fd = fd;
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
