/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sign a tar archive's regular files ahead of its import: a thread reads
 * the archive (oima-tar-reader.h), hashes each selected file as it streams
 * past and signs the digest into the sign queue's shared cache, itself or
 * (OIMA_TAR_AHEAD_SIGN_ON_WORKERS) on the queue's workers, so that the
 * importer, which hashes the same content again when it gets there, finds
 * the signature made (or waits for the thread making it).  The thread
 * stays at most about a thousand
 * files ahead of the importer, so that those signatures are still in the
 * cache (which remembers the last few thousand) when asked for; memory
 * grows neither with file sizes nor with the archive.
 *
 *   g_autoptr (OimaTarAhead) ahead = oima_tar_ahead_start (queue, algo, "os.tar", select, 0);
 *   ... import the archive: for each selected file, sign with
 *       oima_sign_queue_sign_stream(), then oima_tar_ahead_taken (ahead) ...
 *   oima_tar_ahead_stop (ahead);   (also done by _free)
 *
 * Best effort: an archive it cannot read (a compression other than gzip,
 * a malformed header) only stops the read-ahead; the importer reports
 * its own errors.  Paths are taken as ostree takes them (leading "/" and
 * "./" dropped) to select files and reuse signatures.
 */
#pragma once

#include "oima-hash.h"
#include "oima-path-filter.h"
#include "oima-sign-queue.h"

G_BEGIN_DECLS

typedef struct _OimaTarAhead OimaTarAhead;

typedef enum
{
  /* Hand each digest to the queue's workers instead of signing it on the
   * read-ahead thread: worth it with more than two CPUs.  With two, the
   * importer and the read-ahead thread keep both busy already, and the
   * hand-off only adds switching (measured: 9% slower with RSA-2048). */
  OIMA_TAR_AHEAD_SIGN_ON_WORKERS = 1 << 0,
} OimaTarAheadFlags;

/* @queue and @select (may be NULL: every file) must outlive the read-ahead. */
OimaTarAhead *oima_tar_ahead_start (OimaSignQueue *queue, OimaHashAlgo algo,
                                    const char *archive_path, const OimaPathFilter *select,
                                    OimaTarAheadFlags flags);
/* The importer has signed one more selected file of the archive (lets
 * the thread read further).  Thread-safe. */
void oima_tar_ahead_taken (OimaTarAhead *ahead);
/* Cancel and wait for the thread. */
void oima_tar_ahead_stop (OimaTarAhead *ahead);
void oima_tar_ahead_free (OimaTarAhead *ahead);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaTarAhead, oima_tar_ahead_free)

/* After _stop: files hashed (and signed, or handed to the workers) ahead,
 * and why it stopped early (NULL: it read the whole archive, or was
 * cancelled). */
guint oima_tar_ahead_get_n_hashed (OimaTarAhead *ahead);
const char *oima_tar_ahead_get_error (OimaTarAhead *ahead);

G_END_DECLS
