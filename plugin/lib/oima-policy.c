/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parsing follows ima_parse_rule() and ima_validate_rule() of Linux 6.x:
 * the first bad token ends the rule, a bad rule refuses the policy.
 */

#include <errno.h>
#include <string.h>

#include "oima-hash.h"
#include "oima-policy.h"
#include "oima-util.h"

struct _OimaPolicy
{
  gint refcount;
  GPtrArray *rules; /* OimaPolicyRule */
  gboolean fail_securely;
};

static const char *const hook_names[OIMA_HOOK_N] = {
  [OIMA_HOOK_NONE] = "NONE",
  [OIMA_HOOK_FILE_CHECK] = "FILE_CHECK",
  [OIMA_HOOK_MMAP_CHECK] = "MMAP_CHECK",
  [OIMA_HOOK_MMAP_CHECK_REQPROT] = "MMAP_CHECK_REQPROT",
  [OIMA_HOOK_BPRM_CHECK] = "BPRM_CHECK",
  [OIMA_HOOK_CREDS_CHECK] = "CREDS_CHECK",
  [OIMA_HOOK_POST_SETATTR] = "POST_SETATTR",
  [OIMA_HOOK_MODULE_CHECK] = "MODULE_CHECK",
  [OIMA_HOOK_FIRMWARE_CHECK] = "FIRMWARE_CHECK",
  [OIMA_HOOK_KEXEC_KERNEL_CHECK] = "KEXEC_KERNEL_CHECK",
  [OIMA_HOOK_KEXEC_INITRAMFS_CHECK] = "KEXEC_INITRAMFS_CHECK",
  [OIMA_HOOK_POLICY_CHECK] = "POLICY_CHECK",
  [OIMA_HOOK_KEXEC_CMDLINE] = "KEXEC_CMDLINE",
  [OIMA_HOOK_KEY_CHECK] = "KEY_CHECK",
  [OIMA_HOOK_CRITICAL_DATA] = "CRITICAL_DATA",
  [OIMA_HOOK_SETXATTR_CHECK] = "SETXATTR_CHECK",
};

const char *
oima_hook_name (OimaHook hook)
{
  return (guint)hook < OIMA_HOOK_N ? hook_names[hook] : "UNKNOWN";
}

/* Kernel versions as major * 100 + minor. */
#define NEWEST_KNOWN 612

/* Since which kernel a keyword exists (0: long before 5.10). */
static const struct
{
  const char *what;
  guint since;
} introduced[] = {
  { "gid", 600 },
  { "egid", 600 },
  { "fgroup", 600 },
  { "appraise_algos", 519 },
  { "SETXATTR_CHECK", 519 },
  { "digest_type", 603 },
  { "sigv3", 603 },
  { "MMAP_CHECK_REQPROT", 604 },
};

static guint
since_of (const char *what)
{
  for (guint i = 0; i < G_N_ELEMENTS (introduced); i++)
    if (g_str_equal (introduced[i].what, what))
      return introduced[i].since;
  return 0;
}

/* The hash algorithms appraise_algos= names (hash_algo_name[] of the
 * kernel) that Debian's kernels can compute. */
static const struct
{
  const char *name;
  guint id;
  guint since;
} algo_names[] = {
  { "md5", 1, 0 },         { "sha1", 2, 0 },        { "sha256", 4, 0 }, { "sha384", 5, 0 },
  { "sha512", 6, 0 },      { "sha224", 7, 0 },      { "sm3", 17, 0 },   { "sha3-256", 20, 600 },
  { "sha3-384", 21, 600 }, { "sha3-512", 22, 600 },
};
static const char *const unavailable_algos[]
    = { "md4",   "rmd160", "rmd128", "rmd256", "rmd320",      "wp256",       "wp384",
        "wp512", "tgr128", "tgr160", "tgr192", "streebog256", "streebog512", NULL };

static const char *const template_names[]
    = { "ima",     "ima-ng",   "ima-sig",   "ima-buf", "ima-modsig",
        "evm-sig", "ima-ngv2", "ima-sigv2", NULL };

static void
rule_clear (OimaPolicyRule *r)
{
  g_free (r->text);
  g_free (r->fsname);
  for (guint i = 0; i < OIMA_RULE_N_LSM; i++)
    g_free (r->lsm[i]);
  g_free (r->template_name);
  g_free (r->keyrings);
  g_free (r->label);
}

