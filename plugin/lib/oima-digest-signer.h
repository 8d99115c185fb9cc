/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * security.ima values for content digests, each distinct digest signed
 * once.  Thread-safe: share one between workers.
 */
#pragma once

#include "oima-hash.h"
#include "oima-sig-reuse.h"
#include "oima-signing-key.h"

G_BEGIN_DECLS

typedef struct _OimaDigestSigner OimaDigestSigner;

OimaDigestSigner *oima_digest_signer_new (OimaSigningKey *key, OimaHashAlgo algo);
void oima_digest_signer_free (OimaDigestSigner *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaDigestSigner, oima_digest_signer_free)

/* The security.ima value (signature v2) for @digest. */
/* Take earlier signatures from @reuse (may be NULL; kept alive by the
 * caller for the signer's life) when they are valid for a path. */
void oima_digest_signer_set_reuse (OimaDigestSigner *signer, OimaSigReuse *reuse);

/* The security.ima value (signature v2) for @digest of the file at @path
 * (may be NULL: no reuse). */
GBytes *oima_digest_signer_sign (OimaDigestSigner *signer, const char *path, const guint8 *digest,
                                 gsize len, GError **error);

/* How many distinct digests were signed. */
guint oima_digest_signer_get_n_signed (OimaDigestSigner *signer);

G_END_DECLS
