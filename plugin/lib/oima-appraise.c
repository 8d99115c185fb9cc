/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fnmatch.h>
#include <string.h>

#include "oima-appraise.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

struct _OimaAppraiser
{
  OimaPolicy *policy;
  guint64 fsmagic;
  char *fsname;
  gboolean has_fsuuid;
  guint8 fsuuid[16];
  guint32 subject_uid, subject_gid;
  char *policy_path;
  OimaEvmMode evm;
  OimaTrust *evm_trust;
};

static const struct
{
  guint64 magic;
  const char *name;
} fs_names[] = {
  { 0xEF53, "ext4" },         { 0x58465342, "xfs" },     { 0x9123683E, "btrfs" },
  { 0x01021994, "tmpfs" },    { 0x794c7630, "overlay" }, { 0xE0F5E1E2, "erofs" },
  { 0x73717368, "squashfs" }, { 0xF2F52010, "f2fs" },    { 0x4d44, "vfat" },
};

OimaAppraiser *
oima_appraiser_new (const OimaAppraiserOptions *options)
{
  OimaAppraiser *ap = g_new0 (OimaAppraiser, 1);
  ap->policy = options->policy ? oima_policy_ref (options->policy) : NULL;
  ap->fsmagic = options->fsmagic;
  ap->fsname = g_strdup (options->fsname);
  for (guint i = 0; ap->fsname == NULL && i < G_N_ELEMENTS (fs_names); i++)
    if (fs_names[i].magic == ap->fsmagic)
      ap->fsname = g_strdup (fs_names[i].name);
  if (options->fsuuid)
    {
      ap->has_fsuuid = TRUE;
      memcpy (ap->fsuuid, options->fsuuid, 16);
    }
  ap->subject_uid = options->subject_uid;
  ap->subject_gid = options->subject_gid;
  ap->policy_path = g_strdup (options->policy_path);
  ap->evm = options->evm;
  g_assert (ap->evm == OIMA_EVM_MODE_OFF || options->evm_trust != NULL);
  ap->evm_trust = options->evm_trust ? oima_trust_ref (options->evm_trust) : NULL;
  return ap;
}

void
oima_appraiser_free (OimaAppraiser *appraiser)
{
  g_clear_pointer (&appraiser->policy, oima_policy_unref);
  g_clear_pointer (&appraiser->evm_trust, oima_trust_unref);
  g_free (appraiser->fsname);
  g_free (appraiser->policy_path);
  g_free (appraiser);
}

static gboolean
op_holds (OimaRuleOp op, guint32 value, guint32 rule_value)
{
  switch (op)
    {
    case OIMA_RULE_OP_GT:
      return value > rule_value;
    case OIMA_RULE_OP_LT:
      return value < rule_value;
    case OIMA_RULE_OP_EQ:
    default:
      return value == rule_value;
    }
}

/* obj_user/obj_role/obj_type against the file's SELinux context
 * "user:role:type:level"; subject labels are not known here. */
static gboolean
lsm_holds (const OimaPolicyRule *r, OimaScanFile *file)
{
  gboolean any = FALSE;
  for (guint i = 0; i < OIMA_RULE_N_LSM; i++)
    any |= r->lsm[i] != NULL;
  if (!any)
    return TRUE;
  for (guint i = 3; i < OIMA_RULE_N_LSM; i++)
    if (r->lsm[i])
      return FALSE;
  g_autoptr (GBytes) label
      = oima_xattrs_lookup (oima_scan_file_get_xattrs (file), "security.selinux");
  if (label == NULL)
    return FALSE;
  gsize len = 0;
  const char *data = g_bytes_get_data (label, &len);
  g_autofree char *text = g_strndup (data, len);
  g_auto (GStrv) fields = g_strsplit (text, ":", 4);
  for (guint i = 0; i < 3; i++)
    if (r->lsm[i] && (g_strv_length (fields) <= i || !g_str_equal (fields[i], r->lsm[i])))
      return FALSE;
  return TRUE;
}

