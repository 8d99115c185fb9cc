/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The appraisal simulator on a real commit (archive repo, real
 * signatures): which hook a file hits, which rule decides, and the
 * kernel's cause for each verdict.
 */

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "oima-appraise.h"
#include "oima-commit-signer.h"
#include "oima-keygen.h"
#include "test-files.h"

typedef struct
{
  char *dir;
  OstreeRepo *repo;
  OimaTrust *trust;
} Fixture;

/* A tree, committed; "signed" signs all but the unsigned/ files, with the
 * listed ones as hashes. */
static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("oima-appraise-XXXXXX", &error);
  g_autofree char *tree = g_build_filename (f->dir, "tree", NULL);
  write_file (tree, "usr/bin/prog",
              "\x7f"
              "ELF\x02\x01\x01 program",
              16, 0755);
  write_file (tree, "usr/bin/script", "#!/bin/sh\necho hi\n", 18, 0755);
  write_file (tree, "usr/lib/libx.so",
              "\x7f"
              "ELF\x02\x01\x01 library",
              16, 0644);
  write_file (tree, "usr/lib/modules/6.1.0/kernel/x.ko", "module", 6, 0644);
  write_file (tree, "usr/lib/modules/6.1.0/vmlinuz", "kernel", 6, 0644);
  write_file (tree, "usr/lib/firmware/fw.bin", "firmware", 8, 0644);
  write_file (tree, "usr/etc/conf", "a=1\n", 4, 0644);
  write_file (tree, "usr/bin/unsigned-tool", "#!/bin/sh\n", 10, 0755);
  g_autofree char *repo = g_build_filename (f->dir, "repo", NULL);
  g_autofree char *cmd = g_strdup_printf (
      "ostree --repo=%s init --mode=archive && ostree --repo=%s commit -b src --tree=dir=%s "
      "--owner-uid=0 --owner-gid=0 >/dev/null && ostree --repo=%s commit -b user "
      "--tree=dir=%s --owner-uid=1000 --owner-gid=1000 >/dev/null",
      repo, repo, tree, repo, tree);
  g_assert_cmpint (system (cmd), ==, 0);
  g_autoptr (GFile) file = g_file_new_for_path (repo);
  f->repo = ostree_repo_new (file);
  g_assert_true (ostree_repo_open (f->repo, NULL, &error));

  g_autofree char *kdir = g_build_filename (f->dir, "key", NULL);
  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_RSA, 2048, 0, NULL };
  g_assert_true (oima_keygen (kdir, &kopts, NULL, &error));
  g_autofree char *key_path = g_build_filename (kdir, "ima-key.pem", NULL);
  g_autofree char *cert = g_build_filename (kdir, "ima-cert.pem", NULL);
  g_autoptr (OimaSigningKey) key = oima_signing_key_load (key_path, NULL, &error);
  f->trust = oima_trust_new ();
  g_assert_true (oima_trust_add_path (f->trust, cert, &error));
  g_autoptr (OimaPathFilter) filter
      = oima_path_filter_new (NULL, (const char *[]){ "/usr/bin/unsigned-tool", NULL }, &error);
  g_autoptr (OimaPathFilter) hashed = oima_path_filter_new (
      (const char *[]){ "/usr/etc/*", "/usr/lib/libx.so", NULL }, NULL, &error);
  OimaCommitSignOptions opts = {
    .key = key, .algo = OIMA_HASH_SHA256, .filter = filter, .no_cache = TRUE, .hash_only = hashed
  };
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  OimaCommitSignOptions all = { .key = key, .algo = OIMA_HASH_SHA256, .no_cache = TRUE };
  g_assert_true (oima_commit_sign (f->repo, "src", "all-signed", &all, NULL, NULL, NULL, &error));
  g_assert_true (oima_commit_sign (f->repo, "user", "user-signed", &all, NULL, NULL, NULL, &error));
  /* Everything signed (libx.so and /usr/etc hashed), with portable EVM
   * signatures. */
  OimaCommitSignOptions evm = {
    .key = key, .algo = OIMA_HASH_SHA256, .no_cache = TRUE, .hash_only = hashed, .evm = TRUE
  };
  g_assert_true (oima_commit_sign (f->repo, "src", "evm-signed", &evm, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_object_unref (f->repo);
  oima_trust_unref (f->trust);
  remove_tree (f->dir);
  g_free (f->dir);
}

/* "path HOOK cause" lines of what the kernel would deny, on a device in
 * EVM mode @evm (no policy without @policy_text and @builtins). */
static char *
denials_evm (Fixture *f, const char *rev, const char *policy_text, const char *const *builtins,
             OimaTrust *trust, OimaEvmMode evm)
{
  g_autoptr (GError) error = NULL;
  OimaPolicyOptions popts = { .kernel = "6.12" };
  g_autoptr (OimaPolicy) policy = policy_text
                                      ? oima_policy_parse (policy_text, -1, "test", &popts, &error)
                                  : builtins ? oima_policy_new_builtin (builtins, &popts, &error)
                                             : NULL;
  g_assert_no_error (error);
  OimaAppraiserOptions aopts
      = { .policy = policy, .fsmagic = 0xEF53, .evm = evm, .evm_trust = trust ? trust : f->trust };
  g_autoptr (OimaAppraiser) ap = oima_appraiser_new (&aopts);
  OimaDeviceCheckOptions copts = { .trust = trust ? trust : f->trust,
                                   .appraise = oima_appraiser_check_file,
                                   .appraise_data = ap };
  g_autoptr (OimaDeviceReport) report = NULL;
  g_assert_true (oima_device_check_commit (f->repo, rev, &copts, &report, NULL, &error));
  g_assert_no_error (error);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < report->denials->len; i++)
    {
      OimaDenial *d = report->denials->pdata[i];
      g_string_append_printf (s, "%s %s %s\n", d->path, d->hook ? d->hook : "-", d->cause);
    }
  return g_string_free (s, FALSE);
}