static void
rule_free (OimaPolicyRule *r)
{
  rule_clear (r);
  g_free (r);
}

static OimaPolicy *
policy_new (void)
{
  OimaPolicy *p = g_new0 (OimaPolicy, 1);
  p->refcount = 1;
  p->rules = g_ptr_array_new_with_free_func ((GDestroyNotify)rule_free);
  return p;
}

OimaPolicy *
oima_policy_ref (OimaPolicy *policy)
{
  g_atomic_int_inc (&policy->refcount);
  return policy;
}

void
oima_policy_unref (OimaPolicy *policy)
{
  if (!g_atomic_int_dec_and_test (&policy->refcount))
    return;
  g_ptr_array_unref (policy->rules);
  g_free (policy);
}

guint
oima_policy_get_n_rules (OimaPolicy *policy)
{
  return policy->rules->len;
}

const OimaPolicyRule *
oima_policy_get_rule (OimaPolicy *policy, guint i)
{
  return i < policy->rules->len ? policy->rules->pdata[i] : NULL;
}

gboolean
oima_policy_get_fail_securely (OimaPolicy *policy)
{
  return policy->fail_securely;
}

static gboolean
parse_kernel_version (const char *kernel, guint *out, GError **error)
{
  if (kernel == NULL)
    {
      *out = NEWEST_KNOWN;
      return TRUE;
    }
  guint major = 0, minor = 0;
  char tail = 0;
  if (sscanf (kernel, "%u.%u%c", &major, &minor, &tail) < 2 || minor > 99)
    return oima_throw (error, "Invalid kernel version \"%s\" (expected e.g. 6.1 or 6.12)", kernel);
  *out = major * 100 + minor;
  return TRUE;
}

/* The parse of one rule. */
typedef struct
{
  const char *source;
  guint line;
  guint kernel;
  const char *token; /* current token, for messages */
  guint column;
  GError **error;
} Parse;

