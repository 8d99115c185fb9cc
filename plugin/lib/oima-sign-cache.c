/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oima-sign-cache.h"
#include "oima-util.h"

#define CACHE_DIR "extensions/ostree-ima/sign-cache"
#define CACHE_MAGIC "ostree-ima sign-cache v1"

struct _OimaSignCache
{
  OstreeRepo *repo;
  char *name; /* file name under CACHE_DIR */
  GMutex lock;
  GHashTable *entries; /* src checksum -> signed checksum */
  gboolean dirty;
};

OimaSignCache *
oima_sign_cache_load (OstreeRepo *repo, OimaSigningKey *key, OimaHashAlgo algo)
{
  OimaSignCache *self = g_new0 (OimaSignCache, 1);
  self->repo = g_object_ref (repo);
  /* The public key fingerprint, the key id written and the algorithm
   * determine the signed object completely. */
  self->name = g_strdup_printf ("%.32s-%08x-%s", oima_signing_key_get_fingerprint (key),
                                oima_signing_key_get_keyid (key), oima_hash_algo_name (algo));
  g_mutex_init (&self->lock);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  int repo_dfd = ostree_repo_get_dfd (repo);
  g_autofree char *path = g_build_filename (CACHE_DIR, self->name, NULL);
  int fd = openat (repo_dfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return self;
  g_autoptr (GMappedFile) mapped = g_mapped_file_new_from_fd (fd, FALSE, NULL);
  close (fd);
  if (mapped == NULL)
    return self;
  gsize len = g_mapped_file_get_length (mapped);
  if (len == 0)
    return self;
  g_autofree char *contents = g_strndup (g_mapped_file_get_contents (mapped), len);
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  if (lines[0] == NULL || !g_str_equal (lines[0], CACHE_MAGIC))
    return self;
  for (char **l = lines + 1; *l; l++)
    {
      /* "SRC SIGNED", both 64 hex digits */
      if (strlen (*l) != 129 || (*l)[64] != ' ')
        continue;
      (*l)[64] = '\0';
      const char *src = *l, *dst = *l + 65;
      if (!ostree_validate_checksum_string (src, NULL)
          || !ostree_validate_checksum_string (dst, NULL))
        continue;
      g_hash_table_replace (self->entries, g_strdup (src), g_strdup (dst));
    }
  return self;
}

void
oima_sign_cache_free (OimaSignCache *cache)
{
  g_object_unref (cache->repo);
  g_free (cache->name);
  g_hash_table_unref (cache->entries);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

char *
oima_sign_cache_lookup (OimaSignCache *cache, const char *src_checksum)
{
  g_mutex_lock (&cache->lock);
  char *dst = g_strdup (g_hash_table_lookup (cache->entries, src_checksum));
  g_mutex_unlock (&cache->lock);
  if (dst == NULL)
    return NULL;
  gboolean have = FALSE;
  if (!ostree_repo_has_object (cache->repo, OSTREE_OBJECT_TYPE_FILE, dst, &have, NULL, NULL)
      || !have)
    {
      g_free (dst);
      return NULL;
    }
  return dst;
}

void
oima_sign_cache_insert (OimaSignCache *cache, const char *src_checksum, const char *signed_checksum)
{
  g_mutex_lock (&cache->lock);
  const char *old = g_hash_table_lookup (cache->entries, src_checksum);
  if (old == NULL || !g_str_equal (old, signed_checksum))
    {
      g_hash_table_replace (cache->entries, g_strdup (src_checksum), g_strdup (signed_checksum));
      cache->dirty = TRUE;
    }
  g_mutex_unlock (&cache->lock);
}

gboolean
oima_sign_cache_save (OimaSignCache *cache, GCancellable *cancellable, GError **error)
{
  if (!cache->dirty)
    return TRUE;
  GString *out = g_string_new (CACHE_MAGIC "\n");
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, cache->entries);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_string_append_printf (out, "%s %s\n", (char *)k, (char *)v);
  g_autoptr (GBytes) data = g_string_free_to_bytes (out);

  g_autoptr (GFile) repo_path = g_object_ref (ostree_repo_get_path (cache->repo));
  g_autoptr (GFile) dir = g_file_resolve_relative_path (repo_path, CACHE_DIR);
  g_autoptr (GFile) file = g_file_get_child (dir, cache->name);
  g_autoptr (GError) local_error = NULL;
  if (!g_file_make_directory_with_parents (dir, cancellable, &local_error)
      && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* g_file_replace_contents writes a temp file and renames it. */
  if (!g_file_replace_contents (file, g_bytes_get_data (data, NULL), g_bytes_get_size (data), NULL,
                                FALSE, G_FILE_CREATE_PRIVATE, NULL, cancellable, error))
    return FALSE;
  cache->dirty = FALSE;
  return TRUE;
}
