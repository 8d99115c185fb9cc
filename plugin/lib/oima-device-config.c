/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <sys/vfs.h>

#include "oima-device-config.h"
#include "oima-util.h"

#define DEFAULT_CONF "/etc/ostree/ima.conf"
#define DEFAULT_CERTS "/etc/keys/ima"

/* Every group and key the file may hold: a typo must not silently weaken
 * enforcement. */
static const char *const known_keys[][2] = {
  { "trust", "certs" },
  { "policy", "file" },
  { "policy", "builtin" },
  { "policy", "fsmagic" },
  { "policy", "kernel" },
  { "policy", "evm" },
  { "pull", "mode" },
  { "deploy", "mode" },
  { "deploy", "strip-xattrs" },
  { "deploy", "etc-signing-key" },
  { "deploy", "etc-signing-pass-file" },
  { "deploy", "etc-signing-cert" },
};

static const struct
{
  const char *name;
  guint64 magic;
} fs_magics[] = {
  { "ext2", 0xEF53 },          { "ext3", 0xEF53 },
  { "ext4", 0xEF53 },          { "xfs", 0x58465342 },
  { "btrfs", 0x9123683E },     { "tmpfs", 0x01021994 },
  { "overlay", 0x794c7630 },   { "erofs", 0xE0F5E1E2 },
  { "squashfs", 0x73717368 },  { "f2fs", 0xF2F52010 },
  { "vfat", 0x4d44 },          { "proc", 0x9fa0 },
  { "sysfs", 0x62656572 },     { "debugfs", 0x64626720 },
  { "ramfs", 0x858458f6 },     { "securityfs", 0x73636673 },
  { "selinuxfs", 0xf97cff8c }, { "cgroup", 0x27e0eb },
  { "cgroup2", 0x63677270 },   { "nsfs", 0x6e736673 },
  { "efivarfs", 0xde5e81e4 },  { "binfmt_misc", 0x42494e4d },
  { "smackfs", 0x43415d53 },   { "devpts", 0x1cd1 },
  { "nfs", 0x6969 },
};

const char *
oima_enforce_mode_name (OimaEnforceMode mode)
{
  switch (mode)
    {
    case OIMA_ENFORCE_MODE_OFF:
      return "off";
    case OIMA_ENFORCE_MODE_WARN:
      return "warn";
    case OIMA_ENFORCE_MODE_ENFORCE:
      return "enforce";
    }
  return "unknown";
}

gboolean
oima_fsmagic_parse (const char *name, guint64 *out_magic, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (fs_magics); i++)
    if (g_ascii_strcasecmp (name, fs_magics[i].name) == 0)
      {
        *out_magic = fs_magics[i].magic;
        return TRUE;
      }
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (name, &end, 0);
  if (name[0] != '\0' && errno == 0 && end && *end == '\0' && v <= G_MAXUINT32)
    {
      *out_magic = v;
      return TRUE;
    }
  return oima_throw (error,
                     "unknown file system \"%s\" (a name like ext4, xfs, btrfs, or a "
                     "magic number like 0xEF53)",
                     name);
}

gboolean
oima_fsmagic_of_path (const char *path, guint64 *out_magic, GError **error)
{
  struct statfs st;
  if (statfs (path, &st) < 0)
    return oima_throw_errno (error, path);
  *out_magic = (guint64)(guint32)st.f_type;
  return TRUE;
}

void
oima_device_config_free (OimaDeviceConfig *config)
{
  g_free (config->sysroot);
  g_free (config->path);
  g_ptr_array_unref (config->certs);
  g_free (config->policy_file);
  g_free (config->policy_file_device);
  g_strfreev (config->builtins);
  g_free (config->kernel);
  g_free (config->evm);
  g_strfreev (config->strip_xattrs);
  g_free (config->etc_signing_key);
  g_free (config->etc_signing_pass_file);
  g_free (config->etc_signing_cert);
  g_free (config);
}

typedef struct
{
  const char *path;
  char **lines; /* the file's text, to name lines in errors */
} Source;

