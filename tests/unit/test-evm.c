/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * EVM as the kernel's evm_verify_hmac() judges a file, for the appraisal
 * simulator: a portable signature (0x05) that verifies passes immutable;
 * a changed mode, owner, security.ima or covered xattr, another key or a
 * malformed signature is invalid-fail-immutable; no security.evm is
 * missing-HMAC; an HMAC (0x02) in x509 mode, a truncated value or an
 * unknown type is invalid-HMAC.  Also the mode names and oima_evm_verify.
 */
#include <string.h>

#include <glib.h>

#include "oima-evm.h"
#include "oima-keygen.h"
#include "oima-xattrs.h"
#include "test-hex.h"
#include "test-files.h"

#define MODE 0100755

typedef struct
{
  char *dir;
  OimaSigningKey *key;
  OimaTrust *trust;
  GVariant *xattrs; /* security.ima (a hash), security.evm signed over uid 0, gid 0, MODE */
} Fixture;

static GVariant *
with (GVariant *xattrs, const char *name, GBytes *value)
{
  return oima_xattrs_set (xattrs, name, value);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("oima-evm-XXXXXX", &error);
  g_assert_no_error (error);
  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_RSA, 2048, 0, NULL };
  g_autofree char *kdir = g_build_filename (f->dir, "key", NULL);
  g_assert_true (oima_keygen (kdir, &kopts, NULL, &error));
  g_autofree char *key_path = g_build_filename (kdir, "ima-key.pem", NULL);
  g_autofree char *cert = g_build_filename (kdir, "ima-cert.pem", NULL);
  f->key = oima_signing_key_load (key_path, NULL, &error);
  g_assert_no_error (error);
  f->trust = oima_trust_new ();
  g_assert_true (oima_trust_add_path (f->trust, cert, &error));
  g_autoptr (GBytes) ima
      = bytes_from_hex ("040400112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  g_autoptr (GVariant) base = with (NULL, OIMA_XATTR_IMA, ima);
  g_autoptr (GBytes) evm
      = oima_evm_sign_portable (f->key, OIMA_HASH_SHA256, base, 0, 0, MODE, &error);
  g_assert_no_error (error);
  f->xattrs = with (base, OIMA_XATTR_EVM, evm);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_variant_unref (f->xattrs);
  oima_trust_unref (f->trust);
  oima_signing_key_unref (f->key);
  remove_tree (f->dir);
  g_free (f->dir);
}

/* The kernel's cause for @xattrs (NULL: passes), and its detail. */
static const char *
cause (OimaTrust *trust, OimaEvmMode mode, GVariant *xattrs, guint32 uid, guint32 st_mode,
       char **out_detail)
{
  g_autofree char *detail = NULL;
  OimaEvmStatus s = oima_evm_appraise (trust, mode, xattrs, uid, 0, st_mode, &detail);
  const char *c = oima_evm_status_kernel_cause (s);
  /* Every failure explains itself in one line; a pass says nothing. */
  if (c)
    g_assert_true (detail != NULL && strchr (detail, '\n') == NULL);
  else
    g_assert_null (detail);
  if (out_detail)
    *out_detail = g_steal_pointer (&detail);
  return c;
}

static void
test_portable (Fixture *f, gconstpointer data)
{
  g_autofree char *d = NULL;
  g_assert_cmpint (oima_evm_appraise (f->trust, OIMA_EVM_MODE_X509, f->xattrs, 0, 0, MODE, &d), ==,
                   OIMA_EVM_PASS_IMMUTABLE);
  g_assert_null (d);
  /* The metadata changed after signing. */
  g_autofree char *moded = NULL;
  g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_X509, f->xattrs, 0, 0100700, &moded), ==,
                   "invalid-fail-immutable");
  g_assert_true (
      strstr (moded, "does not match the file's security xattrs, owner, group and mode"));
  g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_X509, f->xattrs, 1000, MODE, NULL), ==,
                   "invalid-fail-immutable");
  g_autoptr (GBytes) label = g_bytes_new_static ("system_u:object_r:bin_t:s0", 27);
  g_autoptr (GVariant) labelled = with (f->xattrs, "security.selinux", label);
  g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_X509, labelled, 0, MODE, NULL), ==,
                   "invalid-fail-immutable");
  g_autoptr (GBytes) other_ima
      = bytes_from_hex ("0404ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  g_autoptr (GVariant) reima = with (f->xattrs, OIMA_XATTR_IMA, other_ima);
  g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_X509, reima, 0, MODE, NULL), ==,
                   "invalid-fail-immutable");
  /* Not a covered xattr: no change. */
  g_autoptr (GBytes) user = g_bytes_new_static ("x", 1);
  g_autoptr (GVariant) with_user = with (f->xattrs, "user.note", user);
  g_assert_null (cause (f->trust, OIMA_EVM_MODE_X509, with_user, 0, MODE, NULL));
  /* A key the _evm keyring does not hold. */
  g_autoptr (OimaTrust) empty = oima_trust_new ();
  g_autofree char *unknown = NULL;
  g_assert_cmpstr (cause (empty, OIMA_EVM_MODE_X509, f->xattrs, 0, MODE, &unknown), ==,
                   "invalid-fail-immutable");
  g_assert_true (g_str_has_prefix (unknown, "portable EVM signature: no trusted certificate"));
  /* hmac mode checks portable signatures the same way. */
  g_assert_null (cause (f->trust, OIMA_EVM_MODE_HMAC, f->xattrs, 0, MODE, NULL));
  g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_HMAC, f->xattrs, 0, 0100700, NULL), ==,
                   "invalid-fail-immutable");
}

