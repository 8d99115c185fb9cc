/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The policy parser against real policies, the builtins, every keyword
 * and the kernel's refusals, each with its message.
 */

#include <string.h>

#include "oima-policy.h"

static char *
data_path (const char *name)
{
  const char *srcdir = g_getenv ("OSTREE_IMA_SRCDIR");
  return g_build_filename (srcdir ? srcdir : SRCDIR, "tests/data/policies", name, NULL);
}

static OimaPolicy *
parse_file (const char *name, const char *kernel, GError **error)
{
  g_autofree char *path = data_path (name);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  OimaPolicyOptions opts = { .kernel = kernel };
  return oima_policy_parse (text, -1, name, &opts, error);
}

static void
test_real_policies (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaPolicy) suse = parse_file ("suse-sdb-example.policy", "6.1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_policy_get_n_rules (suse), ==, 29);
  const OimaPolicyRule *last = oima_policy_get_rule (suse, 28);
  g_assert_cmpint (last->action, ==, OIMA_ACTION_APPRAISE);
  g_assert_cmpint (last->func, ==, OIMA_HOOK_FIRMWARE_CHECK);
  g_assert_true (last->flags & OIMA_RULE_DIGSIG_REQUIRED);
  const OimaPolicyRule *mmap = oima_policy_get_rule (suse, 25);
  g_assert_cmpint (mmap->func, ==, OIMA_HOOK_MMAP_CHECK); /* FILE_MMAP is its alias */
  g_assert_true (mmap->flags & OIMA_RULE_MASK);
  g_assert_cmpuint (mmap->fowner, ==, 0);

  g_autoptr (OimaPolicy) keylime = parse_file ("keylime-demo.policy", "6.1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_policy_get_n_rules (keylime), ==, 15);
  g_autoptr (OimaPolicy) meta = parse_file ("meta-integrity-like.policy", "6.12", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_policy_get_n_rules (meta), >, 0);

  /* The kernel refuses this one: path= is no keyword. */
  g_autoptr (OimaPolicy) chapter = parse_file ("measured-boot-chapter.policy", "6.12", &error);
  g_assert_null (chapter);
  g_assert_cmpstr (error->message, ==,
                   "measured-boot-chapter.policy: line 2, column 46: unknown keyword "
                   "\"path=/usr/local/bin/*\"");
}

static void
test_builtins (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaPolicy) tcb
      = oima_policy_new_builtin ((const char *[]){ "tcb", NULL }, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_policy_get_n_rules (tcb), ==, 13 + 7);
  g_autoptr (OimaPolicy) at
      = oima_policy_new_builtin ((const char *[]){ "appraise_tcb", NULL }, NULL, &error);
  g_assert_cmpuint (oima_policy_get_n_rules (at), ==, 15);
  const OimaPolicyRule *fowner = oima_policy_get_rule (at, 14);
  g_assert_cmpint (fowner->action, ==, OIMA_ACTION_APPRAISE);
  g_assert_true (fowner->flags & OIMA_RULE_FOWNER);
  g_assert_false (fowner->flags & OIMA_RULE_DIGSIG_REQUIRED);
  OimaPolicyOptions signed_init = { .appraise_signed_init = TRUE };
  g_autoptr (OimaPolicy) at2
      = oima_policy_new_builtin ((const char *[]){ "appraise_tcb", NULL }, &signed_init, &error);
  g_assert_true (oima_policy_get_rule (at2, 14)->flags & OIMA_RULE_DIGSIG_REQUIRED);
  /* secure_boot's rules come before appraise_tcb's, as the kernel adds them. */
  g_autoptr (OimaPolicy) both = oima_policy_new_builtin (
      (const char *[]){ "appraise_tcb", "secure_boot", "fail_securely", NULL }, NULL, &error);
  g_assert_cmpuint (oima_policy_get_n_rules (both), ==, 4 + 15);
  g_assert_cmpint (oima_policy_get_rule (both, 0)->func, ==, OIMA_HOOK_MODULE_CHECK);
  g_assert_true (oima_policy_get_fail_securely (both));
  g_autoptr (OimaPolicy) bad
      = oima_policy_new_builtin ((const char *[]){ "tcbb", NULL }, NULL, &error);
  g_assert_null (bad);
  g_assert_cmpstr (error->message, ==, "Unknown builtin policy \"tcbb\"");
}

