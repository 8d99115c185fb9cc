/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * /etc/ostree/ima.conf: defaults, the documented example, path resolution
 * inside the sysroot, and every malformed input with its file:line message.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "oima-device-config.h"
#include "test-files.h"

typedef struct
{
  char *sysroot;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->sysroot = g_dir_make_tmp ("oima-conf-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *dir = g_build_filename (f->sysroot, "etc/ostree", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->sysroot);
  g_free (f->sysroot);
}

static void
write_conf (Fixture *f, const char *text)
{
  g_autofree char *path = g_build_filename (f->sysroot, "etc/ostree/ima.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaDeviceConfig) c = NULL;
  g_assert_true (oima_device_config_load (f->sysroot, NULL, &c, &error));
  g_assert_false (c->found);
  g_assert_cmpint (c->pull_mode, ==, OIMA_ENFORCE_MODE_WARN);
  g_assert_cmpint (c->deploy_mode, ==, OIMA_ENFORCE_MODE_WARN);
  g_assert_cmpuint (c->certs->len, ==, 1);
  g_autofree char *certs = g_build_filename (f->sysroot, "etc/keys/ima", NULL);
  g_assert_cmpstr (c->certs->pdata[0], ==, certs);
  g_assert_null (c->policy_file);
  g_assert_cmpuint (g_strv_length (c->builtins), ==, 0);
  g_assert_false (c->has_fsmagic);
  g_assert_cmpstr (c->evm, ==, "off");
  g_assert_cmpint (c->evm_mode, ==, OIMA_EVM_MODE_OFF);
  g_assert_null (c->etc_signing_key);
  /* No file and no /etc/keys/ima: not set up for IMA. */
  g_assert_true (oima_device_config_is_unset (c));
  g_assert_cmpint (g_mkdir_with_parents (certs, 0755), ==, 0);
  g_assert_false (oima_device_config_is_unset (c));
}

static void
test_example (Fixture *f, gconstpointer data)
{
  const char *srcdir = g_getenv ("OSTREE_IMA_SRCDIR");
  g_autofree char *example = g_build_filename (srcdir ? srcdir : SRCDIR,
                                               "tests/data/device-config/ima.conf.example", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (example, &text, NULL, &error));
  write_conf (f, text);
  g_autoptr (OimaDeviceConfig) c = NULL;
  g_assert_true (oima_device_config_load (f->sysroot, NULL, &c, &error));
  g_assert_no_error (error);
  g_assert_true (c->found);
  g_assert_cmpint (c->pull_mode, ==, OIMA_ENFORCE_MODE_ENFORCE);
  g_autofree char *policy = g_build_filename (f->sysroot, "etc/ima/ima-policy", NULL);
  g_assert_cmpstr (c->policy_file, ==, policy);
  g_assert_cmpstr (c->builtins[0], ==, "appraise_tcb");
  g_assert_true (c->has_fsmagic);
  g_assert_cmpuint (c->fsmagic, ==, 0xEF53);
  g_assert_cmpstr (c->kernel, ==, "6.12");
  g_assert_cmpstr (c->strip_xattrs[0], ==, "security.evm");
  g_autofree char *key = g_build_filename (f->sysroot, "etc/keys/ima-device/key.pem", NULL);
  g_assert_cmpstr (c->etc_signing_key, ==, key);
  g_assert_true (g_str_has_prefix (c->etc_signing_pass_file, f->sysroot));
}

static void
test_pkcs11_and_lists (Fixture *f, gconstpointer data)
{
  write_conf (f, "[trust]\ncerts=/etc/keys/ima;/usr/share/keys/vendor.der\n"
                 "[deploy]\netc-signing-key=pkcs11:token=dev;object=ima\n"
                 "[policy]\nfsmagic=0x58465342\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaDeviceConfig) c = NULL;
  g_assert_true (oima_device_config_load (f->sysroot, NULL, &c, &error));
  g_assert_cmpuint (c->certs->len, ==, 2);
  g_assert_cmpstr (c->etc_signing_key, ==, "pkcs11:token=dev;object=ima");
  g_assert_cmpuint (c->fsmagic, ==, 0x58465342);
}

static void
test_evm (Fixture *f, gconstpointer data)
{
  write_conf (f, "[policy]\nevm = x509 \n");
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaDeviceConfig) c = NULL;
  g_assert_true (oima_device_config_load (f->sysroot, NULL, &c, &error));
  g_assert_cmpint (c->evm_mode, ==, OIMA_EVM_MODE_X509);
  g_assert_cmpstr (c->evm, ==, "x509");
}

typedef struct
{
  const char *text;
  const char *message; /* after "SYSROOT/etc/ostree/ima.conf" */
} BadCase;

static const BadCase bad_cases[] = {
  { "[pull]\nmode=enforcing\n",
    ":2: [pull] mode: invalid value \"enforcing\" (expected enforce, warn or off)" },
  { "[deploy]\n\nmode = maybe\n", ":3: [deploy] mode: invalid value \"maybe\"" },
  { "[pul]\nmode=warn\n", ":1: [pul]: unknown group" },
  { "[pull]\nmdoe=warn\n", ":2: [pull] mdoe: unknown key" },
  { "[pull]\nmode warn\n", ":2: neither \"key=value\", a [group] nor a # comment" },
  { "[pull\nmode=warn\n", ":1: a group header without its closing ']'" },
  { "[trust]\ncerts=keys/ima\n", ":2: [trust] certs: \"keys/ima\" is not an absolute path" },
  { "[trust]\ncerts=/etc/../../host/keys\n",
    ":2: [trust] certs: \"/etc/../../host/keys\" leaves the sysroot" },
  { "[trust]\ncerts=\n", ":2: [trust] certs: empty: the device would trust no key" },
  { "[policy]\nbuiltin=appraise_tbc\n",
    ":2: [policy] builtin: unknown builtin policy \"appraise_tbc\"" },
  { "[policy]\nfsmagic=zfs2\n", ":2: [policy] fsmagic: unknown file system \"zfs2\"" },
  { "[policy]\nkernel=six\n", ":2: [policy] kernel: invalid value \"six\"" },
  { "[policy]\nevm=yes\n", ":2: [policy] evm: invalid value \"yes\" (expected off, x509 or hmac)" },
  { "[deploy]\nstrip-xattrs=evm\n", ":2: [deploy] strip-xattrs: \"evm\" is not an xattr name" },
  { "[deploy]\netc-signing-key=pkcs11:token=a;pin-value=1234\n",
    ":2: [deploy] etc-signing-key: the PKCS#11 URI carries pin-value" },
  { "[deploy]\netc-signing-pass=hunter2\n",
    ":2: [deploy] etc-signing-pass: a passphrase or PIN never goes into the configuration" },
  { "[deploy]\netc-signing-cert=/etc/c.der\n",
    ":2: [deploy] etc-signing-cert: given without etc-signing-key" },
};

static void
test_bad (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      write_conf (f, bad_cases[i].text);
      g_autoptr (GError) error = NULL;
      g_autoptr (OimaDeviceConfig) c = NULL;
      g_assert_false (oima_device_config_load (f->sysroot, NULL, &c, &error));
      g_assert_null (c);
      g_autofree char *expect
          = g_strdup_printf ("%s/etc/ostree/ima.conf%s", f->sysroot, bad_cases[i].message);
      if (!g_str_has_prefix (error->message, expect))
        g_error ("case %u: got \"%s\", expected \"%s...\"", i, error->message, expect);
      /* A passphrase never reaches a message. */
      g_assert_null (strstr (error->message, "hunter2"));
      g_assert_null (strstr (error->message, "1234"));
    }
}

static void
test_unreadable (Fixture *f, gconstpointer data)
{
  /* A directory where the file should be. */
  g_autofree char *path = g_build_filename (f->sysroot, "etc/ostree/ima.conf", NULL);
  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaDeviceConfig) c = NULL;
  g_assert_false (oima_device_config_load (f->sysroot, NULL, &c, &error));
  g_assert_true (g_str_has_prefix (error->message, path));
  /* An explicit path that does not exist is the defaults, like the default one. */
  g_clear_error (&error);
  g_autofree char *other = g_build_filename (f->sysroot, "nope.conf", NULL);
  g_assert_true (oima_device_config_load (f->sysroot, other, &c, &error));
  g_assert_false (c->found);
}

