/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every regular file of a tree, with what the kernel sees of it (path,
 * owner, mode, xattrs, content digest), handed to a function on worker
 * threads.  The tree is a commit in a repository (the pull hook, `ostree
 * ima appraise --repo`) or a directory on disk (a deployment: the deploy
 * hook, `ostree ima appraise --sysroot`, `verify-deployment`).  Digests are
 * computed once per content (object or inode) and algorithm.
 *
 *   static gboolean
 *   check (OimaScanFile *f, gpointer data, GCancellable *c, GError **error)
 *   {
 *     guint8 d[OIMA_MAX_DIGEST_SIZE]; gsize len;
 *     if (!oima_scan_file_digest (f, OIMA_HASH_SHA256, d, &len, c, error))
 *       return FALSE;
 *     ... oima_scan_file_get_path (f), oima_scan_file_get_xattrs (f) ...
 *   }
 *   oima_tree_scan_commit (repo, "main", NULL, 0, check, &ctx, cancellable, &error);
 *   oima_tree_scan_dir (deployment_dfd, ".", NULL, 0, check, &ctx, cancellable, &error);
 */
#pragma once

#include <ostree.h>

#include "oima-hash.h"
#include "oima-path-filter.h"

G_BEGIN_DECLS

typedef struct _OimaScanFile OimaScanFile;

/* Absolute path in the tree ("/usr/bin/sh"). */
const char *oima_scan_file_get_path (OimaScanFile *file);
guint32 oima_scan_file_get_uid (OimaScanFile *file);
guint32 oima_scan_file_get_gid (OimaScanFile *file);
/* The full st_mode (file type bits included). */
guint32 oima_scan_file_get_mode (OimaScanFile *file);
guint64 oima_scan_file_get_size (OimaScanFile *file);
/* The xattrs as stored (a(ayay)); never NULL. */
GVariant *oima_scan_file_get_xattrs (OimaScanFile *file);
/* The content object (commit scans) or NULL (directories). */
const char *oima_scan_file_get_checksum (OimaScanFile *file);
/* The directory scanned and the file's path relative to it (directory
 * scans), for changing the file; -1 and NULL for commits. */
int oima_scan_file_get_dfd (OimaScanFile *file);
const char *oima_scan_file_get_relpath (OimaScanFile *file);

/* Digest of the content in @algo (@out_digest holds OIMA_MAX_DIGEST_SIZE). */
gboolean oima_scan_file_digest (OimaScanFile *file, OimaHashAlgo algo, guint8 *out_digest,
                                gsize *out_len, GCancellable *cancellable, GError **error);
/* TRUE if the content starts with the ELF magic (what the kernel can mmap
 * for execution). */
gboolean oima_scan_file_is_elf (OimaScanFile *file, gboolean *out_is_elf, GCancellable *cancellable,
                                GError **error);

/* Runs on a worker thread for each selected regular file.  Returning FALSE
 * stops the scan with that error. */
typedef gboolean (*OimaScanFunc) (OimaScanFile *file, gpointer user_data, GCancellable *cancellable,
                                  GError **error);

/* @filter may be NULL (every file); @n_jobs 0 = number of CPUs.  A commit
 * still marked partial is scanned (a pull hook sees it before the pull
 * completes); any object missing is an error. */
gboolean oima_tree_scan_commit (OstreeRepo *repo, const char *rev, const OimaPathFilter *filter,
                                guint n_jobs, OimaScanFunc func, gpointer user_data,
                                GCancellable *cancellable, GError **error);

/* The tree at @relpath under @dfd; symlinks are not followed. */
gboolean oima_tree_scan_dir (int dfd, const char *relpath, const OimaPathFilter *filter,
                             guint n_jobs, OimaScanFunc func, gpointer user_data,
                             GCancellable *cancellable, GError **error);

G_END_DECLS