static gboolean token_error (Parse *p, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
token_error (Parse *p, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  return oima_throw (p->error, "%s: line %u, column %u: %s", p->source, p->line, p->column, msg);
}

static gboolean rule_error (Parse *p, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
rule_error (Parse *p, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  return oima_throw (p->error, "%s: line %u: %s", p->source, p->line, msg);
}

static gboolean
check_version (Parse *p, const char *what)
{
  guint since = since_of (what);
  if (since > p->kernel)
    return token_error (p, "\"%s\" needs Linux %u.%u or later; the device's kernel is %u.%u", what,
                        since / 100, since % 100, p->kernel / 100, p->kernel % 100);
  return TRUE;
}

static gboolean
set_action (Parse *p, OimaPolicyRule *r, guint action)
{
  if (r->action != 0)
    return token_error (p, "a second action \"%s\": a rule has one", p->token);
  r->action = action;
  return TRUE;
}

static gboolean
parse_func (Parse *p, OimaPolicyRule *r, const char *v)
{
  if (r->func != OIMA_HOOK_NONE)
    return token_error (p, "func= given twice");
  OimaHook f = OIMA_HOOK_NONE;
  if (g_str_equal (v, "PATH_CHECK"))
    f = OIMA_HOOK_FILE_CHECK; /* backwards compatibility */
  else if (g_str_equal (v, "FILE_MMAP"))
    f = OIMA_HOOK_MMAP_CHECK;
  else
    for (OimaHook h = OIMA_HOOK_FILE_CHECK; h < OIMA_HOOK_N; h++)
      if (h != OIMA_HOOK_POST_SETATTR && g_str_equal (v, hook_names[h]))
        f = h;
  if (f == OIMA_HOOK_NONE)
    return token_error (p, "unknown func \"%s\"", v);
  if (!check_version (p, v))
    return FALSE;
  r->func = f;
  r->flags |= OIMA_RULE_FUNC;
  return TRUE;
}

static gboolean
parse_mask (Parse *p, OimaPolicyRule *r, const char *v)
{
  if (r->mask)
    return token_error (p, "mask= given twice");
  gboolean in = v[0] == '^';
  const char *m = in ? v + 1 : v;
  static const struct
  {
    const char *name;
    guint bit;
  } masks[] = { { "MAY_EXEC", OIMA_MAY_EXEC },
                { "MAY_WRITE", OIMA_MAY_WRITE },
                { "MAY_READ", OIMA_MAY_READ },
                { "MAY_APPEND", OIMA_MAY_APPEND } };
  for (guint i = 0; i < G_N_ELEMENTS (masks); i++)
    if (g_str_equal (m, masks[i].name))
      {
        r->mask = masks[i].bit;
        r->flags |= in ? OIMA_RULE_INMASK : OIMA_RULE_MASK;
        return TRUE;
      }
  return token_error (p,
                      "unknown mask \"%s\" (MAY_EXEC, MAY_WRITE, MAY_READ, MAY_APPEND, "
                      "optionally after ^)",
                      v);
}

/* kstrtoul: digits in @base only (base 16 also takes 0x), no sign. */
static gboolean
parse_ulong (const char *v, guint base, guint64 *out)
{
  const char *s = v;
  if (base == 16 && (g_str_has_prefix (s, "0x") || g_str_has_prefix (s, "0X")))
    s += 2;
  if (*s == '\0')
    return FALSE;
  for (const char *c = s; *c; c++)
    if (!(base == 16 ? g_ascii_isxdigit (*c) : g_ascii_isdigit (*c)))
      return FALSE;
  errno = 0;
  *out = g_ascii_strtoull (s, NULL, base);
  return errno == 0;
}

static gboolean
parse_id (Parse *p, const char *v, guint32 *out)
{
  guint64 n = 0;
  /* (uid_t)-1 is not a valid id. */
  if (!parse_ulong (v, 10, &n) || n >= G_MAXUINT32)
    return token_error (p, "invalid id \"%s\" (a decimal number)", v);
  *out = (guint32)n;
  return TRUE;
}

static gboolean
parse_uuid (Parse *p, OimaPolicyRule *r, const char *v)
{
  if (r->flags & OIMA_RULE_FSUUID)
    return token_error (p, "fsuuid= given twice");
  /* uuid_parse: 8-4-4-4-12 hex digits */
  static const guint dashes[] = { 8, 13, 18, 23 };
  if (strlen (v) != 36)
    return token_error (p, "invalid UUID \"%s\"", v);
  guint b = 0;
  for (guint i = 0; i < 36;)
    {
      gboolean dash = FALSE;
      for (guint d = 0; d < G_N_ELEMENTS (dashes); d++)
        dash |= dashes[d] == i;
      if (dash)
        {
          if (v[i] != '-')
            return token_error (p, "invalid UUID \"%s\"", v);
          i++;
          continue;
        }
      int hi = g_ascii_xdigit_value (v[i]), lo = g_ascii_xdigit_value (v[i + 1]);
      if (hi < 0 || lo < 0)
        return token_error (p, "invalid UUID \"%s\"", v);
      r->fsuuid[b++] = (guint8)(hi << 4 | lo);
      i += 2;
    }
  r->flags |= OIMA_RULE_FSUUID;
  return TRUE;
}

static gboolean
parse_algos (Parse *p, OimaPolicyRule *r, const char *v)
{
  if (r->allowed_algos)
    return token_error (p, "appraise_algos= given twice");
  g_auto (GStrv) items = g_strsplit (v, ",", -1);
  for (char **it = items; *it; it++)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (algo_names) && !found; i++)
        if (g_str_equal (*it, algo_names[i].name) && algo_names[i].since <= p->kernel)
          {
            r->allowed_algos |= 1u << algo_names[i].id;
            found = TRUE;
          }
      if (!found && g_strv_contains (unavailable_algos, *it))
        return token_error (p, "unavailable hash algorithm \"%s\" in appraise_algos=", *it);
      if (!found)
        return token_error (p, "unknown hash algorithm \"%s\" in appraise_algos=", *it);
    }
  r->flags |= OIMA_RULE_VALIDATE_ALGOS;
  return TRUE;
}

/* keyrings= and label=: '|'-separated, no empty item. */
static gboolean
parse_opt_list (Parse *p, char **slot, const char *key, const char *v)
{
  if (*slot)
    return token_error (p, "%s= given twice", key);
  g_auto (GStrv) items = g_strsplit (v, "|", -1);
  for (char **it = items; *it; it++)
    if (**it == '\0')
      return token_error (p, "an empty item in %s=", key);
  *slot = g_strdup (v);
  return TRUE;
}

typedef enum
{
  ID_UID,
  ID_EUID,
  ID_GID,
  ID_EGID,
  ID_FOWNER,
  ID_FGROUP
} IdKind;