static void
test_fsmagic (void)
{
  guint64 m = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_fsmagic_parse ("btrfs", &m, &error));
  g_assert_cmpuint (m, ==, 0x9123683E);
  g_assert_true (oima_fsmagic_parse ("0x01021994", &m, &error));
  g_assert_cmpuint (m, ==, 0x01021994);
  g_assert_false (oima_fsmagic_parse ("0x1ffffffff", &m, &error));
  g_clear_error (&error);
  g_assert_true (oima_fsmagic_of_path ("/", &m, &error));
  g_assert_cmpuint (m, !=, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/device-config/defaults", Fixture, NULL, setup, test_defaults, teardown);
  g_test_add ("/device-config/example", Fixture, NULL, setup, test_example, teardown);
  g_test_add ("/device-config/pkcs11-and-lists", Fixture, NULL, setup, test_pkcs11_and_lists,
              teardown);
  g_test_add ("/device-config/evm", Fixture, NULL, setup, test_evm, teardown);
  g_test_add ("/device-config/bad", Fixture, NULL, setup, test_bad, teardown);
  g_test_add ("/device-config/unreadable", Fixture, NULL, setup, test_unreadable, teardown);
  g_test_add_func ("/device-config/fsmagic", test_fsmagic);
  return g_test_run ();
}
