/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-sig-reuse.h"
#include "oima-tree-walk.h"
#include "oima-xattrs.h"

/* A path's candidate: the object holding the value, not the value (a
 * signature is ten times the size of a checksum, and a rebuild of a large
 * tree would hold one for every file).  One allocation; the path is the
 * hash table's key. */
typedef struct
{
  OstreeRepo *repo;
  char checksum[OSTREE_SHA256_STRING_LEN + 1];
  char path[];
} Candidate;

struct _OimaSigReuse
{
  OimaSigningKey *key;
  OimaHashAlgo algo;
  GHashTable *by_path; /* path -> Candidate; read-only once shared */
  GPtrArray *repos;    /* the repositories candidates point into */
  OstreeRepo *cache_repo;
  OimaSignCache *cache; /* source object -> signed object, or NULL */
  gint n_reused;        /* atomic */
};

typedef struct
{
  OimaSigReuse *reuse;
  OstreeRepo *repo;
  GCancellable *cancellable;
} AddWalk;

OimaSigReuse *
oima_sig_reuse_new (OimaSigningKey *key, OimaHashAlgo algo)
{
  OimaSigReuse *self = g_new0 (OimaSigReuse, 1);
  self->key = oima_signing_key_ref (key);
  self->algo = algo;
  self->by_path = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->repos = g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

void
oima_sig_reuse_free (OimaSigReuse *reuse)
{
  oima_signing_key_unref (reuse->key);
  g_hash_table_unref (reuse->by_path);
  g_ptr_array_unref (reuse->repos);
  g_free (reuse);
}

/* The security.ima of regular file object @checksum, or NULL. */
static gboolean
load_ima (OstreeRepo *repo, const char *checksum, GBytes **out_ima, GCancellable *cancellable,
          GError **error)
{
  *out_ima = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  g_autoptr (GFileInfo) info = NULL;
  if (!ostree_repo_load_file (repo, checksum, NULL, &info, &xattrs, cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR)
    *out_ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  return TRUE;
}

/* Only values this key could have made are worth keeping. */
static gboolean
is_candidate (OimaSigReuse *reuse, GBytes *ima)
{
  OimaXattrValue v;
  return oima_xattr_decode_bytes (ima, &v, NULL) && v.type == OIMA_XATTR_TYPE_DIGSIG
         && v.version == 2 && v.algo == reuse->algo
         && v.keyid == oima_signing_key_get_keyid (reuse->key);
}

static gboolean
add_file (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  AddWalk *w = user_data;
  g_autoptr (GBytes) ima = NULL;
  if (!load_ima (w->repo, checksum, &ima, w->cancellable, error))
    return FALSE;
  if (ima == NULL || !is_candidate (w->reuse, ima))
    return TRUE;
  gsize path_len = strlen (path);
  Candidate *c = g_malloc (sizeof (Candidate) + path_len + 1);
  c->repo = w->repo;
  g_strlcpy (c->checksum, checksum, sizeof c->checksum);
  memcpy (c->path, path, path_len + 1);
  g_hash_table_replace (w->reuse->by_path, c->path, c);
  return TRUE;
}

gboolean
oima_sig_reuse_add_commit (OimaSigReuse *reuse, OstreeRepo *repo, const char *rev,
                           GCancellable *cancellable, GError **error)
{
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, rev, NULL, NULL, &root_tree, error))
    return FALSE;
  if (!g_ptr_array_find (reuse->repos, repo, NULL))
    g_ptr_array_add (reuse->repos, g_object_ref (repo));
  AddWalk w = { reuse, repo, cancellable };
  return oima_tree_walk (repo, root_tree, add_file, &w, cancellable, error);
}

gboolean
oima_sig_reuse_add_ref (OimaSigReuse *reuse, OstreeRepo *repo, const char *ref, gboolean *out_found,
                        GCancellable *cancellable, GError **error)
{
  *out_found = FALSE;
  g_autofree char *current = NULL;
  if (!ostree_repo_resolve_rev (repo, ref, TRUE, &current, error))
    return FALSE;
  if (current == NULL)
    return TRUE;
  *out_found = TRUE;
  return oima_sig_reuse_add_commit (reuse, repo, current, cancellable, error);
}

void
oima_sig_reuse_set_cache (OimaSigReuse *reuse, OstreeRepo *repo, OimaSignCache *cache)
{
  reuse->cache_repo = repo;
  reuse->cache = cache;
}

/* @checksum's value if it is not @made and is this key's signature over
 * @digest.  Read again from the object; one that went away is simply not
 * reused. */
static GBytes *
valid_value (OimaSigReuse *reuse, OstreeRepo *repo, const char *checksum, GBytes *made,
             const guint8 *digest, gsize digest_len)
{
  g_autoptr (GBytes) ima = NULL;
  if (!load_ima (repo, checksum, &ima, NULL, NULL) || ima == NULL
      || (made && g_bytes_equal (ima, made))
      || !oima_signing_key_made (reuse->key, ima, OIMA_XATTR_TYPE_DIGSIG, reuse->algo, digest,
                                 digest_len))
    return NULL;
  return g_steal_pointer (&ima);
}

static GBytes *
find_cached (OimaSigReuse *reuse, const char *source_checksum, GBytes *made, const guint8 *digest,
             gsize digest_len)
{
  if (reuse->cache == NULL || source_checksum == NULL)
    return NULL;
  g_autofree char *signed_checksum = oima_sign_cache_lookup (reuse->cache, source_checksum);
  if (signed_checksum == NULL)
    return NULL;
  return valid_value (reuse, reuse->cache_repo, signed_checksum, made, digest, digest_len);
}

GBytes *
oima_sig_reuse_find_cached (OimaSigReuse *reuse, const char *source_checksum, GBytes *made,
                            const guint8 *digest, gsize digest_len)
{
  if (reuse == NULL)
    return NULL;
  GBytes *ima = find_cached (reuse, source_checksum, made, digest, digest_len);
  if (ima)
    g_atomic_int_inc (&reuse->n_reused);
  return ima;
}

GBytes *
oima_sig_reuse_find (OimaSigReuse *reuse, const char *path, const char *source_checksum,
                     const guint8 *digest, gsize digest_len)
{
  if (reuse == NULL)
    return NULL;
  GBytes *ima = NULL;
  Candidate *c = path ? g_hash_table_lookup (reuse->by_path, path) : NULL;
  if (c)
    ima = valid_value (reuse, c->repo, c->checksum, NULL, digest, digest_len);
  if (ima == NULL)
    ima = find_cached (reuse, source_checksum, NULL, digest, digest_len);
  if (ima)
    g_atomic_int_inc (&reuse->n_reused);
  return ima;
}

guint
oima_sig_reuse_get_n_reused (OimaSigReuse *reuse)
{
  return reuse ? (guint)g_atomic_int_get (&reuse->n_reused) : 0;
}