static void
test_bad_values (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *hex;         /* security.evm; NULL: none */
    const char *x509, *hmac; /* the kernel's cause in each mode */
    const char *detail;
  } cases[] = {
    { NULL, "missing-HMAC", "missing-HMAC", "no security.evm" },
    { "", "invalid-HMAC", "invalid-HMAC", "an empty security.evm" },
    { "020000000000000000000000000000000000000000", "invalid-HMAC", NULL,
      "security.evm is an HMAC (0x02)" },
    { "0200", "invalid-HMAC", "invalid-HMAC", "an EVM HMAC of 2 bytes (21 expected)" },
    { "030204aabbccdd0002beef", "invalid-HMAC", NULL, "inode-bound signature (0x03)" },
    { "030204aabbccdd00", "invalid-HMAC", "invalid-HMAC", "an EVM signature header without" },
    { "050204aabbccdd0001", "invalid-HMAC", "invalid-HMAC",
      "a portable EVM signature header without a signature" },
    { "050204aabbccdd0009beef", "invalid-fail-immutable", "invalid-fail-immutable",
      "malformed security.evm: " },
    { "0700", "invalid-HMAC", "invalid-HMAC", "security.evm of type 0x07" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) v = cases[i].hex ? bytes_from_hex (cases[i].hex) : NULL;
      g_autoptr (GVariant) x = with (f->xattrs, OIMA_XATTR_EVM, v);
      g_autofree char *detail = NULL;
      g_test_message ("case %u: %s", i, cases[i].hex ? cases[i].hex : "(none)");
      g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_X509, x, 0, MODE, &detail), ==,
                       cases[i].x509);
      g_assert_true (strstr (detail, cases[i].detail));
      g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_HMAC, x, 0, MODE, NULL), ==, cases[i].hmac);
    }
  /* A portable signature without security.ima: the kernel refuses it. */
  g_autoptr (GVariant) no_ima = with (f->xattrs, OIMA_XATTR_IMA, NULL);
  g_autofree char *detail = NULL;
  g_assert_cmpstr (cause (f->trust, OIMA_EVM_MODE_X509, no_ima, 0, MODE, &detail), ==,
                   "invalid-fail-immutable");
  g_assert_cmpstr (detail, ==, "a portable EVM signature on a file without security.ima");
}

static void
test_verify (Fixture *f, gconstpointer data)
{
  OimaVerifyStatus status;
  g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL;
  oima_evm_verify (f->trust, f->xattrs, 0, 0, MODE, &status, &d1);
  g_assert_cmpint (status, ==, OIMA_VERIFY_VALID);
  oima_evm_verify (f->trust, f->xattrs, 0, 0, 0100644, &status, &d2);
  g_assert_cmpint (status, ==, OIMA_VERIFY_BAD_SIGNATURE);
  g_autoptr (OimaTrust) empty = oima_trust_new ();
  oima_evm_verify (empty, f->xattrs, 0, 0, MODE, &status, &d3);
  g_assert_cmpint (status, ==, OIMA_VERIFY_UNKNOWN_KEY);
  g_autoptr (GVariant) none = with (f->xattrs, OIMA_XATTR_EVM, NULL);
  oima_evm_verify (f->trust, none, 0, 0, MODE, &status, &d4);
  g_assert_cmpint (status, ==, OIMA_VERIFY_UNSIGNED);
  g_autoptr (GBytes) hmac = bytes_from_hex ("020000000000000000000000000000000000000000");
  g_autoptr (GVariant) inode = with (f->xattrs, OIMA_XATTR_EVM, hmac);
  oima_evm_verify (f->trust, inode, 0, 0, MODE, &status, &d5);
  g_assert_cmpint (status, ==, OIMA_VERIFY_BAD_SIGNATURE);
  g_assert_true (strstr (d5, "bound to one inode"));
}

static void
test_modes (void)
{
  g_autoptr (GError) error = NULL;
  OimaEvmMode m = OIMA_EVM_MODE_OFF;
  for (OimaEvmMode i = OIMA_EVM_MODE_OFF; i <= OIMA_EVM_MODE_HMAC; i++)
    {
      g_assert_true (oima_evm_mode_parse (oima_evm_mode_name (i), &m, &error));
      g_assert_cmpint (m, ==, i);
    }
  g_assert_false (oima_evm_mode_parse ("on", &m, &error));
  g_assert_cmpstr (error->message, ==, "invalid value \"on\" (expected off, x509 or hmac)");
  g_assert_null (oima_evm_status_kernel_cause (OIMA_EVM_PASS));
  g_assert_cmpstr (oima_evm_status_kernel_cause (OIMA_EVM_NOLABEL), ==, "missing-HMAC");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/evm/modes", test_modes);
  g_test_add ("/evm/portable", Fixture, NULL, setup, test_portable, teardown);
  g_test_add ("/evm/bad-values", Fixture, NULL, setup, test_bad_values, teardown);
  g_test_add ("/evm/verify", Fixture, NULL, setup, test_verify, teardown);
  return g_test_run ();
}
