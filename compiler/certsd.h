/*
 * certsd: the TLS settings of each registry host, the way Docker users
 * set them up: in the directory CERTS_D/HOST[:PORT], CAs to trust in
 * files named *.crt (on top of the system's), a client certificate in
 * *.cert with its *.key; and the
 * hosts named by --insecure-registry, which may use plain HTTP or a
 * certificate that is not checked. CERTS_D is $HPC_CERTS_D, else
 * /etc/docker/certs.d.
 *
 * Part of stage "fetch": registry.c asks it for every host it talks to,
 * redirect targets included.
 */
#ifndef HPC_CERTSD_H
#define HPC_CERTSD_H

#include <stdbool.h>

#include "http.h"

struct certsd;

/*
 * certsd_new - settings for the hosts listed in insecure (NULL-terminated
 * "HOST" or "HOST:PORT" entries, or NULL); root NULL means the default.
 * Free with certsd_free.
 */
struct certsd *certsd_new(const char *root, const char *const *insecure);
void certsd_free(struct certsd *c);

/*
 * certsd_insecure - whether host ("name:port", or a registry name as
 * written, "name" meaning any port) was named by --insecure-registry.
 */
bool certsd_insecure(const struct certsd *c, const char *host);

/*
 * certsd_tls - the settings for host ("name:port"), read once and kept;
 * valid until certsd_free. Safe to call from several threads. A
 * certs.d file that cannot be read is warned about and left out.
 */
const struct http_tls *certsd_tls(struct certsd *c, const char *host);

#endif
