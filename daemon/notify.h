/* systemd's service notifications (sd_notify): READY, STATUS, RELOADING,
 * STOPPING and the watchdog. Outside systemd they cost nothing. */
#pragma once

#include "daemon/daemon.h"

/* Start pinging the watchdog at half its interval, if the unit has one. */
int notify_init(struct daemon *d);
void notify_fini(struct daemon *d);

/* READY=1 with a first STATUS. */
void notify_ready(struct daemon *d);
/* STATUS= from the daemon's state: "renewing 2 of 3: a.example, ..." while
 * jobs run, else "12 certificates, next renewal example.com at 2026-12-20
 * 03:14 UTC", with ", 1 failing (a.example: why)" after the count while
 * lineages' last renewals failed, and ", a.example expires 2026-12-20 03:14
 * UTC" for the first to expire of those past an expiry warning threshold.
 * Sent only when it changed. */
void notify_status(struct daemon *d);
void notify_reloading(void);
void notify_stopping(void);
