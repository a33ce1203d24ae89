/* Between signer.c (the signer process) and signer_client.c (the worker's
 * side). */
#pragma once

#include <json-c/json.h>

/* Write O to FD as one control-protocol frame. 0 or -errno. */
int signer_send_frame(int fd, struct json_object *o);