static char *
denials (Fixture *f, const char *rev, const char *policy_text, const char *const *builtins,
         OimaTrust *trust)
{
  return denials_evm (f, rev, policy_text, builtins, trust, OIMA_EVM_MODE_OFF);
}

#define EXEC_POLICY                                                                                \
  "appraise func=BPRM_CHECK appraise_type=imasig\n"                                                \
  "appraise func=MMAP_CHECK mask=MAY_EXEC appraise_type=imasig\n"

static void
test_exec_policy (Fixture *f, gconstpointer data)
{
  g_autofree char *all = denials (f, "all-signed", EXEC_POLICY, NULL, NULL);
  g_assert_cmpstr (all, ==, "");
  g_autofree char *src = denials (f, "src", EXEC_POLICY, NULL, NULL);
  g_assert_cmpstr (src, ==,
                   "/usr/bin/prog BPRM_CHECK IMA-signature-required\n"
                   "/usr/bin/prog MMAP_CHECK IMA-signature-required\n"
                   "/usr/bin/script BPRM_CHECK IMA-signature-required\n"
                   "/usr/bin/unsigned-tool BPRM_CHECK IMA-signature-required\n"
                   "/usr/lib/libx.so MMAP_CHECK IMA-signature-required\n");
  /* A hash where a signature is required; an unsigned executable. */
  g_autofree char *mixed = denials (f, "signed", EXEC_POLICY, NULL, NULL);
  g_assert_cmpstr (mixed, ==,
                   "/usr/bin/unsigned-tool BPRM_CHECK IMA-signature-required\n"
                   "/usr/lib/libx.so MMAP_CHECK IMA-signature-required\n");
  /* Signatures by a key the keyring does not hold. */
  g_autoptr (OimaTrust) empty = oima_trust_new ();
  g_autofree char *untrusted = denials (f, "all-signed", EXEC_POLICY, NULL, empty);
  g_assert_true (strstr (untrusted, "/usr/bin/prog BPRM_CHECK invalid-signature\n"));
}

static void
test_conditions (Fixture *f, gconstpointer data)
{
  /* dont_appraise decides first: nothing on ext4 is appraised. */
  g_autofree char *d = denials (f, "src", "dont_appraise fsmagic=0xef53\n" EXEC_POLICY, NULL, NULL);
  g_assert_cmpstr (d, ==, "");
  /* ...but a rule for another file system does not hold. */
  g_autofree char *t
      = denials (f, "src", "dont_appraise fsmagic=0x1021994\n" EXEC_POLICY, NULL, NULL);
  g_assert_true (strstr (t, "/usr/bin/prog BPRM_CHECK"));
  /* appraise_algos without sha256 */
  g_autofree char *algos
      = denials (f, "all-signed", "appraise func=BPRM_CHECK appraise_algos=sha512\n", NULL, NULL);
  g_assert_true (strstr (algos, "/usr/bin/prog BPRM_CHECK denied-hash-algorithm\n"));
  /* fowner: files owned by uid 1000 are not appraised by fowner=0. */
  g_autofree char *owner
      = denials (f, "user", "appraise fowner=0 appraise_type=imasig\n", NULL, NULL);
  g_assert_cmpstr (owner, ==, "");
  g_autofree char *owner_lt = denials (
      f, "user", "appraise func=FILE_CHECK fowner>999 appraise_type=imasig\n", NULL, NULL);
  g_assert_true (strstr (owner_lt, "/usr/etc/conf FILE_CHECK IMA-signature-required\n"));
  /* mask=^MAY_READ holds for reads; mask=MAY_WRITE does not. */
  g_autofree char *inmask
      = denials (f, "src", "appraise func=FILE_CHECK mask=^MAY_READ\n", NULL, NULL);
  g_assert_true (strstr (inmask, "/usr/etc/conf FILE_CHECK missing-hash\n"));
  g_autofree char *write
      = denials (f, "src", "appraise func=FILE_CHECK mask=MAY_WRITE\n", NULL, NULL);
  g_assert_cmpstr (write, ==, "");
  /* Modules, firmware, the kernel. */
  g_autofree char *boot = denials (f, "src",
                                   "appraise func=MODULE_CHECK appraise_type=imasig\n"
                                   "appraise func=FIRMWARE_CHECK appraise_type=imasig\n"
                                   "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
                                   NULL, NULL);
  g_assert_cmpstr (boot, ==,
                   "/usr/lib/firmware/fw.bin FIRMWARE_CHECK IMA-signature-required\n"
                   "/usr/lib/modules/6.1.0/kernel/x.ko MODULE_CHECK IMA-signature-required\n"
                   "/usr/lib/modules/6.1.0/vmlinuz KEXEC_KERNEL_CHECK IMA-signature-required\n");
}

