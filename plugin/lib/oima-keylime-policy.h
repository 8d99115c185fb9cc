/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A Keylime runtime policy (Keylime 7.x, format version 1) for a commit:
 * the content digest of every regular file under the path the device sees
 * it at (/usr/etc/X also as /etc/X, both behind an optional mount prefix),
 * exclude regexes, and the IMA verification keys of some certificates in
 * Keylime's keyring format.  Contents are hashed on worker threads.
 *
 *   const char *excludes[] = { "/var/.*", NULL };
 *   const char *certs[] = { "ima.cert.pem", NULL };
 *   OimaKeylimePolicyOptions opts = { .algo = OIMA_HASH_SHA256, .excludes = excludes,
 *                                     .certs = certs };
 *   g_autofree char *json = oima_keylime_policy_build (repo, "os/stable", &opts,
 *                                                      cancellable, &error);
 */
#pragma once

#include <ostree.h>

#include "oima-hash.h"

G_BEGIN_DECLS

typedef struct
{
  OimaHashAlgo algo;           /* sha1, sha256, sha384 or sha512 */
  const char *prefix;          /* prepended to every path; NULL or "/": none */
  const char *const *excludes; /* regexes (Keylime: anchored at the start); may be NULL */
  const char *const *certs;    /* certificate files (PEM, may hold several, or DER) or directories
                                * of them; may be NULL */
  guint n_jobs;                /* 0: number of CPUs */
} OimaKeylimePolicyOptions;

/* The policy as JSON text ending in a newline, or NULL with @error: an
 * unusable algorithm, prefix, regex or certificate (checked before the
 * repository is read), an unknown or partial commit, an unreadable
 * object. */
char *oima_keylime_policy_build (OstreeRepo *repo, const char *rev,
                                 const OimaKeylimePolicyOptions *options, GCancellable *cancellable,
                                 GError **error);

/* "sha256" etc.: an algorithm a policy can use, or an error listing them. */
gboolean oima_keylime_policy_algo_from_name (const char *name, OimaHashAlgo *out_algo,
                                             GError **error);

G_END_DECLS
