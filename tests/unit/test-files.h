/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: files of a tree under construction.
 */
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

/* DIR/REL with @len bytes of @content and @mode, parents made. */
static inline void
write_file (const char *dir, const char *rel, const char *content, gsize len, int mode)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, content, len, &error));
  g_assert_cmpint (chmod (path, mode), ==, 0);
}

/* Remove @dir and everything under it. */
static inline void
remove_tree (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}