static void
test_builtin_appraise_tcb (Fixture *f, gconstpointer data)
{
  /* appraise fowner=0 without imasig: a hash is enough, no value is
   * missing-hash, a signature passes. */
  g_autofree char *signed_
      = denials (f, "signed", NULL, (const char *[]){ "appraise_tcb", NULL }, NULL);
  g_assert_cmpstr (signed_, ==,
                   "/usr/bin/unsigned-tool BPRM_CHECK missing-hash\n"
                   "/usr/bin/unsigned-tool FILE_CHECK missing-hash\n");
  g_autofree char *user = denials (f, "user", NULL, (const char *[]){ "appraise_tcb", NULL }, NULL);
  g_assert_cmpstr (user, ==, "");
  g_autofree char *secure_boot
      = denials (f, "src", NULL, (const char *[]){ "secure_boot", NULL }, NULL);
  g_assert_true (strstr (secure_boot, "x.ko MODULE_CHECK IMA-signature-required"));
}

/* EVM in x509 mode: checked before security.ima, only for files that have
 * one; a hash under a portable EVM signature satisfies imasig. */
static void
test_evm (Fixture *f, gconstpointer data)
{
  g_autofree char *good
      = denials_evm (f, "evm-signed", EXEC_POLICY, NULL, NULL, OIMA_EVM_MODE_X509);
  g_assert_cmpstr (good, ==, "");
  /* The same hashes without EVM are not enough. */
  g_autofree char *off = denials (f, "evm-signed", EXEC_POLICY, NULL, NULL);
  g_assert_cmpstr (off, ==, "/usr/lib/libx.so MMAP_CHECK IMA-signature-required\n");
  /* Signed without EVM: missing-HMAC where appraised; no security.ima
   * stays IMA's cause. */
  g_autofree char *mixed = denials_evm (f, "signed", EXEC_POLICY, NULL, NULL, OIMA_EVM_MODE_X509);
  g_assert_cmpstr (mixed, ==,
                   "/usr/bin/prog BPRM_CHECK missing-HMAC\n"
                   "/usr/bin/prog MMAP_CHECK missing-HMAC\n"
                   "/usr/bin/script BPRM_CHECK missing-HMAC\n"
                   "/usr/bin/unsigned-tool BPRM_CHECK IMA-signature-required\n"
                   "/usr/lib/libx.so MMAP_CHECK missing-HMAC\n");
  /* A key the keyring lacks: EVM fails first, immutable. */
  g_autoptr (OimaTrust) empty = oima_trust_new ();
  g_autofree char *stranger
      = denials_evm (f, "evm-signed", EXEC_POLICY, NULL, empty, OIMA_EVM_MODE_X509);
  g_assert_true (strstr (stranger, "/usr/bin/prog BPRM_CHECK invalid-fail-immutable\n"));
  g_assert_null (strstr (stranger, "invalid-signature"));
  /* hmac mode: portable signatures the same. */
  g_autofree char *hmac
      = denials_evm (f, "evm-signed", EXEC_POLICY, NULL, NULL, OIMA_EVM_MODE_HMAC);
  g_assert_cmpstr (hmac, ==, "");
  /* No policy: every file signed, and with EVM on, every file's EVM. */
  g_autofree char *all = denials_evm (f, "all-signed", NULL, NULL, NULL, OIMA_EVM_MODE_X509);
  g_assert_true (strstr (all, "/usr/etc/conf - missing-HMAC\n"));
  g_autofree char *none = denials_evm (f, "evm-signed", NULL, NULL, NULL, OIMA_EVM_MODE_X509);
  g_assert_cmpstr (none, ==, "");
  g_autofree char *none_off = denials_evm (f, "evm-signed", NULL, NULL, NULL, OIMA_EVM_MODE_OFF);
  g_assert_true (strstr (none_off, "/usr/etc/conf - IMA-signature-required\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/appraise/exec-policy", Fixture, NULL, setup, test_exec_policy, teardown);
  g_test_add ("/appraise/conditions", Fixture, NULL, setup, test_conditions, teardown);
  g_test_add ("/appraise/appraise-tcb", Fixture, NULL, setup, test_builtin_appraise_tcb, teardown);
  g_test_add ("/appraise/evm", Fixture, NULL, setup, test_evm, teardown);
  return g_test_run ();
}