/* ima_match_rules() for a file at @hook with @mask. */
static gboolean
rule_holds (OimaAppraiser *ap, const OimaPolicyRule *r, OimaScanFile *file, OimaHook hook,
            guint mask)
{
  if ((r->flags & OIMA_RULE_FUNC) && r->func != hook)
    return FALSE;
  if (r->func == OIMA_HOOK_KEY_CHECK || r->func == OIMA_HOOK_CRITICAL_DATA)
    return FALSE;
  if ((r->flags & OIMA_RULE_MASK) && r->mask != mask)
    return FALSE;
  if ((r->flags & OIMA_RULE_INMASK) && !(r->mask & mask))
    return FALSE;
  if ((r->flags & OIMA_RULE_FSMAGIC) && r->fsmagic != ap->fsmagic)
    return FALSE;
  if ((r->flags & OIMA_RULE_FSNAME) && g_strcmp0 (r->fsname, ap->fsname) != 0)
    return FALSE;
  if ((r->flags & OIMA_RULE_FSUUID) && ap->has_fsuuid && memcmp (r->fsuuid, ap->fsuuid, 16) != 0)
    return FALSE;
  /* The subject has one uid (real = effective = saved), one gid. */
  if ((r->flags & (OIMA_RULE_UID | OIMA_RULE_EUID))
      && !op_holds (r->uid_op, ap->subject_uid, r->uid))
    return FALSE;
  if ((r->flags & (OIMA_RULE_GID | OIMA_RULE_EGID))
      && !op_holds (r->gid_op, ap->subject_gid, r->gid))
    return FALSE;
  if ((r->flags & OIMA_RULE_FOWNER)
      && !op_holds (r->fowner_op, oima_scan_file_get_uid (file), r->fowner))
    return FALSE;
  if ((r->flags & OIMA_RULE_FGROUP)
      && !op_holds (r->fgroup_op, oima_scan_file_get_gid (file), r->fgroup))
    return FALSE;
  return lsm_holds (r, file);
}

const OimaPolicyRule *
oima_appraiser_match (OimaAppraiser *ap, OimaScanFile *file, OimaHook hook, guint mask)
{
  guint n = ap->policy ? oima_policy_get_n_rules (ap->policy) : 0;
  for (guint i = 0; i < n; i++)
    {
      const OimaPolicyRule *r = oima_policy_get_rule (ap->policy, i);
      if (r->action != OIMA_ACTION_APPRAISE && r->action != OIMA_ACTION_DONT_APPRAISE)
        continue;
      if (!rule_holds (ap, r, file, hook, mask))
        continue;
      /* The first appraise or dont_appraise rule that holds decides. */
      return r->action == OIMA_ACTION_APPRAISE ? r : NULL;
    }
  return NULL;
}

static gboolean
path_matches (const char *path, const char *const *globs)
{
  for (const char *const *g = globs; *g; g++)
    if (fnmatch (*g, path, 0) == 0)
      return TRUE;
  return FALSE;
}

gboolean
oima_appraiser_file_hooks (OimaAppraiser *ap, OimaScanFile *file, guint *out_hooks,
                           GCancellable *cancellable, GError **error)
{
  static const char *const modules[] = { "/lib/modules/*.ko", "/usr/lib/modules/*.ko",
                                         "/lib/modules/*.ko.*", "/usr/lib/modules/*.ko.*", NULL };
  static const char *const firmware[] = { "/lib/firmware/*", "/usr/lib/firmware/*", NULL };
  static const char *const kernels[] = { "/usr/lib/modules/*/vmlinuz", "/boot/vmlinuz*", NULL };
  static const char *const initramfs[]
      = { "/usr/lib/modules/*/initramfs.img", "/boot/initrd*", "/boot/initramfs*", NULL };
  const char *path = oima_scan_file_get_path (file);
  guint hooks = 1u << OIMA_HOOK_FILE_CHECK;
  if (oima_scan_file_get_mode (file) & 0111)
    hooks |= 1u << OIMA_HOOK_BPRM_CHECK;
  gboolean is_module = path_matches (path, modules);
  gboolean elf = FALSE;
  if (!is_module && !oima_scan_file_is_elf (file, &elf, cancellable, error))
    return FALSE;
  if (elf)
    hooks |= 1u << OIMA_HOOK_MMAP_CHECK;
  if (is_module)
    hooks |= 1u << OIMA_HOOK_MODULE_CHECK;
  if (path_matches (path, firmware))
    hooks |= 1u << OIMA_HOOK_FIRMWARE_CHECK;
  if (path_matches (path, kernels))
    hooks |= 1u << OIMA_HOOK_KEXEC_KERNEL_CHECK;
  if (path_matches (path, initramfs))
    hooks |= 1u << OIMA_HOOK_KEXEC_INITRAMFS_CHECK;
  if (g_str_has_prefix (path, "/etc/ima/") || g_strcmp0 (path, ap->policy_path) == 0)
    hooks |= 1u << OIMA_HOOK_POLICY_CHECK;
  *out_hooks = hooks;
  return TRUE;
}

