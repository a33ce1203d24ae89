#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "daemon/control/cancel.h"
#include "daemon/control/conn.h"
#include "daemon/jobs/job.h"
#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

/* A client waiting for the job it cancels to end. */
struct cancel_wait {
	struct conn *client; /* NULL once it went away */
	char what[300];      /* "job 5 (certonly a.example)" */
	char *label, *name;
};

static void wait_free(struct cancel_wait *w)
{
	free(w->label);
	free(w->name);
	free(w);
}

static void lost_client(struct daemon *d, void *ctx, struct conn *c)
{
	struct cancel_wait *w = ctx;

	(void)d;
	(void)c;
	w->client = NULL;
}

static void ended(struct daemon *d, void *ctx, int id, bool cancelled)
{
	struct cancel_wait *w = ctx;
	struct json_object *data, *reply;
	char msg[400];

	(void)d;
	if (!w->client)
		goto out;
	conn_off_close(w->client, lost_client, w);
	if (!cancelled) {
		snprintf(msg, sizeof(msg), "%s ended before it could be cancelled; 'acmectl status' "
					   "says how", w->what);
		reply = ctl_error_reply(-EALREADY, "finished", msg);
		conn_finish(w->client, reply);
		json_object_put(reply);
		goto out;
	}
	data = json_object_new_object();
	json_object_object_add(data, "cancelled", json_object_new_boolean(1));
	json_object_object_add(data, "job", json_object_new_int(id));
	json_object_object_add(data, "kind", json_object_new_string(str_or_empty(w->label)));
	if (w->name)
		json_object_object_add(data, "name", json_object_new_string(w->name));
	conn_reply_data(w->client, data);
out:
	wait_free(w);
}

/* The job ARGS name: its id, or 0 after an error reply to C. */
static int job_named(struct daemon *d, struct conn *c, struct json_object *args)
{
	const char *name = jobj_str(args, "name");
	int id = (int)jobj_int(args, "job", 0);

	if (name) {
		id = job_id_for_name(d, name);
		if (!id)
			conn_reply_error(c, -ENOENT, "no job works on '%s'; 'acmectl status' lists the "
						     "jobs", name);
		return id;
	}
	if (id <= 0)
		conn_reply_error(c, ACMED_EUSAGE, "cancel: say which job: its number or its "
						  "certificate's name");
	return id > 0 ? id : 0;
}

void cancel_command(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct cancel_wait *w;
	struct json_object *reply;
	const char *label, *name;
	char msg[512];
	int id = job_named(d, c, args), r;

	if (!id)
		return;
	if (!job_info(d, id, &label, &name)) {
		conn_reply_error(c, -ENOENT, "no job %d (it may have ended already); 'acmectl status' "
					     "lists the jobs", id);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->label = strdup(label)) || (name && !(w->name = strdup(name))) ||
	    conn_on_close(c, lost_client, w) < 0) {
		if (w)
			wait_free(w);
		conn_reply_error(c, -ENOMEM, "cancel: %s", acmed_strerror(-ENOMEM));
		return;
	}
	w->client = c;
	snprintf(w->what, sizeof(w->what), "job %d (%s%s%s)", id, label, name ? " " : "",
		 name ? name : "");
	log_info("cancel of %s asked by uid %u (pid %d)", w->what, (unsigned)c->peer.uid,
		 (int)c->peer.pid);
	r = job_cancel(d, id, ended, w); /* may call ended() at once */
	if (r == 0)
		return;
	conn_off_close(c, lost_client, w);
	if (r == -EBUSY && (streq(label, "certonly") || streq(label, "renew")))
		snprintf(msg, sizeof(msg), "%s is saving its order or its certificate: too late to "
					   "cancel it", w->what);
	else if (r == -EBUSY)
		snprintf(msg, sizeof(msg), "%s cannot be cancelled once it runs (only certonly, "
					   "renew and check jobs can)", w->what);
	else
		snprintf(msg, sizeof(msg), "cannot cancel %s: %s", w->what, acmed_strerror(r));
	reply = ctl_error_reply(r, r == -EBUSY ? "busy" : NULL, msg);
	conn_finish(c, reply);
	json_object_put(reply);
	wait_free(w);
}

void continue_command(struct daemon *d, struct conn *c, struct json_object *args)
{
	struct json_object *data;
	int id = job_named(d, c, args), r;

	if (!id)
		return;
	r = job_tell(d, id, "continue");
	if (r < 0) {
		conn_reply_error(c, r, r == -ENOENT ? "no job %d (it may have ended already)"
				       : r == -EAGAIN ? "job %d is not waiting for you"
						      : "cannot tell job %d to go on", id);
		return;
	}
	log_info("job %d goes on, as uid %u (pid %d) said", id, (unsigned)c->peer.uid,
		 (int)c->peer.pid);
	data = json_object_new_object();
	json_object_object_add(data, "continued", json_object_new_boolean(1));
	json_object_object_add(data, "job", json_object_new_int(id));
	conn_reply_data(c, data);
}
