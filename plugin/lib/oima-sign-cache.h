/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Signing results remembered across runs: which signed content object a
 * source content object became, for one key, key id and hash algorithm.
 * Re-signing tomorrow's commit then only hashes and signs what changed.
 *
 * Stored in the repository under extensions/ostree-ima/sign-cache/ (the
 * place rpm-ostree uses for its own repo extensions), one file per key
 * identity, rewritten atomically.  An entry is used only while its signed
 * object is still in the repository, so `ostree prune` never makes it lie.
 */
#pragma once

#include <ostree.h>

#include "oima-hash.h"
#include "oima-signing-key.h"

G_BEGIN_DECLS

typedef struct _OimaSignCache OimaSignCache;

/* Load the cache for @key/@algo (empty if there is none or it is unreadable:
 * a cache is never a reason to fail). */
OimaSignCache *oima_sign_cache_load (OstreeRepo *repo, OimaSigningKey *key, OimaHashAlgo algo);
void oima_sign_cache_free (OimaSignCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaSignCache, oima_sign_cache_free)

/* The signed object for @src_checksum, if known and still in the repo.
 * Thread-safe. */
char *oima_sign_cache_lookup (OimaSignCache *cache, const char *src_checksum);

/* Remember a result (thread-safe); written by oima_sign_cache_save. */
void oima_sign_cache_insert (OimaSignCache *cache, const char *src_checksum,
                             const char *signed_checksum);

/* Write the cache back if it changed. */
gboolean oima_sign_cache_save (OimaSignCache *cache, GCancellable *cancellable, GError **error);

G_END_DECLS
