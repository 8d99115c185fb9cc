/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * security.ima values for content digests.  A digest seen again among the
 * last few thousand distinct ones is not signed again (same value, even
 * with ECDSA); memory stays bounded however large the tree.  Thread-safe:
 * share one between workers.  A thread asking for a digest another thread
 * is signing waits for that value instead of signing it again.
 */
#pragma once

#include "oima-hash.h"
#include "oima-path-filter.h"
#include "oima-sig-reuse.h"
#include "oima-signing-key.h"

G_BEGIN_DECLS

typedef struct _OimaDigestSigner OimaDigestSigner;

/* How many of the most recent distinct digests' values are remembered. */
#define OIMA_DIGEST_SIGNER_MEMO_SIZE 4096

OimaDigestSigner *oima_digest_signer_new (OimaSigningKey *key, OimaHashAlgo algo);
void oima_digest_signer_free (OimaDigestSigner *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaDigestSigner, oima_digest_signer_free)

/* Take earlier signatures from @reuse (may be NULL; kept alive by the
 * caller for the signer's life) when they are valid for a path or source object. */
void oima_digest_signer_set_reuse (OimaDigestSigner *signer, OimaSigReuse *reuse);

/* Files matching @hash_only (kept alive by the caller; NULL: none) get a
 * hash value (0x04, as `evmctl ima_hash` writes) instead of a signature. */
void oima_digest_signer_set_hash_only (OimaDigestSigner *signer, const OimaPathFilter *hash_only);
guint oima_digest_signer_get_n_hashed (OimaDigestSigner *signer);

/* The security.ima value (signature v2, or a hash, see above) for @digest
 * of the file at @path (may be NULL: no reuse by path, no hash-only), whose
 * content is that of content object @source_checksum (may be NULL: no
 * reuse through the signing cache). */
GBytes *oima_digest_signer_sign (OimaDigestSigner *signer, const char *path,
                                 const char *source_checksum, const guint8 *digest, gsize len,
                                 GError **error);

/* How many signatures were made (each distinct digest once while it is
 * remembered). */
guint oima_digest_signer_get_n_signed (OimaDigestSigner *signer);

G_END_DECLS