static gboolean
parse_id_condition (Parse *p, OimaPolicyRule *r, IdKind kind, OimaRuleOp op, const char *v)
{
  static const char *const names[] = { "uid", "euid", "gid", "egid", "fowner", "fgroup" };
  if (!check_version (p, names[kind]))
    return FALSE;
  guint32 *slot;
  OimaRuleOp *op_slot;
  guint flag;
  gboolean taken;
  switch (kind)
    {
    case ID_UID:
    case ID_EUID:
      slot = &r->uid, op_slot = &r->uid_op;
      flag = kind == ID_UID ? OIMA_RULE_UID : OIMA_RULE_EUID;
      taken = r->flags & (OIMA_RULE_UID | OIMA_RULE_EUID);
      break;
    case ID_GID:
    case ID_EGID:
      slot = &r->gid, op_slot = &r->gid_op;
      flag = kind == ID_GID ? OIMA_RULE_GID : OIMA_RULE_EGID;
      taken = r->flags & (OIMA_RULE_GID | OIMA_RULE_EGID);
      break;
    case ID_FOWNER:
      slot = &r->fowner, op_slot = &r->fowner_op, flag = OIMA_RULE_FOWNER;
      taken = r->flags & OIMA_RULE_FOWNER;
      break;
    case ID_FGROUP:
    default:
      slot = &r->fgroup, op_slot = &r->fgroup_op, flag = OIMA_RULE_FGROUP;
      taken = r->flags & OIMA_RULE_FGROUP;
      break;
    }
  /* uid and euid share one value in the kernel, as gid and egid do. */
  if (taken)
    return token_error (p, "a second %s condition",
                        kind <= ID_EUID   ? "uid/euid"
                        : kind <= ID_EGID ? "gid/egid"
                                          : names[kind]);
  if (!parse_id (p, v, slot))
    return FALSE;
  *op_slot = op;
  r->flags |= flag;
  return TRUE;
}

static gboolean
parse_appraise_type (Parse *p, OimaPolicyRule *r, const char *v)
{
  if (g_str_equal (v, "imasig"))
    {
      if (r->flags & OIMA_RULE_VERITY_REQUIRED)
        return token_error (p, "appraise_type=imasig with digest_type=verity: use sigv3");
      r->flags |= OIMA_RULE_DIGSIG_REQUIRED;
      return TRUE;
    }
  if (g_str_equal (v, "sigv3"))
    {
      if (!check_version (p, "sigv3"))
        return FALSE;
      if (!(r->flags & OIMA_RULE_VERITY_REQUIRED))
        return token_error (p, "appraise_type=sigv3 needs digest_type=verity before it");
      r->flags |= OIMA_RULE_DIGSIG_REQUIRED;
      return TRUE;
    }
  if (g_str_equal (v, "imasig|modsig"))
    {
      if (r->flags & OIMA_RULE_VERITY_REQUIRED)
        return token_error (p, "appraise_type=imasig|modsig with digest_type=verity");
      r->flags |= OIMA_RULE_DIGSIG_REQUIRED | OIMA_RULE_MODSIG_ALLOWED;
      return TRUE;
    }
  return token_error (p, "unknown appraise_type \"%s\" (imasig, imasig|modsig, sigv3)", v);
}

static gboolean
parse_lsm (Parse *p, OimaPolicyRule *r, guint index, const char *v)
{
  if (r->lsm[index])
    return token_error (p, "the same LSM condition twice");
  r->lsm[index] = g_strdup (v);
  return TRUE;
}

