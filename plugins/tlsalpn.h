/* tls-alpn-01 (RFC 8737) for the standalone authenticator: tlsalpn.c. */
#pragma once

#include <stddef.h>

struct authn_challenge;
struct tlsalpn;

/* The certificates for the tls-alpn-01 ones among the N challenges (the
 * others are skipped), under one new key; NULL on failure. */
struct tlsalpn *tlsalpn_new(const struct authn_challenge *chal, size_t n);
void tlsalpn_free(struct tlsalpn *t);
/* Answer TLS handshakes on listening socket LFD for "acme-tls/1" with
 * them, until killed. */
_Noreturn void tlsalpn_serve(int lfd, struct tlsalpn *t);