static void
test_every_keyword (void)
{
  const char *text
      = "measure func=BPRM_CHECK mask=MAY_EXEC uid=0 pcr=11 template=ima-sig\n"
        "measure func=FILE_CHECK mask=^MAY_READ euid>999 fowner<1000 fgroup=0 gid=0\n"
        "dont_measure fsmagic=0x9fa0\n"
        "  # a comment\n"
        "\n"
        "appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_flag=check_blacklist\n"
        "appraise func=BPRM_CHECK fsname=ext4 fsuuid=3f8bb5d6-1e0a-4c49-9ec4-dd1d7bbb1bad "
        "appraise_type=imasig appraise_algos=sha256,sha512\n"
        "appraise func=FILE_CHECK digest_type=verity appraise_type=sigv3\n"
        "appraise func=MMAP_CHECK_REQPROT mask=MAY_EXEC appraise_type=imasig permit_directio\n"
        "appraise func=SETXATTR_CHECK appraise_algos=sha256\n"
        "measure func=KEY_CHECK keyrings=.ima|.evm\n"
        "measure func=CRITICAL_DATA label=selinux\n"
        "measure func=KEXEC_CMDLINE\n"
        "hash func=FILE_CHECK\n"
        "dont_hash fsmagic=0x1021994\n"
        "audit func=BPRM_CHECK\n"
        "dont_appraise obj_type=tmp_t\n"
        "measure subj_user=system_u subj_role=system_r subj_type=init_t obj_user=u obj_role=r\n"
        "appraise func=PATH_CHECK egid<100\n"
        "appraise func=KEXEC_INITRAMFS_CHECK\n"
        "appraise func=KEXEC_KERNEL_CHECK\n"
        "appraise func=POLICY_CHECK\n"
        "appraise func=FIRMWARE_CHECK\n"
        "appraise func=CREDS_CHECK\n";
  g_autoptr (GError) error = NULL;
  OimaPolicyOptions opts = { .kernel = "6.12" };
  g_autoptr (OimaPolicy) p = oima_policy_parse (text, -1, "all", &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_policy_get_n_rules (p), ==, 22);
  const OimaPolicyRule *r = oima_policy_get_rule (p, 1);
  g_assert_true (r->flags & OIMA_RULE_INMASK);
  g_assert_cmpint (r->uid_op, ==, OIMA_RULE_OP_GT);
  g_assert_cmpint (r->fowner_op, ==, OIMA_RULE_OP_LT);
  g_assert_cmpuint (r->line, ==, 2);
  r = oima_policy_get_rule (p, 4);
  g_assert_cmpuint (r->allowed_algos, ==, (1u << 4) | (1u << 6));
  g_assert_cmpuint (r->fsuuid[0], ==, 0x3f);
  g_assert_cmpuint (r->fsuuid[15], ==, 0xad);
  g_assert_cmpint (oima_policy_get_rule (p, 16)->func, ==, OIMA_HOOK_FILE_CHECK);
}

typedef struct
{
  const char *kernel;
  const char *rule;
  const char *message; /* after "t: " */
} Bad;

