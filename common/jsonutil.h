/* Reading members of JSON objects (requests, replies, ACME resources):
 * an absent member, or one of another type, reads as NULL, DFLT or false,
 * and O itself may be NULL. */
#pragma once

#include <stdbool.h>

#include <time.h>

#include <json-c/json.h>

#include "timefmt.h"

/* The string member KEY, or NULL. */
static inline const char *jobj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* The member KEY as an integer (as json-c converts it), or DFLT if absent. */
static inline long long jobj_int(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : dflt;
}

/* The member KEY as json-c reads a boolean; false if absent. */
static inline bool jobj_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* A time as JSON: an RFC 3339 UTC string, the form of every time acmed and
 * acmectl --json show (docs/json.md). */
static inline struct json_object *jobj_new_time(time_t t)
{
	char buf[32];

	timefmt_format_rfc3339(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* The time member KEY (RFC 3339), or 0 if absent or not a time. */
static inline time_t jobj_time(struct json_object *o, const char *key)
{
	time_t t;

	return timefmt_parse_rfc3339(jobj_str(o, key), &t) == 0 ? t : 0;
}