/* The line of @key in @group (1-based), or 0. */
static guint
line_of (const Source *src, const char *group, const char *key)
{
  gboolean in_group = FALSE;
  guint found = 0;
  for (guint i = 0; src->lines && src->lines[i]; i++)
    {
      const char *l = src->lines[i];
      while (*l == ' ' || *l == '\t')
        l++;
      if (*l == '[')
        {
          const char *end = strchr (l, ']');
          in_group = end && (gsize)(end - l - 1) == strlen (group)
                     && strncmp (l + 1, group, end - l - 1) == 0;
          if (key == NULL && in_group)
            return i + 1;
          continue;
        }
      gsize klen = key ? strlen (key) : 0;
      if (in_group && key && strncmp (l, key, klen) == 0)
        {
          const char *rest = l + klen;
          while (*rest == ' ' || *rest == '\t')
            rest++;
          if (*rest == '=')
            found = i + 1; /* GKeyFile takes the last one */
        }
    }
  return found;
}

static gboolean fail_at (const Source *src, const char *group, const char *key, GError **error,
                         const char *fmt, ...) G_GNUC_PRINTF (5, 6);

static gboolean
fail_at (const Source *src, const char *group, const char *key, GError **error, const char *fmt,
         ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  guint line = line_of (src, group, key);
  g_autofree char *where = line ? g_strdup_printf ("%s:%u", src->path, line) : g_strdup (src->path);
  if (key)
    return oima_throw (error, "%s: [%s] %s: %s", where, group, key, msg);
  return oima_throw (error, "%s: [%s]: %s", where, group, msg);
}

/* GKeyFile says "invalid line" without a number: find it ourselves. */
static gboolean
check_syntax (const Source *src, GError **error)
{
  for (guint i = 0; src->lines[i]; i++)
    {
      const char *l = src->lines[i];
      while (*l == ' ' || *l == '\t')
        l++;
      if (*l == '\0' || *l == '#' || *l == '\r')
        continue;
      if (*l == '[')
        {
          if (strchr (l, ']') == NULL)
            return oima_throw (error, "%s:%u: a group header without its closing ']'", src->path,
                               i + 1);
          continue;
        }
      if (strchr (l, '=') == NULL)
        return oima_throw (error, "%s:%u: neither \"key=value\", a [group] nor a # comment",
                           src->path, i + 1);
    }
  return TRUE;
}

static gboolean
check_known (const Source *src, GKeyFile *kf, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (kf, *g, NULL, NULL);
      gboolean group_known = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
        group_known |= g_str_equal (known_keys[i][0], *g);
      if (!group_known)
        return fail_at (src, *g, NULL, error,
                        "unknown group (expected trust, policy, pull or deploy)");
      for (char **k = keys; keys && *k; k++)
        {
          gboolean known = FALSE;
          for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
            known |= g_str_equal (known_keys[i][0], *g) && g_str_equal (known_keys[i][1], *k);
          if (!known && (strstr (*k, "pass") || strstr (*k, "pin")))
            return fail_at (src, *g, *k, error,
                            "a passphrase or PIN never goes into the configuration: put it in a "
                            "file that etc-signing-pass-file names");
          if (!known)
            return fail_at (src, *g, *k, error, "unknown key");
        }
    }
  return TRUE;
}

/* A device path ("/etc/keys/ima") as a path on this host, inside the
 * sysroot; no way out of it. */
static char *
resolve (const Source *src, const char *sysroot, const char *group, const char *key,
         const char *value, GError **error)
{
  if (value[0] != '/')
    return fail_at (src, group, key, error,
                    "\"%s\" is not an absolute path (paths are the device's, inside the "
                    "sysroot)",
                    value),
           NULL;
  g_auto (GStrv) parts = g_strsplit (value, "/", -1);
  for (char **p = parts; *p; p++)
    if (g_str_equal (*p, ".."))
      return fail_at (src, group, key, error, "\"%s\" leaves the sysroot ('..')", value), NULL;
  return g_build_filename (sysroot, value, NULL);
}

static gboolean
get_mode (const Source *src, GKeyFile *kf, const char *group, OimaEnforceMode *out, GError **error)
{
  g_autofree char *v = g_key_file_get_string (kf, group, "mode", NULL);
  *out = OIMA_ENFORCE_MODE_WARN; /* a device that upgrades must never be bricked by a default */
  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  for (OimaEnforceMode m = OIMA_ENFORCE_MODE_OFF; m <= OIMA_ENFORCE_MODE_ENFORCE; m++)
    if (g_str_equal (v, oima_enforce_mode_name (m)))
      {
        *out = m;
        return TRUE;
      }
  return fail_at (src, group, "mode", error, "invalid value \"%s\" (expected enforce, warn or off)",
                  v);
}