static guint
hook_mask (OimaHook hook)
{
  return hook == OIMA_HOOK_BPRM_CHECK || hook == OIMA_HOOK_MMAP_CHECK ? OIMA_MAY_EXEC
                                                                      : OIMA_MAY_READ;
}

/* The hash algorithm the kernel computes the file's digest with: the
 * value's own, else the default (sha256 on Debian). */
static guint
value_algo (const OimaXattrValue *v, gboolean decoded)
{
  return decoded ? (guint)v->algo : OIMA_HASH_SHA256;
}

/* What evm_verifyxattr() said of the file (computed once per file, when
 * a rule first appraises it). */
typedef struct
{
  gboolean done;
  gboolean checked; /* EVM on and the file has a security.ima */
  OimaEvmStatus status;
  char *detail;
} EvmVerdict;

/* ima_appraise_measurement() and xattr_verify() for one matching rule:
 * NULL when the file passes, else the audit cause. */
static const char *
appraisal_verdict (const OimaPolicyRule *r, GBytes *ima, OimaVerifyStatus status,
                   const EvmVerdict *evm, char **out_detail)
{
  gboolean digsig = (r->flags & OIMA_RULE_DIGSIG_REQUIRED) != 0;
  gsize len = 0;
  const guint8 *data = ima ? g_bytes_get_data (ima, &len) : NULL;
  if (ima == NULL)
    {
      *out_detail = g_strdup ("no security.ima");
      return digsig ? "IMA-signature-required" : "missing-hash";
    }
  /* EVM is asked before security.ima is looked at. */
  const char *evm_cause = evm->checked ? oima_evm_status_kernel_cause (evm->status) : NULL;
  if (evm_cause)
    {
      *out_detail = g_strdup (evm->detail);
      return evm_cause;
    }
  switch (data[0])
    {
    case OIMA_XATTR_TYPE_IMA_DIGEST:
    case OIMA_XATTR_TYPE_IMA_DIGEST_NG:
      /* A hash covered by a valid portable EVM signature is as good as a
       * signature (INTEGRITY_PASS_IMMUTABLE). */
      if (digsig && !(evm->checked && evm->status == OIMA_EVM_PASS_IMMUTABLE))
        {
          *out_detail = g_strdup ("a hash where the rule requires a signature");
          return (r->flags & OIMA_RULE_VERITY_REQUIRED) ? "verity-signature-required"
                                                        : "IMA-signature-required";
        }
      if (status != OIMA_VERIFY_DIGEST_ONLY)
        {
          *out_detail = g_strdup ("the hash does not match the content");
          return "invalid-hash";
        }
      return NULL;
    case OIMA_XATTR_TYPE_DIGSIG:
      if (r->flags & OIMA_RULE_VERITY_REQUIRED)
        {
          *out_detail = g_strdup ("a file signature where the rule requires fs-verity's");
          return "verity-signature-required";
        }
      if (status != OIMA_VERIFY_VALID && status != OIMA_VERIFY_WEAK_HASH)
        return "invalid-signature";
      return NULL;
    case OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG:
      *out_detail = g_strdup ("fs-verity signatures are not simulated");
      return digsig && !(r->flags & OIMA_RULE_VERITY_REQUIRED) ? "IMA-signature-required"
                                                               : "invalid-verity-signature";
    default:
      *out_detail = g_strdup_printf ("security.ima of type 0x%02x", data[0]);
      return "unknown-ima-data";
    }
}

/* The same hook and cause once per file (exec and read opens are both
 * FILE_CHECK). */
static gboolean
already_denied (GPtrArray *denials, OimaHook hook, const char *cause)
{
  for (guint i = 0; i < denials->len; i++)
    {
      OimaDenial *d = denials->pdata[i];
      if (g_str_equal (d->hook, oima_hook_name (hook)) && g_str_equal (d->cause, cause))
        return TRUE;
    }
  return FALSE;
}

/* appraise_algos= is checked only once appraisal passed (process_measurement
 * in ima_main.c), against the algorithm of the file's value. */
