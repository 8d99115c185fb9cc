/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target: the streaming tar reader (plain or gzip), as the
 * read-ahead of `ostree commit --ima-sign --tree=tar=` runs it: every entry
 * read and every regular file hashed, or one error; never more memory than
 * an extension header's bound.
 */

#include <string.h>

#include "oima-tar-reader.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data (data, (gssize)size, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaTarReader) r = oima_tar_reader_new (in, &error);
  if (r == NULL)
    {
      g_assert (error != NULL);
      return 0;
    }
  OimaTarEntry e;
  while (oima_tar_reader_next (r, &e, NULL, &error) && e.path)
    {
      g_assert (e.type <= OIMA_TAR_OTHER);
      if (e.type == OIMA_TAR_REGULAR)
        {
          guint8 digest[OIMA_MAX_DIGEST_SIZE];
          gsize len = 0;
          if (!oima_tar_reader_hash (r, OIMA_HASH_SHA256, digest, &len, NULL, &error))
            break;
          g_assert (len == 32);
        }
    }
  return 0;
}
