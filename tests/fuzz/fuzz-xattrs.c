/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target: ostree's xattr list (a(ayay)) as any repository may
 * hold it: lookup, canonicalization, the encoding diagnosis, filtering.
 */

#include <string.h>

#include "oima-xattrs.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  /* Untrusted data: GVariant normalizes it on access. */
  g_autoptr (GVariant) xattrs
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(ayay)"), bytes, FALSE));
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, "security.ima");
  g_assert (ima == NULL || g_bytes_get_size (ima) <= size);
  g_autoptr (GVariant) canonical = oima_xattrs_canonicalize (xattrs);
  g_assert (oima_xattrs_is_canonical (canonical));
  g_autofree char *problem = oima_xattrs_describe_problem (canonical);
  g_assert (problem == NULL);
  g_autofree char *original_problem = oima_xattrs_describe_problem (xattrs);
  g_assert ((original_problem == NULL) == oima_xattrs_is_canonical (xattrs));
  g_autoptr (GVariant) filtered = oima_xattrs_filter_out (xattrs, "security.evm");
  g_autoptr (GBytes) evm = oima_xattrs_lookup (filtered, "security.evm");
  g_assert (evm == NULL);
  g_autoptr (GVariant) set = oima_xattrs_set (xattrs, "security.ima", bytes);
  g_assert (oima_xattrs_is_canonical (set));
  return 0;
}
