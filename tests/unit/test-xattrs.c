/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-xattrs.h"

/* An a(ayay) from name/value pairs; @with_nul FALSE writes names the way
 * the buggy signer of ostree issue #3240 did. */
static GVariant *
make_xattrs (gboolean with_nul, const char *const *pairs)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ayay)"));
  for (const char *const *p = pairs; *p; p += 2)
    {
      GVariant *name
          = with_nul ? g_variant_new_bytestring (p[0])
                     : g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, p[0], strlen (p[0]), 1);
      g_variant_builder_add (
          &b, "(@ay@ay)", name,
          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, p[1], strlen (p[1]), 1));
    }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static void
test_set_sorts_and_terminates (void)
{
  const char *pairs[] = { "user.z", "1", "security.selinux", "ctx", NULL };
  g_autoptr (GVariant) in = make_xattrs (TRUE, pairs);
  g_assert_false (oima_xattrs_is_canonical (in));
  g_autoptr (GBytes) ima = g_bytes_new_static ("\x03\x02", 2);
  g_autoptr (GVariant) out = oima_xattrs_set (in, "security.ima", ima);
  g_assert_true (oima_xattrs_is_canonical (out));
  g_assert_cmpuint (g_variant_n_children (out), ==, 3);
  const char *expected[] = { "security.ima", "security.selinux", "user.z" };
  for (gsize i = 0; i < 3; i++)
    {
      g_autoptr (GVariant) name = NULL;
      g_autoptr (GVariant) value = NULL;
      g_variant_get_child (out, i, "(@ay@ay)", &name, &value);
      gsize len = 0;
      const char *data = g_variant_get_fixed_array (name, &len, 1);
      g_assert_cmpuint (len, ==, strlen (expected[i]) + 1);
      g_assert_cmpint (data[len - 1], ==, '\0');
      g_assert_cmpstr (data, ==, expected[i]);
    }
  g_autoptr (GBytes) back = oima_xattrs_lookup (out, "security.ima");
  g_assert_true (g_bytes_equal (back, ima));
}

static void
test_replace_and_remove (void)
{
  const char *pairs[] = { "security.ima", "old", "security.evm", "x", NULL };
  g_autoptr (GVariant) in = make_xattrs (TRUE, pairs);
  g_autoptr (GBytes) ima = g_bytes_new_static ("new", 3);
  g_autoptr (GVariant) replaced = oima_xattrs_set (in, "security.ima", ima);
  g_assert_cmpuint (g_variant_n_children (replaced), ==, 2);
  g_autoptr (GBytes) got = oima_xattrs_lookup (replaced, "security.ima");
  g_assert_true (g_bytes_equal (got, ima));
  g_autoptr (GVariant) removed = oima_xattrs_set (replaced, "security.evm", NULL);
  g_assert_cmpuint (g_variant_n_children (removed), ==, 1);
  g_assert_null (oima_xattrs_lookup (removed, "security.evm"));
}

static void
test_canonicalize_repairs (void)
{
  /* Names without NUL and a duplicate: the last value wins. */
  const char *pairs[] = { "security.ima", "first", "user.a", "u", "security.ima", "second", NULL };
  g_autoptr (GVariant) in = make_xattrs (FALSE, pairs);
  g_autoptr (GVariant) out = oima_xattrs_canonicalize (in);
  g_assert_true (oima_xattrs_is_canonical (out));
  g_assert_cmpuint (g_variant_n_children (out), ==, 2);
  g_autoptr (GBytes) ima = oima_xattrs_lookup (out, "security.ima");
  g_assert_cmpmem (g_bytes_get_data (ima, NULL), g_bytes_get_size (ima), "second", 6);
  g_assert_true (oima_xattrs_is_canonical (NULL));
}

/* A zero-length name (stock fsck and checkout accept such a list) is
 * neither a match nor a crash, and canonicalizing drops it. */
static void
test_empty_name (void)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ayay)"));
  g_variant_builder_add (&b, "(@ay@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "x", 1, 1));
  g_variant_builder_add (&b, "(@ay@ay)", g_variant_new_bytestring ("user.a"),
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "1", 1, 1));
  g_autoptr (GVariant) xattrs = g_variant_ref_sink (g_variant_builder_end (&b));
  g_assert_null (oima_xattrs_lookup (xattrs, ""));
  g_autoptr (GBytes) a = oima_xattrs_lookup (xattrs, "user.a");
  g_assert_nonnull (a);
  g_autoptr (GVariant) canonical = oima_xattrs_canonicalize (xattrs);
  g_assert_cmpuint (g_variant_n_children (canonical), ==, 1);
  g_assert_false (oima_xattrs_is_canonical (xattrs));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/xattrs/set-sorts-and-terminates", test_set_sorts_and_terminates);
  g_test_add_func ("/xattrs/replace-and-remove", test_replace_and_remove);
  g_test_add_func ("/xattrs/canonicalize-repairs", test_canonicalize_repairs);
  g_test_add_func ("/xattrs/empty-name", test_empty_name);
  return g_test_run ();
}
