/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Depth-first walk over the file entries of an ostree commit's tree.
 */
#pragma once

#include <ostree.h>

G_BEGIN_DECLS

/* Called for every non-directory entry (regular file or symlink) with its
 * absolute path in the commit and its content object checksum.  Return
 * FALSE with @error set to stop the walk. */
typedef gboolean (*OimaTreeWalkFileFunc) (const char *path, const char *checksum,
                                          gpointer user_data, GError **error);

gboolean oima_tree_walk (OstreeRepo *repo, const char *dirtree_checksum, OimaTreeWalkFileFunc func,
                         gpointer user_data, GCancellable *cancellable, GError **error);

/* Resolve @rev to a complete commit; @out_root_tree gets its root dirtree. */
gboolean oima_resolve_commit (OstreeRepo *repo, const char *rev, char **out_commit,
                              GVariant **out_commit_variant, char **out_root_tree, GError **error);

/* Entry @i of a dirtree's file list (a(say)) or directory list (a(sayay))
 * under the directory @dir: its name, absolute path and (tree) checksum;
 * @meta_v is the dirmeta of a directory entry, NULL for a file. */
typedef struct
{
  const char *name;
  char *path;
  char *checksum;
  GVariant *checksum_v;
  GVariant *meta_v;
} OimaDirtreeEntry;

void oima_dirtree_entry_get (GVariant *list, gsize i, const char *dir, OimaDirtreeEntry *out);
void oima_dirtree_entry_clear (OimaDirtreeEntry *entry);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OimaDirtreeEntry, oima_dirtree_entry_clear)

/* "/" + @name, or @dir + "/" + @name. */
char *oima_tree_child_path (const char *dir, const char *name);

G_END_DECLS
