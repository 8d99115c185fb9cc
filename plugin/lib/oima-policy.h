/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * IMA policies as the kernel reads them (security/integrity/ima/
 * ima_policy.c, Documentation/ABI/testing/ima_policy): the rules of a
 * policy file, and the builtin policies of `ima_policy=`.
 *
 *   OimaPolicyOptions opts = { .kernel = "6.1" };
 *   g_autoptr(OimaPolicy) policy = oima_policy_parse (text, -1, "/etc/ima/ima-policy",
 *                                                      &opts, &error);
 *   // error: "/etc/ima/ima-policy: line 3, column 16: unknown keyword \"path=/usr\""
 *   g_autoptr(OimaPolicy) builtin = oima_policy_new_builtin ((const char *[]){ "appraise_tcb",
 *                                                             NULL }, &opts, &error);
 *
 * The kernel refuses a whole policy if one rule is wrong; so does the
 * parser.  Keywords depend on the kernel version (opts.kernel): a keyword
 * the device's kernel does not know is an error there too.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The kernel's hooks (enum ima_hooks). */
typedef enum
{
  OIMA_HOOK_NONE = 0,
  OIMA_HOOK_FILE_CHECK,
  OIMA_HOOK_MMAP_CHECK,
  OIMA_HOOK_MMAP_CHECK_REQPROT,
  OIMA_HOOK_BPRM_CHECK,
  OIMA_HOOK_CREDS_CHECK,
  OIMA_HOOK_POST_SETATTR,
  OIMA_HOOK_MODULE_CHECK,
  OIMA_HOOK_FIRMWARE_CHECK,
  OIMA_HOOK_KEXEC_KERNEL_CHECK,
  OIMA_HOOK_KEXEC_INITRAMFS_CHECK,
  OIMA_HOOK_POLICY_CHECK,
  OIMA_HOOK_KEXEC_CMDLINE,
  OIMA_HOOK_KEY_CHECK,
  OIMA_HOOK_CRITICAL_DATA,
  OIMA_HOOK_SETXATTR_CHECK,
  OIMA_HOOK_N
} OimaHook;

const char *oima_hook_name (OimaHook hook);

/* Actions (the kernel's values). */
#define OIMA_ACTION_MEASURE 0x0001
#define OIMA_ACTION_DONT_MEASURE 0x0002
#define OIMA_ACTION_APPRAISE 0x0004
#define OIMA_ACTION_DONT_APPRAISE 0x0008
#define OIMA_ACTION_AUDIT 0x0040
#define OIMA_ACTION_HASH 0x0100
#define OIMA_ACTION_DONT_HASH 0x0200

/* mask= values. */
#define OIMA_MAY_EXEC 0x1
#define OIMA_MAY_WRITE 0x2
#define OIMA_MAY_READ 0x4
#define OIMA_MAY_APPEND 0x8

/* What a rule conditions on, and its options. */
typedef enum
{
  OIMA_RULE_FUNC = 1 << 0,
  OIMA_RULE_MASK = 1 << 1,   /* mask=X: the hook's mask is exactly X */
  OIMA_RULE_INMASK = 1 << 2, /* mask=^X: the hook's mask includes X */
  OIMA_RULE_FSMAGIC = 1 << 3,
  OIMA_RULE_FSNAME = 1 << 4,
  OIMA_RULE_FSUUID = 1 << 5,
  OIMA_RULE_UID = 1 << 6,
  OIMA_RULE_EUID = 1 << 7,
  OIMA_RULE_GID = 1 << 8,
  OIMA_RULE_EGID = 1 << 9,
  OIMA_RULE_FOWNER = 1 << 10,
  OIMA_RULE_FGROUP = 1 << 11,
  OIMA_RULE_PCR = 1 << 12,
  OIMA_RULE_KEYRINGS = 1 << 13,
  OIMA_RULE_LABEL = 1 << 14,
  OIMA_RULE_VALIDATE_ALGOS = 1 << 15,  /* appraise_algos= */
  OIMA_RULE_DIGSIG_REQUIRED = 1 << 16, /* appraise_type=imasig (or sigv3) */
  OIMA_RULE_MODSIG_ALLOWED = 1 << 17,  /* appraise_type=imasig|modsig */
  OIMA_RULE_CHECK_BLACKLIST = 1 << 18, /* appraise_flag=check_blacklist */
  OIMA_RULE_VERITY_REQUIRED = 1 << 19, /* digest_type=verity */
  OIMA_RULE_PERMIT_DIRECTIO = 1 << 20,
} OimaRuleFlags;

typedef enum
{
  OIMA_RULE_OP_EQ,
  OIMA_RULE_OP_GT,
  OIMA_RULE_OP_LT,
} OimaRuleOp;

/* obj_user, obj_role, obj_type, subj_user, subj_role, subj_type */
#define OIMA_RULE_N_LSM 6

typedef struct
{
  guint line;   /* in the source; 0 for builtin rules */
  char *text;   /* the rule as written (builtins: as ima_policy_show prints it) */
  guint action; /* one OIMA_ACTION_* */
  guint flags;  /* OimaRuleFlags */
  OimaHook func;
  guint mask;
  guint64 fsmagic;
  char *fsname;
  guint8 fsuuid[16];
  guint32 uid, gid, fowner, fgroup; /* uid also for euid, gid for egid */
  OimaRuleOp uid_op, gid_op, fowner_op, fgroup_op;
  guint32 allowed_algos; /* bit n: kernel hash algorithm n (oima-hash.h) */
  char *lsm[OIMA_RULE_N_LSM];
  int pcr;
  char *template_name;
  char *keyrings;
  char *label;
} OimaPolicyRule;

typedef struct
{
  /* The device kernel's version, "6.1", "6.12", ...; NULL: the newest known
   * (the simulator knows keywords up to 6.12). */
  const char *kernel;
  /* CONFIG_IMA_APPRAISE_SIGNED_INIT: appraise_tcb's `appraise fowner=0`
   * requires a signature (else a hash is enough).  Debian: not set. */
  gboolean appraise_signed_init;
} OimaPolicyOptions;

typedef struct _OimaPolicy OimaPolicy;

/* Parse a policy file.  @source_name prefixes errors. */
OimaPolicy *oima_policy_parse (const char *text, gssize len, const char *source_name,
                               const OimaPolicyOptions *options, GError **error);

/* The rules `ima_policy=NAME|...` gives (tcb, appraise_tcb, secure_boot,
 * critical_data, fail_securely), in the kernel's order. */
OimaPolicy *oima_policy_new_builtin (const char *const *names, const OimaPolicyOptions *options,
                                     GError **error);

OimaPolicy *oima_policy_ref (OimaPolicy *policy);
void oima_policy_unref (OimaPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaPolicy, oima_policy_unref)

guint oima_policy_get_n_rules (OimaPolicy *policy);
const OimaPolicyRule *oima_policy_get_rule (OimaPolicy *policy, guint i);
/* ima_policy=fail_securely was given. */
gboolean oima_policy_get_fail_securely (OimaPolicy *policy);

G_END_DECLS