/* One "key=value", "key<value" or "key>value" token. */
static gboolean
parse_condition (Parse *p, OimaPolicyRule *r, const char *key, char op, const char *v)
{
  static const char *const lsm_keys[OIMA_RULE_N_LSM]
      = { "obj_user", "obj_role", "obj_type", "subj_user", "subj_role", "subj_type" };
  static const char *const id_keys[] = { "uid", "euid", "gid", "egid", "fowner", "fgroup" };
  for (guint i = 0; i < G_N_ELEMENTS (id_keys); i++)
    if (g_str_equal (key, id_keys[i]))
      return parse_id_condition (p, r, (IdKind)i,
                                 op == '>'   ? OIMA_RULE_OP_GT
                                 : op == '<' ? OIMA_RULE_OP_LT
                                             : OIMA_RULE_OP_EQ,
                                 v);
  if (op != '=')
    return token_error (p, "unknown keyword \"%s\"", p->token);
  for (guint i = 0; i < OIMA_RULE_N_LSM; i++)
    if (g_str_equal (key, lsm_keys[i]))
      return parse_lsm (p, r, i, v);
  if (g_str_equal (key, "func"))
    return parse_func (p, r, v);
  if (g_str_equal (key, "mask"))
    return parse_mask (p, r, v);
  if (g_str_equal (key, "fsmagic"))
    {
      if (r->fsmagic)
        return token_error (p, "fsmagic= given twice");
      if (!parse_ulong (v, 16, &r->fsmagic))
        return token_error (p, "invalid fsmagic \"%s\" (a hexadecimal number)", v);
      r->flags |= OIMA_RULE_FSMAGIC;
      return TRUE;
    }
  if (g_str_equal (key, "fsname"))
    {
      g_free (r->fsname); /* the kernel takes the last one */
      r->fsname = g_strdup (v);
      r->flags |= OIMA_RULE_FSNAME;
      return TRUE;
    }
  if (g_str_equal (key, "fsuuid"))
    return parse_uuid (p, r, v);
  if (g_str_equal (key, "digest_type"))
    {
      if (!check_version (p, "digest_type"))
        return FALSE;
      if (r->flags & OIMA_RULE_DIGSIG_REQUIRED)
        return token_error (p, "digest_type= after appraise_type=: give digest_type first");
      if (!g_str_equal (v, "verity"))
        return token_error (p, "unknown digest_type \"%s\" (verity)", v);
      r->flags |= OIMA_RULE_VERITY_REQUIRED;
      return TRUE;
    }
  if (g_str_equal (key, "appraise_type"))
    return parse_appraise_type (p, r, v);
  if (g_str_equal (key, "appraise_flag"))
    {
      if (strstr (v, "blacklist") == NULL)
        return token_error (p, "unknown appraise_flag \"%s\" (check_blacklist)", v);
      r->flags |= OIMA_RULE_CHECK_BLACKLIST;
      return TRUE;
    }
  if (g_str_equal (key, "appraise_algos"))
    return check_version (p, "appraise_algos") && parse_algos (p, r, v);
  if (g_str_equal (key, "pcr"))
    {
      guint64 n = 0;
      if (!parse_ulong (v, 10, &n) || n >= 64)
        return token_error (p, "invalid pcr \"%s\" (0 to 63)", v);
      r->pcr = (int)n;
      r->flags |= OIMA_RULE_PCR;
      return TRUE;
    }
  if (g_str_equal (key, "template"))
    {
      if (r->action != OIMA_ACTION_MEASURE)
        return token_error (p, "template= is for measure rules (after the action)");
      if (!g_strv_contains (template_names, v) || r->template_name)
        return token_error (
            p, r->template_name ? "template= given twice" : "unknown template \"%s\"", v);
      r->template_name = g_strdup (v);
      return TRUE;
    }
  if (g_str_equal (key, "keyrings"))
    return parse_opt_list (p, &r->keyrings, "keyrings", v)
           && (r->flags |= OIMA_RULE_KEYRINGS, TRUE);
  if (g_str_equal (key, "label"))
    return parse_opt_list (p, &r->label, "label", v) && (r->flags |= OIMA_RULE_LABEL, TRUE);
  return token_error (p, "unknown keyword \"%s\"", p->token);
}

static gboolean
parse_token (Parse *p, OimaPolicyRule *r, const char *t)
{
  static const struct
  {
    const char *name;
    guint action;
  } actions[] = {
    { "measure", OIMA_ACTION_MEASURE },     { "dont_measure", OIMA_ACTION_DONT_MEASURE },
    { "appraise", OIMA_ACTION_APPRAISE },   { "dont_appraise", OIMA_ACTION_DONT_APPRAISE },
    { "audit", OIMA_ACTION_AUDIT },         { "hash", OIMA_ACTION_HASH },
    { "dont_hash", OIMA_ACTION_DONT_HASH },
  };
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_str_equal (t, actions[i].name))
      return set_action (p, r, actions[i].action);
  if (g_str_equal (t, "permit_directio"))
    {
      r->flags |= OIMA_RULE_PERMIT_DIRECTIO;
      return TRUE;
    }
  const char *op = strpbrk (t, "=<>");
  if (op == NULL || op == t)
    return token_error (p, "unknown keyword \"%s\"", t);
  g_autofree char *key = g_strndup (t, op - t);
  return parse_condition (p, r, key, *op, op + 1);
}