static const char *
verdict (const OimaPolicyRule *r, GBytes *ima, OimaVerifyStatus status, const EvmVerdict *evm,
         char **out_detail)
{
  const char *cause = appraisal_verdict (r, ima, status, evm, out_detail);
  if (cause || !(r->flags & OIMA_RULE_VALIDATE_ALGOS))
    return cause;
  OimaXattrValue v;
  gboolean decoded = oima_xattr_decode_bytes (ima, &v, NULL);
  guint algo = value_algo (&v, decoded);
  if (algo < 32 && (r->allowed_algos & (1u << algo)))
    return NULL;
  *out_detail = g_strdup_printf ("%s is not in the rule's appraise_algos=",
                                 oima_hash_algo_name ((OimaHashAlgo)algo));
  return "denied-hash-algorithm";
}

static void
evm_verdict_clear (EvmVerdict *v)
{
  g_clear_pointer (&v->detail, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvmVerdict, evm_verdict_clear)

static void
evm_verify (OimaAppraiser *ap, OimaScanFile *file, GBytes *ima, EvmVerdict *v)
{
  if (v->done)
    return;
  v->done = TRUE;
  /* IMA asks EVM only about a file with a security.ima. */
  if (ap->evm == OIMA_EVM_MODE_OFF || ima == NULL)
    return;
  v->checked = TRUE;
  v->status = oima_evm_appraise (ap->evm_trust, ap->evm, oima_scan_file_get_xattrs (file),
                                 oima_scan_file_get_uid (file), oima_scan_file_get_gid (file),
                                 oima_scan_file_get_mode (file), &v->detail);
}

static void
add_denial (GPtrArray *denials, OimaScanFile *file, const char *hook, const char *cause,
            const char *detail)
{
  OimaDenial *d = g_new0 (OimaDenial, 1);
  d->path = g_strdup (oima_scan_file_get_path (file));
  d->hook = g_strdup (hook);
  d->cause = g_strdup (cause);
  d->detail = g_strdup (detail);
  g_ptr_array_add (denials, d);
}

gboolean
oima_appraiser_check_file (OimaScanFile *file, OimaVerifyStatus status, const char *detail,
                           gpointer user_data, GPtrArray *denials, GCancellable *cancellable,
                           GError **error)
{
  OimaAppraiser *ap = user_data;
  GVariant *xattrs = oima_scan_file_get_xattrs (file);
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  g_auto (EvmVerdict) evm = { 0 };
  if (ap->policy == NULL)
    {
      /* The device check's rule without a policy: every file signed. */
      static const OimaPolicyRule every_file
          = { .action = OIMA_ACTION_APPRAISE, .flags = OIMA_RULE_DIGSIG_REQUIRED };
      g_autofree char *why = NULL;
      evm_verify (ap, file, ima, &evm);
      const char *cause = verdict (&every_file, ima, status, &evm, &why);
      if (cause)
        add_denial (denials, file, NULL, cause, why ? why : detail ? detail : cause);
      return TRUE;
    }
  guint hooks = 0;
  if (!oima_appraiser_file_hooks (ap, file, &hooks, cancellable, error))
    return FALSE;
  /* An exec opens the file first: FILE_CHECK with MAY_EXEC (fs/namei.c
   * do_open), then BPRM_CHECK; a read is FILE_CHECK with MAY_READ. */
  struct
  {
    OimaHook hook;
    guint mask;
  } checks[OIMA_HOOK_N + 1];
  guint n_checks = 0;
  for (OimaHook h = OIMA_HOOK_FILE_CHECK; h < OIMA_HOOK_N; h++)
    if (hooks & (1u << h))
      checks[n_checks].hook = h, checks[n_checks++].mask = hook_mask (h);
  if (hooks & (1u << OIMA_HOOK_BPRM_CHECK))
    checks[n_checks].hook = OIMA_HOOK_FILE_CHECK, checks[n_checks++].mask = OIMA_MAY_EXEC;
  for (guint i = 0; i < n_checks; i++)
    {
      OimaHook h = checks[i].hook;
      const OimaPolicyRule *r = oima_appraiser_match (ap, file, h, checks[i].mask);
      if (r == NULL)
        continue;
      g_autofree char *why = NULL;
      evm_verify (ap, file, ima, &evm);
      const char *cause = verdict (r, ima, status, &evm, &why);
      if (cause == NULL || already_denied (denials, h, cause))
        continue;
      g_autofree char *rule = r->line ? g_strdup_printf ("policy line %u", r->line)
                                      : g_strdup_printf ("builtin rule \"%s\"", r->text);
      g_autofree char *line = g_strdup_printf ("%s (%s)",
                                               why      ? why
                                               : detail ? detail
                                                        : cause,
                                               rule);
      add_denial (denials, file, oima_hook_name (h), cause, line);
    }
  return TRUE;
}