static gboolean
get_list (const Source *src, GKeyFile *kf, const char *group, const char *key, GStrv *out,
          GError **error)
{
  g_autoptr (GError) local_error = NULL;
  *out = NULL;
  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  g_auto (GStrv) list = g_key_file_get_string_list (kf, group, key, NULL, &local_error);
  if (list == NULL)
    return fail_at (src, group, key, error, "%s", local_error->message);
  GPtrArray *items = g_ptr_array_new ();
  for (char **l = list; *l; l++)
    {
      g_strstrip (*l);
      if (**l)
        g_ptr_array_add (items, g_strdup (*l));
    }
  g_ptr_array_add (items, NULL);
  *out = (GStrv)g_ptr_array_free (items, FALSE);
  return TRUE;
}

static gboolean
load_policy (const Source *src, GKeyFile *kf, OimaDeviceConfig *c, GError **error)
{
  static const char *const builtins[]
      = { "tcb", "appraise_tcb", "secure_boot", "critical_data", "fail_securely", NULL };
  g_autofree char *file = g_key_file_get_string (kf, "policy", "file", NULL);
  if (file
      && !(c->policy_file = resolve (src, c->sysroot, "policy", "file", g_strstrip (file), error)))
    return FALSE;
  if (file)
    c->policy_file_device = g_strdup (file);
  if (!get_list (src, kf, "policy", "builtin", &c->builtins, error))
    return FALSE;
  if (c->builtins == NULL)
    c->builtins = g_new0 (char *, 1);
  for (char **b = c->builtins; *b; b++)
    if (!g_strv_contains (builtins, *b))
      return fail_at (src, "policy", "builtin", error,
                      "unknown builtin policy \"%s\" (expected tcb, appraise_tcb, secure_boot, "
                      "critical_data or fail_securely)",
                      *b);
  g_autofree char *fsmagic = g_key_file_get_string (kf, "policy", "fsmagic", NULL);
  if (fsmagic)
    {
      g_autoptr (GError) local_error = NULL;
      if (!oima_fsmagic_parse (g_strstrip (fsmagic), &c->fsmagic, &local_error))
        return fail_at (src, "policy", "fsmagic", error, "%s", local_error->message);
      c->has_fsmagic = TRUE;
    }
  c->kernel = g_key_file_get_string (kf, "policy", "kernel", NULL);
  if (c->kernel)
    {
      g_strstrip (c->kernel);
      guint major = 0, minor = 0;
      char tail = 0;
      if (sscanf (c->kernel, "%u.%u%c", &major, &minor, &tail) != 2 || major < 4)
        return fail_at (src, "policy", "kernel", error,
                        "invalid value \"%s\" (expected a version like 6.1 or 6.12)", c->kernel);
    }
  c->evm = g_key_file_get_string (kf, "policy", "evm", NULL);
  if (c->evm == NULL)
    c->evm = g_strdup ("off");
  g_strstrip (c->evm);
  g_autoptr (GError) evm_error = NULL;
  if (!oima_evm_mode_parse (c->evm, &c->evm_mode, &evm_error))
    return fail_at (src, "policy", "evm", error, "%s", evm_error->message);
  return TRUE;
}