/* ima_validate_rule(): the combinations the kernel refuses. */
static gboolean
validate (Parse *p, OimaPolicyRule *r)
{
  static const guint file_flags
      = OIMA_RULE_FUNC | OIMA_RULE_MASK | OIMA_RULE_FSMAGIC | OIMA_RULE_UID | OIMA_RULE_FOWNER
        | OIMA_RULE_FSUUID | OIMA_RULE_INMASK | OIMA_RULE_EUID | OIMA_RULE_PCR | OIMA_RULE_FSNAME
        | OIMA_RULE_GID | OIMA_RULE_EGID | OIMA_RULE_FGROUP | OIMA_RULE_DIGSIG_REQUIRED
        | OIMA_RULE_PERMIT_DIRECTIO | OIMA_RULE_VALIDATE_ALGOS;
  gboolean has_lsm = FALSE;
  for (guint i = 0; i < OIMA_RULE_N_LSM; i++)
    has_lsm |= r->lsm[i] != NULL;
  const char *func = oima_hook_name (r->func);
  if (r->action == 0)
    return rule_error (p, "no action (measure, appraise, dont_appraise, ...)");
  if (r->action != OIMA_ACTION_MEASURE && (r->flags & OIMA_RULE_PCR))
    return rule_error (p, "pcr= is for measure rules");
  if (r->action != OIMA_ACTION_APPRAISE
      && (r->flags
          & (OIMA_RULE_DIGSIG_REQUIRED | OIMA_RULE_MODSIG_ALLOWED | OIMA_RULE_CHECK_BLACKLIST
             | OIMA_RULE_VALIDATE_ALGOS)))
    return rule_error (p, "appraise_type=, appraise_flag= and appraise_algos= are for "
                          "appraise rules");
  guint allowed = 0;
  gboolean measure_only = FALSE, no_lsm = FALSE;
  switch (r->func)
    {
    case OIMA_HOOK_NONE:
    case OIMA_HOOK_FILE_CHECK:
    case OIMA_HOOK_MMAP_CHECK:
    case OIMA_HOOK_MMAP_CHECK_REQPROT:
    case OIMA_HOOK_BPRM_CHECK:
    case OIMA_HOOK_CREDS_CHECK:
    case OIMA_HOOK_POST_SETATTR:
    case OIMA_HOOK_FIRMWARE_CHECK:
    case OIMA_HOOK_POLICY_CHECK:
      allowed = file_flags | OIMA_RULE_VERITY_REQUIRED;
      break;
    case OIMA_HOOK_MODULE_CHECK:
    case OIMA_HOOK_KEXEC_KERNEL_CHECK:
    case OIMA_HOOK_KEXEC_INITRAMFS_CHECK:
      allowed = file_flags | OIMA_RULE_MODSIG_ALLOWED | OIMA_RULE_CHECK_BLACKLIST;
      break;
    case OIMA_HOOK_KEXEC_CMDLINE:
      measure_only = TRUE;
      allowed = OIMA_RULE_FUNC | OIMA_RULE_FSMAGIC | OIMA_RULE_UID | OIMA_RULE_FOWNER
                | OIMA_RULE_FSUUID | OIMA_RULE_EUID | OIMA_RULE_PCR | OIMA_RULE_FSNAME
                | OIMA_RULE_GID | OIMA_RULE_EGID | OIMA_RULE_FGROUP;
      break;
    case OIMA_HOOK_KEY_CHECK:
      measure_only = no_lsm = TRUE;
      allowed = OIMA_RULE_FUNC | OIMA_RULE_UID | OIMA_RULE_GID | OIMA_RULE_PCR | OIMA_RULE_KEYRINGS;
      break;
    case OIMA_HOOK_CRITICAL_DATA:
      measure_only = no_lsm = TRUE;
      allowed = OIMA_RULE_FUNC | OIMA_RULE_UID | OIMA_RULE_GID | OIMA_RULE_PCR | OIMA_RULE_LABEL;
      break;
    case OIMA_HOOK_SETXATTR_CHECK:
      if (r->action != OIMA_ACTION_APPRAISE)
        return rule_error (p, "func=SETXATTR_CHECK is for appraise rules");
      if (!(r->flags & OIMA_RULE_VALIDATE_ALGOS))
        return rule_error (p, "func=SETXATTR_CHECK needs appraise_algos=");
      allowed = OIMA_RULE_FUNC | OIMA_RULE_VALIDATE_ALGOS;
      break;
    case OIMA_HOOK_N:
    default:
      return rule_error (p, "invalid func");
    }
  if (measure_only && (r->action & ~(OIMA_ACTION_MEASURE | OIMA_ACTION_DONT_MEASURE)))
    return rule_error (p, "func=%s is for measure and dont_measure rules", func);
  if (r->flags & ~allowed)
    return rule_error (p,
                       "func=%s does not take some of the conditions or options given "
                       "(the kernel refuses the rule)",
                       func);
  if (no_lsm && has_lsm)
    return rule_error (p, "func=%s does not take LSM conditions", func);
  if ((r->flags & OIMA_RULE_CHECK_BLACKLIST) && !(r->flags & OIMA_RULE_MODSIG_ALLOWED))
    return rule_error (p, "appraise_flag=check_blacklist needs appraise_type=imasig|modsig");
  if (r->action == OIMA_ACTION_APPRAISE && (r->flags & OIMA_RULE_VERITY_REQUIRED)
      && !(r->flags & OIMA_RULE_DIGSIG_REQUIRED))
    return rule_error (p, "appraise rules with digest_type=verity need appraise_type=sigv3");
  return TRUE;
}

