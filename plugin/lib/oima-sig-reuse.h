/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Signatures of earlier commits, reused so that a rebuild of unchanged
 * files gives byte-identical objects.  ECDSA signatures are randomized:
 * without reuse every rebuild changes every signed object, every device
 * downloads the whole OS again and static deltas are as large as it.
 *
 *   g_autoptr(OimaSigReuse) reuse = oima_sig_reuse_new (key, OIMA_HASH_SHA256);
 *   oima_sig_reuse_add_commit (reuse, repo, "exampleos/stable", cancellable, &error);
 *   oima_sig_reuse_set_cache (reuse, repo, cache);        // optional
 *   ... per file, on any thread:
 *   GBytes *ima = oima_sig_reuse_find (reuse, "/usr/bin/sh", NULL, digest, len);  // or NULL
 *
 * A value is reused for the same path, or for the same source content
 * object through the signing cache (oima-sign-cache.h), when it is a
 * signature v2 with this key's key id and hash algorithm and it verifies
 * with this key's public half over the new content's digest.
 */
#pragma once

#include <ostree.h>

#include "oima-hash.h"
#include "oima-sign-cache.h"
#include "oima-signing-key.h"

G_BEGIN_DECLS

typedef struct _OimaSigReuse OimaSigReuse;

OimaSigReuse *oima_sig_reuse_new (OimaSigningKey *key, OimaHashAlgo algo);
void oima_sig_reuse_free (OimaSigReuse *reuse);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaSigReuse, oima_sig_reuse_free)

/* Remember, by path, the objects of @rev whose security.ima this key could
 * have made (the value is read again from the object when it is wanted;
 * @repo is kept alive).  A later commit's candidate for a path replaces an
 * earlier one's.  Call before sharing @reuse between threads. */
gboolean oima_sig_reuse_add_commit (OimaSigReuse *reuse, OstreeRepo *repo, const char *rev,
                                    GCancellable *cancellable, GError **error);

/* The same for @ref's current commit, if @ref exists (*@out_found says
 * whether it did; a missing ref is not an error). */
gboolean oima_sig_reuse_add_ref (OimaSigReuse *reuse, OstreeRepo *repo, const char *ref,
                                 gboolean *out_found, GCancellable *cancellable, GError **error);

/* Also look for content by its source object in @cache (the signed object
 * it names in @repo; both kept alive by the caller).  Call before sharing
 * @reuse between threads. */
void oima_sig_reuse_set_cache (OimaSigReuse *reuse, OstreeRepo *repo, OimaSignCache *cache);

/* The value the signing cache holds for content object @source_checksum,
 * if it is not @made (may be NULL) and is this key's signature over
 * @digest (a new reference); else NULL.  For content signed before its
 * source object was known: e.g. a file of a hardlinked checkout.
 * Thread-safe. */
GBytes *oima_sig_reuse_find_cached (OimaSigReuse *reuse, const char *source_checksum, GBytes *made,
                                    const guint8 *digest, gsize digest_len);

/* The remembered value for @path (may be NULL), else the cached one for
 * content object @source_checksum (may be NULL), if it is this key's
 * signature over @digest (a new reference); else NULL.  Thread-safe. */
GBytes *oima_sig_reuse_find (OimaSigReuse *reuse, const char *path, const char *source_checksum,
                             const guint8 *digest, gsize digest_len);

/* How many values oima_sig_reuse_find returned. */
guint oima_sig_reuse_get_n_reused (OimaSigReuse *reuse);

G_END_DECLS
