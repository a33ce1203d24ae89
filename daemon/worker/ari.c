#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctlproto.h"
#include "acme/acme.h"
#include "daemon/worker/ari.h"
#include "error.h"
#include "log.h"
#include "daemon/privsep/sandbox.h"
#include "util.h"

static void emit(int fd, struct json_object *ev)
{
	dprintf(fd, "%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(ev);
}

static void check_one(struct acme_client *c, const char *name, const char *id, int ev_fd)
{
	struct acme_renewal_info ri = { 0 };
	struct json_object *ev = json_object_new_object();
	int r = acme_renewal_info_get(c, id, &ri);

	json_object_object_add(ev, "event", json_object_new_string("ari"));
	json_object_object_add(ev, "name", json_object_new_string(name));
	json_object_object_add(ev, "cert_id", json_object_new_string(id));
	json_object_object_add(ev, "retry_after", json_object_new_int64(ri.retry_after));
	if (r < 0) {
		log_warning("ARI for %s: %s", name, c->err[0] ? c->err : acmed_strerror(r));
		json_object_object_add(ev, "error",
				       json_object_new_string(c->err[0] ? c->err : acmed_strerror(r)));
	} else {
		log_debug("ARI for %s: window %lld to %lld", name, (long long)ri.start,
			  (long long)ri.end);
		json_object_object_add(ev, "start", json_object_new_int64(ri.start));
		json_object_object_add(ev, "end", json_object_new_int64(ri.end));
		if (ri.explanation)
			json_object_object_add(ev, "explanation",
					       json_object_new_string(ri.explanation));
	}
	acme_renewal_info_clear(&ri);
	emit(ev_fd, ev);
}

struct json_object *ari_check_run(const char *server, const struct acmed_config *cfg,
				  char *const *names, char *const *ids, size_t n, int ev_fd)
{
	struct json_object *reply = json_object_new_object();
	struct acme_client *c = NULL;
	char err[256] = "";
	/* An ARI check needs no key and no file of the state: none it gets. */
	int r = sandbox_worker(NULL, cfg->ca_bundle, NULL, 0, NULL, 0, err, sizeof(err));

	if (r < 0 && r != -EOPNOTSUPP)
		log_warning("could not confine the ARI check: %s", err);
	r = acme_client_new(server, cfg->ca_bundle, cfg->acme_timeout, &c);
	if (r == 0)
		r = acme_directory_load(c);
	if (r < 0) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "loading the CA's directory failed: %s",
			 c && c->err[0] ? c->err : acmed_strerror(r));
		log_warning("%s", msg);
		ctl_reply_set_error(reply, r, NULL, msg);
		acme_client_free(c);
		return reply;
	}
	for (size_t i = 0; c->dir.renewal_info && i < n; i++) {
		c->err[0] = '\0';
		check_one(c, names[i], ids[i], ev_fd);
	}
	json_object_object_add(reply, "status", json_object_new_int(0));
	json_object_object_add(reply, "ari", json_object_new_boolean(c->dir.renewal_info != NULL));
	acme_client_free(c);
	return reply;
}