/* Tokens are separated by spaces and tabs, as strsep (" \t") does. */
static OimaPolicyRule *
parse_rule (Parse *p, const char *line)
{
  OimaPolicyRule *r = g_new0 (OimaPolicyRule, 1);
  r->line = p->line;
  r->text = g_strstrip (g_strdup (line));
  const char *s = line;
  while (*s)
    {
      while (*s == ' ' || *s == '\t')
        s++;
      if (*s == '\0')
        break;
      const char *end = s;
      while (*end && *end != ' ' && *end != '\t')
        end++;
      g_autofree char *token = g_strndup (s, end - s);
      p->token = token;
      p->column = (guint)(s - line) + 1;
      if (!parse_token (p, r, token))
        {
          rule_free (r);
          return NULL;
        }
      s = end;
    }
  if (!validate (p, r))
    {
      rule_free (r);
      return NULL;
    }
  return r;
}

OimaPolicy *
oima_policy_parse (const char *text, gssize len, const char *source_name,
                   const OimaPolicyOptions *options, GError **error)
{
  guint kernel = 0;
  if (!parse_kernel_version (options ? options->kernel : NULL, &kernel, error))
    return NULL;
  g_autofree char *copy = len < 0 ? g_strdup (text) : g_strndup (text, len);
  if (len >= 0 && memchr (text, '\0', len) != NULL)
    return oima_null_throw (error, "%s: a NUL byte: not a policy file", source_name);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  g_autoptr (OimaPolicy) policy = policy_new ();
  for (guint i = 0; lines[i]; i++)
    {
      const char *l = lines[i] + strspn (lines[i], " \t");
      if (*l == '#' || *l == '\0')
        continue;
      Parse p = { source_name, i + 1, kernel, NULL, 0, error };
      OimaPolicyRule *r = parse_rule (&p, lines[i]);
      if (r == NULL)
        return NULL;
      g_ptr_array_add (policy->rules, r);
    }
  if (policy->rules->len == 0)
    return oima_null_throw (error, "%s: no rules: the kernel refuses an empty policy", source_name);
  return g_steal_pointer (&policy);
}

/* Builtin rules, written as policy text: ima_policy.c's arrays. */
static const char *const dont_measure_rules[] = {
  "dont_measure fsmagic=0x9fa0",     "dont_measure fsmagic=0x62656572",
  "dont_measure fsmagic=0x64626720", "dont_measure fsmagic=0x1021994",
  "dont_measure fsmagic=0x1cd1",     "dont_measure fsmagic=0x42494e4d",
  "dont_measure fsmagic=0x73636673", "dont_measure fsmagic=0xf97cff8c",
  "dont_measure fsmagic=0x43415d53", "dont_measure fsmagic=0x27e0eb",
  "dont_measure fsmagic=0x63677270", "dont_measure fsmagic=0x6e736673",
  "dont_measure fsmagic=0xde5e81e4", NULL,
};

