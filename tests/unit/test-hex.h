/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: bytes written as hex ("0404aabb..."), for xattr values.
 */
#pragma once

#include <string.h>

#include <glib.h>

static inline GBytes *
bytes_from_hex (const char *hex)
{
  gsize n = strlen (hex) / 2;
  guint8 *buf = g_malloc (n + 1);
  for (gsize i = 0; i < n; i++)
    buf[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (buf, n);
}
