/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sign ahead: hash and sign file contents on worker threads while the
 * caller does something else (e.g. ostree writing a commit), then collect
 * each security.ima value by id.  Identical contents are signed once.
 *
 *   q = oima_sign_queue_new (key, OIMA_HASH_SHA256, 0, &error);
 *   for each file: oima_sign_queue_push_path (q, "1:/usr/bin/foo", "/usr/bin/foo", dfd,
 *                                             "usr/bin/foo");
 *   ... later, in any order ...
 *   ima = oima_sign_queue_take (q, "/usr/bin/foo", cancellable, &error);
 */
#pragma once

#include <ostree.h>

#include "oima-hash.h"
#include "oima-path-filter.h"
#include "oima-sig-reuse.h"
#include "oima-signing-key.h"

G_BEGIN_DECLS

typedef struct _OimaSignQueue OimaSignQueue;

/* @n_jobs 0 = number of CPUs. */
OimaSignQueue *oima_sign_queue_new (OimaSigningKey *key, OimaHashAlgo algo, guint n_jobs,
                                    GError **error);
/* Waits for running work, drops results nobody took. */
void oima_sign_queue_free (OimaSignQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaSignQueue, oima_sign_queue_free)

/* Queue the regular file @relpath under @dfd (not following symlinks).
 * Pushing an id that is already queued is a no-op. Thread-safe. */
/* Hash, not sign, files whose path matches @hash_only (see
 * oima-digest-signer.h); call before pushing. */
void oima_sign_queue_set_hash_only (OimaSignQueue *queue, const OimaPathFilter *hash_only);

/* Reuse earlier signatures (see oima-sig-reuse.h); call before pushing. */
void oima_sign_queue_set_reuse (OimaSignQueue *queue, OimaSigReuse *reuse);

/* @path is the file's absolute path in the commit (for reuse). */
void oima_sign_queue_push_path (OimaSignQueue *queue, const char *id, const char *path, int dfd,
                                const char *relpath);
/* Queue the content of an open file; the queue takes ownership of @fd. */
void oima_sign_queue_push_fd (OimaSignQueue *queue, const char *id, int fd);
/* Queue the content of a content object of @repo; @path (may be NULL) is
 * one of its paths in the commit, for reuse (see oima-sig-reuse.h: reuse
 * also looks the object up in the signing cache). */
void oima_sign_queue_push_object (OimaSignQueue *queue, const char *id, const char *path,
                                  OstreeRepo *repo, const char *checksum);

/* Sign @digest (of the file at @path, for reuse and hash-only) on a worker
 * into the shared cache, for a later oima_sign_queue_sign_stream() or
 * _sign_digest() of the same content to find: e.g. from a thread that
 * reads an archive ahead.  Nobody takes it; a failure only means the
 * later call signs itself. */
void oima_sign_queue_push_digest (OimaSignQueue *queue, const char *path, const guint8 *digest,
                                  gsize len);

gboolean oima_sign_queue_contains (OimaSignQueue *queue, const char *id);

/* Wait for @id's security.ima value and forget it.  Errors: the work's own
 * error (unreadable file, ...), or @id was never pushed. */
GBytes *oima_sign_queue_take (OimaSignQueue *queue, const char *id, GCancellable *cancellable,
                              GError **error);
/* The same, and the content's digest (OIMA_MAX_DIGEST_SIZE bytes at most). */
GBytes *oima_sign_queue_take_with_digest (OimaSignQueue *queue, const char *id, guint8 *out_digest,
                                          gsize *out_len, GCancellable *cancellable,
                                          GError **error);

/* Sign the digest of @content now, on the calling thread (sharing the
 * queue's signature cache). For content that cannot be queued ahead. */
GBytes *oima_sign_queue_sign_stream (OimaSignQueue *queue, const char *path, GInputStream *content,
                                     GCancellable *cancellable, GError **error);

/* Sign @digest (of the queue's algorithm) now, on the calling thread, into
 * the shared cache: e.g. from a thread that reads an archive ahead. */
GBytes *oima_sign_queue_sign_digest (OimaSignQueue *queue, const char *path, const guint8 *digest,
                                     gsize len, GError **error);

/* How many signatures were made (each distinct digest once while the
 * queue remembers it: see oima-digest-signer.h). */
guint oima_sign_queue_get_n_signed (OimaSignQueue *queue);

G_END_DECLS
