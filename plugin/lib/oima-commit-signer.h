/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Re-sign an existing ostree commit into a new one: every selected regular
 * file gets a security.ima signature on a new content object; everything
 * else (directories, symlinks, other xattrs, commit metadata) is kept.
 * Hashing and signing run on worker threads, deduplicated by content.
 * The commit, metadata, ref and transaction rules are the rewrite
 * pipeline's (oima-commit-rewrite.h).
 *
 *   OimaCommitSignOptions opts = { .key = key, .algo = OIMA_HASH_SHA256 };
 *   oima_commit_sign (repo, "main", "main-signed", &opts, &commit, &stats, c, &error);
 */
#pragma once

#include <ostree.h>

#include "oima-commit-rewrite.h"
#include "oima-hash.h"
#include "oima-path-filter.h"
#include "oima-sig-reuse.h"
#include "oima-sign-cache.h"
#include "oima-signing-key.h"

G_BEGIN_DECLS

typedef struct
{
  /* files_changed: objects signed (or taken from the signing cache);
   * files_kept: symlinks, and files already signed (without overwrite). */
  OimaCommitRewriteStats files;
  guint64 signatures_made;   /* signatures made (a repeated digest is signed once) */
  guint64 signatures_reused; /* taken from earlier commits instead */
  guint64 evm_removed;       /* security.evm removed: it covered the old security.ima */
  guint64 reencoded;         /* xattr lists re-encoded, signatures kept (of files_changed) */
  guint64 hashed;            /* given a hash (hash_only), not a signature (of files_changed) */
  guint64 evm_signed;        /* given a portable EVM signature */
} OimaCommitSignProgress;

typedef void (*OimaCommitSignProgressFunc) (const OimaCommitSignProgress *progress,
                                            gpointer user_data);

typedef struct
{
  OimaSigningKey *key; /* required, unless repair_only */
  OimaHashAlgo algo;   /* default sha256 */
  /* Replace an existing security.ima.  Without it, a well-formed signature
   * is kept (its xattr list re-encoded if not canonical), a hash is
   * replaced, anything else is OIMA_ERROR_EXISTING_VALUE. */
  gboolean overwrite;
  /* Sign nothing: only re-encode xattr lists that are not canonical
   * (unsorted, duplicates, names without NUL: ostree cannot check those
   * out), keeping every value byte for byte. */
  gboolean repair_only;
  /* Sign with md4, md5, sha1 or ripemd160 (else OIMA_ERROR_WEAK_HASH). */
  gboolean allow_weak_hash;
  /* Files whose security.ima becomes a hash (0x04, as `evmctl ima_hash`
   * writes), not a signature: for policies that appraise mutable files by
   * hash.  NULL: none; a filter without includes: every selected file.
   * Per content object, its first path in the tree decides. */
  const OimaPathFilter *hash_only;
  /* Also a portable EVM signature (security.evm type 0x05) over each signed
   * file's final security.ima, owner, mode and other security xattrs
   * (oima-evm.h).  Files kept as already signed get one too. */
  gboolean evm;
  /* Earlier commits' signatures to reuse (NULL: none): see oima-sig-reuse.h. */
  OimaSigReuse *reuse;
  guint n_jobs;           /* 0 = number of CPUs */
  OimaPathFilter *filter; /* NULL = every regular file */
  gboolean no_cache;      /* neither use nor update the repo's signing cache */
  /* Called on the calling thread, at most a few times per second. */
  OimaCommitSignProgressFunc progress;
  gpointer progress_data;
} OimaCommitSignOptions;

/* Sign @src_rev's files and write a new commit; set @target_ref (a local ref,
 * or "remote:ref") to it.  @target_ref may be NULL to only write the commit.
 * On failure the ref and the repository's refs are untouched (objects
 * already written stay in the repository as unreferenced, like any aborted
 * transaction, and are reclaimed by `ostree prune`). */
gboolean oima_commit_sign (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                           const OimaCommitSignOptions *options, char **out_commit,
                           OimaCommitSignProgress *out_stats, GCancellable *cancellable,
                           GError **error);

G_END_DECLS
