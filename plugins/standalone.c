/* standalone: small built-in responders for the life of the job. The
 * sockets are bound in the worker (so "port in use" is reported at once);
 * a forked child answers http-01's GET /.well-known/acme-challenge/TOKEN,
 * another tls-alpn-01's handshakes (tlsalpn.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "jws.h"
#include "log.h"
#include "plugins/plugin.h"
#include "plugins/tlsalpn.h"
#include "util.h"

#define PREFIX "GET /.well-known/acme-challenge/"

struct authn_state {
	pid_t pid[2]; /* the http-01 and tls-alpn-01 responders, or 0 */
};

struct authn_job {
	const struct authn_config *cfg;
};

static void standalone_teardown(struct authn_job *job)
{
	free(job);
}

static int standalone_setup(const struct authn_setup *s, struct authn_job **job, char *err,
			    size_t errlen)
{
	const struct authn_config *cfg = s->cfg;
	unsigned char buf[16];

	if (cfg->http01_address && inet_pton(AF_INET, cfg->http01_address, buf) != 1 &&
	    inet_pton(AF_INET6, cfg->http01_address, buf) != 1) {
		snprintf(err, errlen, "--http-01-address %s is not an IP address",
			 cfg->http01_address);
		return ACMED_EUSAGE;
	}
	*job = calloc(1, sizeof(**job));
	if (!*job)
		return -ENOMEM;
	(*job)->cfg = cfg;
	return 0;
}

static int listen_on(const char *address, int port, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (address && inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else {
		/* Default: every address, IPv4 and IPv6 on one dual-stack socket. */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_any;
		if (address)
			inet_pton(AF_INET6, address, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "standalone: cannot listen on %s port %d: %s",
		 address ? address : "all addresses", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

static void respond(int fd, const struct authn_challenge *chal, size_t n)
{
	char req[2048], resp[1024];
	size_t used = 0;
	const char *ka = NULL;
	struct timeval tv = { .tv_sec = 5 };
	int len;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Read up to the end of the request line; nothing else matters. */
	while (used < sizeof(req) - 1 && !memchr(req, '\n', used)) {
		ssize_t r = read(fd, req + used, sizeof(req) - 1 - used);

		if (r <= 0)
			return;
		used += (size_t)r;
	}
	req[used] = '\0';
	if (strncmp(req, PREFIX, strlen(PREFIX)) == 0) {
		const char *tok = req + strlen(PREFIX);
		size_t toklen = strcspn(tok, " ?\r\n");

		for (size_t i = 0; i < n; i++)
			if (strlen(chal[i].token) == toklen && strncmp(tok, chal[i].token, toklen) == 0)
				ka = chal[i].key_authorization;
	}
	if (ka)
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			       strlen(ka), ka);
	else
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
			       "Connection: close\r\n\r\n");
	if (len > 0 && write(fd, resp, (size_t)len) < 0)
		return;
}

/* Die with the worker, whatever happens to it; hold nothing of its but the
 * listening socket (the worker's progress pipe must reach EOF when the
 * worker exits). */
static void responder_setup(int lfd)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	log_close();
	if (lfd > 3)
		close_range(3, (unsigned)lfd - 1, 0);
	close_range((unsigned)lfd + 1, ~0U, 0);
	signal(SIGTERM, SIG_DFL);
}

static _Noreturn void serve(int lfd, const struct authn_challenge *chal, size_t n)
{
	responder_setup(lfd);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		respond(fd, chal, n);
		close(fd);
	}
}

static void standalone_cleanup(struct authn_job *job, struct authn_state *st)
{
	(void)job;
	if (!st)
		return;
	for (int i = 0; i < 2; i++) {
		if (st->pid[i] <= 0)
			continue;
		kill(st->pid[i], SIGTERM);
		while (waitpid(st->pid[i], NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(st);
}

/* Start the responder for the challenges of TYPE (index I of st->pid). */
static int start_responder(struct authn_state *st, int i, const struct authn_config *cfg,
			   const struct authn_challenge *chal, size_t n, char *err,
			   size_t errlen)
{
	bool tls = i == 1;
	int port = tls ? (cfg->tlsalpn01_port ? cfg->tlsalpn01_port : 443)
		       : (cfg->http01_port ? cfg->http01_port : 80);
	struct tlsalpn *t = NULL;
	int lfd;
	pid_t pid;

	if (tls && !(t = tlsalpn_new(chal, n))) {
		snprintf(err, errlen, "tls-alpn-01: could not make the challenge certificates");
		return ACMED_ECRYPTO;
	}
	lfd = listen_on(cfg->http01_address, port, err, errlen);
	if (lfd < 0) {
		tlsalpn_free(t);
		return lfd;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "standalone: fork: %s", strerror(errno));
		tlsalpn_free(t);
		close(lfd);
		return -errno;
	}
	if (pid == 0) {
		if (!tls)
			serve(lfd, chal, n);
		responder_setup(lfd);
		tlsalpn_serve(lfd, t);
	}
	close(lfd);
	tlsalpn_free(t);
	st->pid[i] = pid;
	log_debug("standalone %s responder %d listening on port %d", tls ? "tls-alpn-01"
									 : "http-01",
		  (int)pid, port);
	return 0;
}

static int standalone_perform(struct authn_job *job, const struct authn_challenge *chal,
			      size_t n, struct authn_state **out, char *err, size_t errlen)
{
	const struct authn_config *cfg = job->cfg;
	struct authn_state *st;
	bool want[2] = { false, false };
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		if (!b64url_valid(chal[i].token)) {
			snprintf(err, errlen, "the CA sent a token that is not base64url");
			return ACMED_EPROTO;
		}
		want[streq(chal[i].type, "tls-alpn-01")] = true;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (int i = 0; r == 0 && i < 2; i++)
		if (want[i])
			r = start_responder(st, i, cfg, chal, n, err, errlen);
	if (r < 0) {
		standalone_cleanup(job, st);
		return r;
	}
	*out = st;
	return 0;
}

const struct authenticator authn_standalone = {
	.setup = standalone_setup,
	.perform = standalone_perform,
	.cleanup = standalone_cleanup,
	.teardown = standalone_teardown,
};