static gboolean
load_deploy (const Source *src, GKeyFile *kf, OimaDeviceConfig *c, GError **error)
{
  if (!get_list (src, kf, "deploy", "strip-xattrs", &c->strip_xattrs, error))
    return FALSE;
  if (c->strip_xattrs == NULL)
    c->strip_xattrs = g_new0 (char *, 1);
  for (char **x = c->strip_xattrs; *x; x++)
    if (!g_str_has_prefix (*x, "security.") && !g_str_has_prefix (*x, "user.")
        && !g_str_has_prefix (*x, "trusted."))
      return fail_at (src, "deploy", "strip-xattrs", error,
                      "\"%s\" is not an xattr name (security.*, user.* or trusted.*)", *x);

  g_autofree char *key = g_key_file_get_string (kf, "deploy", "etc-signing-key", NULL);
  if (key)
    {
      g_strstrip (key);
      if (g_str_has_prefix (key, "pkcs11:"))
        {
          if (strstr (key, "pin-value=") != NULL)
            return fail_at (src, "deploy", "etc-signing-key", error,
                            "the PKCS#11 URI carries pin-value: the PIN belongs in the file "
                            "etc-signing-pass-file names, never in the configuration");
          c->etc_signing_key = g_steal_pointer (&key);
        }
      else if (!(c->etc_signing_key
                 = resolve (src, c->sysroot, "deploy", "etc-signing-key", key, error)))
        return FALSE;
    }
  static const struct
  {
    const char *key;
    gsize offset;
  } paths[] = {
    { "etc-signing-pass-file", G_STRUCT_OFFSET (OimaDeviceConfig, etc_signing_pass_file) },
    { "etc-signing-cert", G_STRUCT_OFFSET (OimaDeviceConfig, etc_signing_cert) },
  };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *v = g_key_file_get_string (kf, "deploy", paths[i].key, NULL);
      if (v == NULL)
        continue;
      char *resolved = resolve (src, c->sysroot, "deploy", paths[i].key, g_strstrip (v), error);
      if (resolved == NULL)
        return FALSE;
      G_STRUCT_MEMBER (char *, c, paths[i].offset) = resolved;
    }
  if ((c->etc_signing_pass_file || c->etc_signing_cert) && c->etc_signing_key == NULL)
    return fail_at (src, "deploy",
                    c->etc_signing_cert ? "etc-signing-cert" : "etc-signing-pass-file", error,
                    "given without etc-signing-key");
  return TRUE;
}

static gboolean
load_trust (const Source *src, GKeyFile *kf, OimaDeviceConfig *c, GError **error)
{
  g_auto (GStrv) certs = NULL;
  if (!get_list (src, kf, "trust", "certs", &certs, error))
    return FALSE;
  if (certs == NULL)
    {
      g_ptr_array_add (c->certs, g_build_filename (c->sysroot, DEFAULT_CERTS, NULL));
      return TRUE;
    }
  if (certs[0] == NULL)
    return fail_at (src, "trust", "certs", error, "empty: the device would trust no key");
  for (char **p = certs; *p; p++)
    {
      char *resolved = resolve (src, c->sysroot, "trust", "certs", *p, error);
      if (resolved == NULL)
        return FALSE;
      g_ptr_array_add (c->certs, resolved);
    }
  return TRUE;
}

gboolean
oima_device_config_load (const char *sysroot, const char *conf_path, OimaDeviceConfig **out_config,
                         GError **error)
{
  g_autoptr (OimaDeviceConfig) c = g_new0 (OimaDeviceConfig, 1);
  c->sysroot = g_strdup (sysroot);
  c->path = conf_path ? g_strdup (conf_path) : g_build_filename (sysroot, DEFAULT_CONF, NULL);
  c->certs = g_ptr_array_new_with_free_func (g_free);

  g_autofree char *text = NULL;
  g_autoptr (GError) local_error = NULL;
  if (!g_file_get_contents (c->path, &text, NULL, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
          && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
        return oima_throw (error, "%s: %s", c->path, local_error->message);
      g_clear_error (&local_error);
      text = g_strdup ("");
    }
  else
    c->found = TRUE;

  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  Source src = { c->path, lines };
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  if (!check_syntax (&src, error))
    return FALSE;
  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &local_error))
    return oima_throw (error, "%s: %s", c->path, local_error->message);
  if (!check_known (&src, kf, error) || !load_trust (&src, kf, c, error)
      || !load_policy (&src, kf, c, error) || !get_mode (&src, kf, "pull", &c->pull_mode, error)
      || !get_mode (&src, kf, "deploy", &c->deploy_mode, error)
      || !load_deploy (&src, kf, c, error))
    return FALSE;
  *out_config = g_steal_pointer (&c);
  return TRUE;
}

gboolean
oima_device_config_is_unset (const OimaDeviceConfig *config)
{
  /* Without a file, the trust is the default certificate directory. */
  return !config->found && !g_file_test (config->certs->pdata[0], G_FILE_TEST_EXISTS);
}
