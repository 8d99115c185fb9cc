/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A streaming reader of tar archives (ustar, pax and GNU long names;
 * gzip-compressed or not, detected), for reading an archive ahead of
 * ostree's own import: entries one by one, the content of a regular file
 * hashed as it streams past, never held.
 *
 *   g_autoptr (OimaTarReader) r = oima_tar_reader_new (stream, &error);
 *   OimaTarEntry e;
 *   while (oima_tar_reader_next (r, &e, cancellable, &error) && e.path)
 *     if (e.type == OIMA_TAR_REGULAR)
 *       oima_tar_reader_hash (r, OIMA_HASH_SHA256, digest, &len, cancellable, &error);
 *
 * Paths are the archive's, as written (e.g. "./usr/bin/sh").  Other
 * compressions (xz, zstd, bzip2) are an error naming the format.  Headers
 * are checked (checksum, octal or base-256 numbers, extension sizes):
 * anything malformed or truncated is an error.
 */
#pragma once

#include <gio/gio.h>

#include "oima-hash.h"

G_BEGIN_DECLS

typedef enum
{
  OIMA_TAR_REGULAR,
  OIMA_TAR_DIRECTORY,
  OIMA_TAR_SYMLINK,
  OIMA_TAR_HARDLINK,
  OIMA_TAR_OTHER,
} OimaTarType;

typedef struct
{
  const char *path; /* NULL at the end of the archive; owned by the reader */
  OimaTarType type;
  guint64 size; /* of the entry's data */
} OimaTarEntry;

typedef struct _OimaTarReader OimaTarReader;

OimaTarReader *oima_tar_reader_new (GInputStream *stream, GError **error);
void oima_tar_reader_free (OimaTarReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaTarReader, oima_tar_reader_free)

/* The next entry (skipping what is left of the current one's data);
 * @out->path is NULL at the end. */
gboolean oima_tar_reader_next (OimaTarReader *reader, OimaTarEntry *out, GCancellable *cancellable,
                               GError **error);

/* Hash the current entry's data (once, before the next call to _next). */
gboolean oima_tar_reader_hash (OimaTarReader *reader, OimaHashAlgo algo, guint8 *out_digest,
                               gsize *out_len, GCancellable *cancellable, GError **error);

G_END_DECLS