/* ima_policy=tcb: default_measurement_rules (FILE_CHECK by euid or uid 0
 * with MAY_READ in the mask). */
static const char *const tcb_rules[] = {
  "measure func=MMAP_CHECK mask=MAY_EXEC",
  "measure func=BPRM_CHECK mask=MAY_EXEC",
  "measure func=FILE_CHECK mask=^MAY_READ euid=0",
  "measure func=FILE_CHECK mask=^MAY_READ uid=0",
  "measure func=MODULE_CHECK",
  "measure func=FIRMWARE_CHECK",
  "measure func=POLICY_CHECK",
  NULL,
};

static const char *const secure_boot_rules[] = {
  "appraise func=MODULE_CHECK appraise_type=imasig",
  "appraise func=FIRMWARE_CHECK appraise_type=imasig",
  "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig",
  "appraise func=POLICY_CHECK appraise_type=imasig",
  NULL,
};

/* default_appraise_rules without CONFIG_IMA_WRITE_POLICY (Debian: off). */
static const char *const appraise_tcb_rules[] = {
  "dont_appraise fsmagic=0x9fa0",
  "dont_appraise fsmagic=0x62656572",
  "dont_appraise fsmagic=0x64626720",
  "dont_appraise fsmagic=0x1021994",
  "dont_appraise fsmagic=0x858458f6",
  "dont_appraise fsmagic=0x1cd1",
  "dont_appraise fsmagic=0x42494e4d",
  "dont_appraise fsmagic=0x73636673",
  "dont_appraise fsmagic=0xf97cff8c",
  "dont_appraise fsmagic=0x43415d53",
  "dont_appraise fsmagic=0x6e736673",
  "dont_appraise fsmagic=0xde5e81e4",
  "dont_appraise fsmagic=0x27e0eb",
  "dont_appraise fsmagic=0x63677270",
  NULL, /* then appraise fowner=0 (appraise_type=imasig with SIGNED_INIT) */
};

static const char *const critical_data_rules[] = { "measure func=CRITICAL_DATA", NULL };

static gboolean
add_builtin (OimaPolicy *policy, const char *const *rules, guint kernel, GError **error)
{
  for (const char *const *r = rules; *r; r++)
    {
      Parse p = { "builtin policy", 0, kernel, NULL, 0, error };
      OimaPolicyRule *rule = parse_rule (&p, *r);
      if (rule == NULL)
        return FALSE;
      g_ptr_array_add (policy->rules, rule);
    }
  return TRUE;
}

OimaPolicy *
oima_policy_new_builtin (const char *const *names, const OimaPolicyOptions *options, GError **error)
{
  guint kernel = 0;
  if (!parse_kernel_version (options ? options->kernel : NULL, &kernel, error))
    return NULL;
  gboolean tcb = FALSE, appraise_tcb = FALSE, secure_boot = FALSE, critical = FALSE;
  g_autoptr (OimaPolicy) policy = policy_new ();
  for (const char *const *n = names; n && *n; n++)
    {
      if (g_str_equal (*n, "tcb"))
        tcb = TRUE;
      else if (g_str_equal (*n, "appraise_tcb"))
        appraise_tcb = TRUE;
      else if (g_str_equal (*n, "secure_boot"))
        secure_boot = TRUE;
      else if (g_str_equal (*n, "critical_data"))
        critical = TRUE;
      else if (g_str_equal (*n, "fail_securely"))
        policy->fail_securely = TRUE;
      else
        return oima_null_throw (error, "Unknown builtin policy \"%s\"", *n);
    }
  /* ima_init_policy(): the order the kernel adds them in. */
  if ((tcb
       && !(add_builtin (policy, dont_measure_rules, kernel, error)
            && add_builtin (policy, tcb_rules, kernel, error)))
      || (secure_boot && !add_builtin (policy, secure_boot_rules, kernel, error))
      || (appraise_tcb && !add_builtin (policy, appraise_tcb_rules, kernel, error)))
    return NULL;
  if (appraise_tcb)
    {
      const char *fowner = options && options->appraise_signed_init
                               ? "appraise fowner=0 appraise_type=imasig"
                               : "appraise fowner=0";
      if (!add_builtin (policy, (const char *const[]){ fowner, NULL }, kernel, error))
        return NULL;
    }
  if (critical && !add_builtin (policy, critical_data_rules, kernel, error))
    return NULL;
  return g_steal_pointer (&policy);
}