static const Bad bad[] = {
  { "6.12", "measure func=BPRM_CHECK path=/usr",
    "line 1, column 25: unknown keyword \"path=/usr\"" },
  { "6.12", "dont_audit func=BPRM_CHECK", "line 1, column 1: unknown keyword \"dont_audit\"" },
  { "6.12", "measure appraise", "line 1, column 9: a second action \"appraise\": a rule has one" },
  { "6.12", "measure func=BPRM_CHECK func=FILE_CHECK", "line 1, column 25: func= given twice" },
  { "6.12", "measure func=BPRMCHECK", "line 1, column 9: unknown func \"BPRMCHECK\"" },
  { "6.12", "measure mask=MAY_RUN", "line 1, column 9: unknown mask \"MAY_RUN\"" },
  { "6.12", "measure mask=MAY_READ mask=MAY_EXEC", "line 1, column 23: mask= given twice" },
  { "6.12", "measure fsmagic=xyz", "line 1, column 9: invalid fsmagic \"xyz\"" },
  { "6.12", "measure fsmagic=0x10 fsmagic=0x11", "line 1, column 22: fsmagic= given twice" },
  { "6.12", "measure fsuuid=1234", "line 1, column 9: invalid UUID \"1234\"" },
  { "6.12", "measure uid=0 euid=0", "line 1, column 15: a second uid/euid condition" },
  { "6.12", "measure uid=-1", "line 1, column 9: invalid id \"-1\"" },
  { "6.12", "measure uid=0x10", "line 1, column 9: invalid id \"0x10\"" },
  { "6.12", "measure gid=0 egid=1", "line 1, column 15: a second gid/egid condition" },
  { "6.12", "measure fowner=0 fowner>1", "line 1, column 18: a second fowner condition" },
  { "6.12", "measure obj_type=a obj_type=b", "line 1, column 20: the same LSM condition twice" },
  { "6.12", "appraise appraise_type=ima", "line 1, column 10: unknown appraise_type \"ima\"" },
  { "6.12", "appraise appraise_type=sigv3",
    "line 1, column 10: appraise_type=sigv3 needs digest_type=verity before it" },
  { "6.12", "appraise appraise_type=imasig digest_type=verity",
    "line 1, column 31: digest_type= after appraise_type=" },
  { "6.12", "appraise digest_type=sha", "line 1, column 10: unknown digest_type \"sha\"" },
  { "6.12", "appraise appraise_algos=sha256,sha999",
    "line 1, column 10: unknown hash algorithm \"sha999\"" },
  { "6.12", "appraise appraise_algos=md4",
    "line 1, column 10: unavailable hash algorithm \"md4\"" },
  { "6.12", "appraise appraise_algos=sha256 appraise_algos=sha1",
    "line 1, column 32: appraise_algos= given twice" },
  { "6.12", "measure pcr=64", "line 1, column 9: invalid pcr \"64\"" },
  { "6.12", "appraise template=ima-ng", "line 1, column 10: template= is for measure rules" },
  { "6.12", "measure template=ima-foo", "line 1, column 9: unknown template \"ima-foo\"" },
  { "6.12", "measure func=KEY_CHECK keyrings=a||b",
    "line 1, column 24: an empty item in keyrings=" },
  { "6.12", "appraise appraise_flag=other", "line 1, column 10: unknown appraise_flag \"other\"" },
  { "6.12", "func=BPRM_CHECK", "line 1: no action" },
  { "6.12", "appraise pcr=10", "line 1: pcr= is for measure rules" },
  { "6.12", "measure appraise_type=imasig",
    "line 1: appraise_type=, appraise_flag= and appraise_algos= are for appraise rules" },
  { "6.12", "appraise func=KEY_CHECK",
    "line 1: func=KEY_CHECK is for measure and dont_measure rules" },
  { "6.12", "measure func=KEY_CHECK fsmagic=0x10",
    "line 1: func=KEY_CHECK does not take some of the conditions" },
  { "6.12", "measure func=CRITICAL_DATA obj_type=x",
    "line 1: func=CRITICAL_DATA does not take LSM conditions" },
  { "6.12", "measure func=BPRM_CHECK keyrings=.ima",
    "line 1: func=BPRM_CHECK does not take some of the conditions" },
  { "6.12", "appraise func=SETXATTR_CHECK", "line 1: func=SETXATTR_CHECK needs appraise_algos=" },
  { "6.12", "measure func=SETXATTR_CHECK appraise_algos=sha256",
    "line 1: appraise_type=, appraise_flag= and appraise_algos= are for appraise rules" },
  { "6.12", "appraise func=BPRM_CHECK appraise_type=imasig|modsig",
    "line 1: func=BPRM_CHECK does not take some of the conditions" },
  { "6.12", "appraise func=MODULE_CHECK appraise_flag=check_blacklist",
    "line 1: appraise_flag=check_blacklist needs appraise_type=imasig|modsig" },
  { "6.12", "appraise func=FILE_CHECK digest_type=verity",
    "line 1: appraise rules with digest_type=verity need appraise_type=sigv3" },
  { "6.12", "appraise func=MODULE_CHECK digest_type=verity appraise_type=sigv3",
    "line 1: func=MODULE_CHECK does not take some of the conditions" },
  /* What Linux 6.1 does not know yet. */
  { "6.1", "appraise func=FILE_CHECK digest_type=verity appraise_type=sigv3",
    "line 1, column 26: \"digest_type\" needs Linux 6.3 or later; the device's kernel is 6.1" },
  { "6.1", "appraise func=MMAP_CHECK_REQPROT",
    "line 1, column 10: \"MMAP_CHECK_REQPROT\" needs Linux 6.4 or later" },
  { "5.15", "measure gid=0",
    "line 1, column 9: \"gid\" needs Linux 6.0 or later; the device's kernel is 5.15" },
  { "6.12", "measure func=BPRM_CHECK\nappraise fowner=x", "line 2, column 10: invalid id \"x\"" },
  { "6.12", "# only comments\n\n", "no rules: the kernel refuses an empty policy" },
};

static void
test_bad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      OimaPolicyOptions opts = { .kernel = bad[i].kernel };
      g_autoptr (OimaPolicy) p = oima_policy_parse (bad[i].rule, -1, "t", &opts, &error);
      g_assert_null (p);
      g_autofree char *expect = g_strdup_printf ("t: %s", bad[i].message);
      if (!g_str_has_prefix (error->message, expect))
        g_error ("case %u \"%s\": got \"%s\", expected \"%s...\"", i, bad[i].rule, error->message,
                 expect);
    }
  g_autoptr (GError) error = NULL;
  OimaPolicyOptions opts = { .kernel = "six" };
  g_assert_null (oima_policy_parse ("measure", -1, "t", &opts, &error));
  g_assert_true (g_str_has_prefix (error->message, "Invalid kernel version \"six\""));
  g_clear_error (&error);
  g_assert_null (oima_policy_parse ("measure\0x", 9, "t", NULL, &error));
  g_assert_cmpstr (error->message, ==, "t: a NUL byte: not a policy file");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/policy/real", test_real_policies);
  g_test_add_func ("/policy/builtins", test_builtins);
  g_test_add_func ("/policy/every-keyword", test_every_keyword);
  g_test_add_func ("/policy/bad", test_bad);
  return g_test_run ();
}
