/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The "ima" ostree plugin: `ostree commit --ima-sign --ima-key=KEY ...`
 * signs every regular file inline while the commit is written.
 *
 * A thin adapter from ostree-plugin.h (ostree-patches/) to the core library:
 *  - commit_begin: validate options, load the key once, start the workers;
 *    reuse the signatures of the branch's current commit (or of
 *    --ima-reuse-from) and, for content taken from objects, of the
 *    repository's signing cache, so unchanged files keep their objects;
 *  - commit_tree: read ahead: queue every regular file of a dir= tree (by
 *    path) or every content object of a ref= tree (by checksum) on the
 *    sign queue, whose worker threads hash and sign while ostree writes;
 *    read a tar= archive (not stdin) on a thread of its own that hashes
 *    each file and signs the digest into the queue's cache (with more
 *    than two CPUs: hands it to the workers), at most about a thousand
 *    files ahead of ostree's import (oima-tar-ahead.h);
 *  - commit_file_xattrs: take the file's security.ima from the queue (or
 *    sign it now, from the cache for tar= files read ahead) and merge it
 *    into ostree's final xattrs, canonically sorted with NUL-terminated
 *    names;
 *  - commit_end: on success, remember in the signing cache which signed
 *    object each source object became (read back from the branch).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <gmodule.h>
#include <ostree.h>
#include <ostree-plugin.h>

#include "ima-hooks.h"
#include "oima-commit-rewrite.h"
#include "oima-disk.h"
#include "oima-error.h"
#include "oima-evm.h"
#include "oima-hash.h"
#include "oima-key-spec.h"
#include "oima-sign-cache.h"
#include "oima-sign-queue.h"
#include "oima-signing-key.h"
#include "oima-tar-ahead.h"
#include "oima-tree-walk.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

/* Option storage: one `ostree commit` per process. */
static gboolean opt_sign;
static char *opt_key;
static char *opt_cert;
static char *opt_hash;
static char *opt_pass_file;
static int opt_jobs = -1;
static char **opt_reuse_from;
static gboolean opt_no_reuse;
static gboolean opt_no_cache;
static gboolean opt_allow_weak_hash;
static gboolean opt_allow_insecure_key_perms;
static gboolean opt_evm;
static OimaPathOption opt_hash_only;
static char **opt_include;
static char **opt_exclude;

static gboolean
parse_hash_only (const char *name, const char *value, gpointer data, GError **error)
{
  oima_path_option_add (&opt_hash_only, value);
  return TRUE;
}

static const GOptionEntry commit_options[] = {
  { "ima-sign", 0, 0, G_OPTION_ARG_NONE, &opt_sign,
    "Sign every regular file with an IMA signature (security.ima)", NULL },
  { "ima-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_key,
    "Private key for --ima-sign: PEM/DER file or pkcs11: URI", "KEY" },
  { "ima-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert,
    "Certificate of the key; its subjectKeyIdentifier gives the key id", "CERT" },
  { "ima-hash", 0, 0, G_OPTION_ARG_STRING, &opt_hash,
    "Hash algorithm for --ima-sign (default: sha256)", "ALG" },
  { "ima-key-pass-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_pass_file,
    "Read the passphrase of --ima-key from FILE", "FILE" },
  { "ima-jobs", 0, 0, G_OPTION_ARG_INT, &opt_jobs,
    "Hash and sign on N threads (default: number of CPUs)", "N" },
  { "ima-reuse-from", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_reuse_from,
    "Reuse valid signatures of unchanged files of REV (repeatable; default: the branch's "
    "current commit): no churn with ECDSA",
    "REV" },
  { "ima-no-reuse", 0, 0, G_OPTION_ARG_NONE, &opt_no_reuse,
    "Sign every file afresh (ECDSA then changes every object)", NULL },
  { "ima-no-cache", 0, 0, G_OPTION_ARG_NONE, &opt_no_cache,
    "Do not use or update the repository's signing cache", NULL },
  { "ima-include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_include,
    "Sign only files whose path matches GLOB (repeatable; as ostree ima sign --include)", "GLOB" },
  { "ima-exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_exclude,
    "Do not sign files whose path matches GLOB (repeatable)", "GLOB" },
  { "ima-hash-only", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_hash_only,
    "Write a hash (0x04), not a signature, for every file or those matching GLOB", "GLOB" },
  { "ima-evm", 0, 0, G_OPTION_ARG_NONE, &opt_evm,
    "Also write a portable EVM signature (security.evm type 0x05) for each file", NULL },
  { "ima-allow-insecure-key-perms", 0, 0, G_OPTION_ARG_NONE, &opt_allow_insecure_key_perms,
    "Use an unencrypted --ima-key file that group or others can read", NULL },
  { "ima-allow-weak-hash", 0, 0, G_OPTION_ARG_NONE, &opt_allow_weak_hash,
    "Allow --ima-hash=md5, sha1 or rmd160", NULL },
  { NULL },
};

typedef struct
{
  OimaSigningKey *key;
  OimaHashAlgo algo;
  OimaSignQueue *queue;
  OimaSigReuse *reuse;         /* outlives the queue */
  OimaSignCache *cache;        /* outlives reuse; NULL with --ima-no-cache */
  GHashTable *source_of_path;  /* path -> source checksum, for the cache */
  OimaPathFilter *hash_only;   /* outlives the queue */
  OimaPathFilter *select;      /* --ima-include/--ima-exclude; NULL: every file */
  guint tree_serial;           /* ids of read-ahead work are "<serial>:<path>" */
  GArray *tree_dfds;           /* dfds the queue reads relative to, closed at the end */
  int current_dfd;             /* dup of the current dir= tree, or -1 */
  GHashTable *by_object;       /* source checksum -> GBytes security.ima (ref= trees) */
  GHashTable *objects_queued;  /* source checksums pushed on the queue */
  GPtrArray *tar_aheads;       /* OimaTarAhead of tar= trees, stopped before the queue goes */
  OimaTarAhead *current_ahead; /* of the tree being imported, or NULL */
} ImaCommit;

/* OSTREE_IMA_DEBUG=1: what the read-ahead of each tar= tree did. */
static void
report_tar_ahead (gpointer data, gpointer user_data)
{
  OimaTarAhead *ahead = data;
  oima_tar_ahead_stop (ahead);
  if (!g_getenv ("OSTREE_IMA_DEBUG"))
    return;
  const char *err = oima_tar_ahead_get_error (ahead);
  g_printerr ("ima: tar read-ahead hashed %u files%s%s\n", oima_tar_ahead_get_n_hashed (ahead),
              err ? ", then stopped: " : "", err ? err : "");
}

static void
ima_commit_free (ImaCommit *self)
{
  /* The read-ahead threads sign into the queue: stop them first. */
  if (self->tar_aheads)
    {
      g_ptr_array_foreach (self->tar_aheads, report_tar_ahead, NULL);
      g_clear_pointer (&self->tar_aheads, g_ptr_array_unref);
    }
  if (self->queue && g_getenv ("OSTREE_IMA_DEBUG"))
    g_printerr ("ima: %u signatures made, %u reused\n", oima_sign_queue_get_n_signed (self->queue),
                oima_sig_reuse_get_n_reused (self->reuse));
  /* Drop the queue first: it waits for running work that may read the dfds */
  g_clear_pointer (&self->queue, oima_sign_queue_free);
  if (self->tree_dfds)
    {
      for (guint i = 0; i < self->tree_dfds->len; i++)
        close (g_array_index (self->tree_dfds, int, i));
      g_array_unref (self->tree_dfds);
    }
  g_clear_pointer (&self->by_object, g_hash_table_unref);
  g_clear_pointer (&self->objects_queued, g_hash_table_unref);
  g_clear_pointer (&self->reuse, oima_sig_reuse_free);
  g_clear_pointer (&self->cache, oima_sign_cache_free);
  g_clear_pointer (&self->source_of_path, g_hash_table_unref);
  g_clear_pointer (&self->hash_only, oima_path_filter_free);
  g_clear_pointer (&self->select, oima_path_filter_free);
  g_clear_pointer (&self->key, oima_signing_key_unref);
  g_free (self);
}

/* The core names problems; say which of our options solves them. */
static void
add_hint (GError *error, const char *flag)
{
  const char *hint = NULL;
  if (g_error_matches (error, OIMA_ERROR, OIMA_ERROR_PASSPHRASE_NEEDED)
      || g_error_matches (error, OIMA_ERROR, OIMA_ERROR_SECRET_IN_URI))
    hint = "give it in a file with --ima-key-pass-file FILE or in the environment "
           "variable " OIMA_KEY_PASS_ENV;
  else if (g_error_matches (error, OIMA_ERROR, OIMA_ERROR_INSECURE_KEY))
    hint = "chmod 0600 it or encrypt it; --ima-allow-insecure-key-perms uses it anyway";
  else if (g_error_matches (error, OIMA_ERROR, OIMA_ERROR_NO_KEY))
    hint = "give --ima-key=KEY";
  else if (g_error_matches (error, OIMA_ERROR, OIMA_ERROR_WEAK_HASH))
    hint = "--ima-allow-weak-hash signs with it anyway";
  g_autofree char *msg = hint ? g_strdup_printf ("%s (%s)", error->message, hint) : NULL;
  if (msg)
    {
      g_free (error->message);
      error->message = g_steal_pointer (&msg);
    }
  g_prefix_error (&error, "%s: ", flag);
}

/* The ref the commit updates, or NULL (--orphan, or a host of this ABI
 * from before it said). */
static const char *
commit_branch (const OstreePluginCommit *commit)
{
  if (commit->struct_size < G_STRUCT_OFFSET (OstreePluginCommit, branch) + sizeof (commit->branch))
    return NULL;
  return commit->branch;
}

static gboolean
ima_commit_begin (OstreePluginCommit *commit, gboolean *out_active, GCancellable *cancellable,
                  GError **error)
{
  *out_active = FALSE;

  if (!opt_sign)
    {
      const char *stray = opt_key               ? "--ima-key"
                          : opt_cert            ? "--ima-cert"
                          : opt_hash            ? "--ima-hash"
                          : opt_pass_file       ? "--ima-key-pass-file"
                          : opt_jobs != -1      ? "--ima-jobs"
                          : opt_reuse_from      ? "--ima-reuse-from"
                          : opt_no_reuse        ? "--ima-no-reuse"
                          : opt_no_cache        ? "--ima-no-cache"
                          : opt_hash_only.given ? "--ima-hash-only"
                          : opt_include         ? "--ima-include"
                          : opt_exclude         ? "--ima-exclude"
                          : opt_evm             ? "--ima-evm"
                                                : NULL;
      if (stray)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s requires --ima-sign",
                       stray);
          return FALSE;
        }
      return TRUE;
    }

  if (opt_key == NULL || *opt_key == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "--ima-sign requires --ima-key=KEY");
      return FALSE;
    }
  if (opt_reuse_from && opt_no_reuse)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "--ima-reuse-from and --ima-no-reuse cannot be combined");
      return FALSE;
    }
  if (opt_jobs != -1 && (opt_jobs < 1 || opt_jobs > 1024))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--ima-jobs must be between 1 and 1024, not %d", opt_jobs);
      return FALSE;
    }
  if (!oima_repo_check_xattrs (commit->repo, error))
    {
      g_prefix_error (error, "--ima-sign: ");
      return FALSE;
    }

  OimaHashAlgo algo = OIMA_HASH_SHA256;
  if (opt_hash && !oima_hash_algo_from_name (opt_hash, &algo, error))
    {
      g_prefix_error (error, "--ima-hash: ");
      return FALSE;
    }
  if (!oima_hash_algo_check_signing (algo, opt_allow_weak_hash, error))
    {
      add_hint (*error, "--ima-hash");
      return FALSE;
    }

  OimaKeySpec spec = { .key = opt_key,
                       .pass_file = opt_pass_file,
                       .pass_from_env = TRUE,
                       .cert = opt_cert,
                       .allow_insecure_perms = opt_allow_insecure_key_perms };
  OimaKeySpecPart failed = OIMA_KEY_SPEC_KEY;
  g_autoptr (OimaSigningKey) key = oima_key_spec_load (&spec, &failed, error);
  if (key == NULL)
    {
      static const char *const flags[] = { [OIMA_KEY_SPEC_KEY] = "--ima-key",
                                           [OIMA_KEY_SPEC_PASS_FILE] = "--ima-key-pass-file",
                                           [OIMA_KEY_SPEC_CERT] = "--ima-cert",
                                           [OIMA_KEY_SPEC_KEYID] = "--ima-cert" };
      add_hint (*error, flags[failed]);
      return FALSE;
    }

  ImaCommit *self = g_new0 (ImaCommit, 1);
  self->key = g_steal_pointer (&key);
  self->algo = algo;
  self->current_dfd = -1;
  self->tree_dfds = g_array_new (FALSE, FALSE, sizeof (int));
  self->by_object
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  self->objects_queued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->tar_aheads = g_ptr_array_new_with_free_func ((GDestroyNotify)oima_tar_ahead_free);
  self->queue = oima_sign_queue_new (self->key, algo, opt_jobs > 0 ? (guint)opt_jobs : 0, error);
  if (self->queue == NULL)
    {
      ima_commit_free (self);
      return FALSE;
    }
  if (!oima_path_option_to_filter (&opt_hash_only, &self->hash_only, error))
    {
      g_prefix_error (error, "--ima-hash-only: ");
      ima_commit_free (self);
      return FALSE;
    }
  if (self->hash_only)
    oima_sign_queue_set_hash_only (self->queue, self->hash_only);
  if (opt_include || opt_exclude)
    {
      self->select = oima_path_filter_new ((const char *const *)opt_include,
                                           (const char *const *)opt_exclude, error);
      if (self->select == NULL)
        {
          g_prefix_error (error, "--ima-include/--ima-exclude: ");
          ima_commit_free (self);
          return FALSE;
        }
    }
  const char *branch = commit_branch (commit);
  self->reuse = oima_sig_reuse_new (self->key, algo);
  if (opt_reuse_from)
    {
      for (char **r = opt_reuse_from; *r; r++)
        if (!oima_sig_reuse_add_commit (self->reuse, commit->repo, *r, cancellable, error))
          {
            g_prefix_error (error, "--ima-reuse-from=%s: ", *r);
            ima_commit_free (self);
            return FALSE;
          }
    }
  else if (!opt_no_reuse && branch)
    {
      /* A rebuild changes only what changed, whatever the key type. */
      gboolean found = FALSE;
      if (!oima_sig_reuse_add_ref (self->reuse, commit->repo, branch, &found, cancellable, error))
        {
          g_prefix_error (error, "--ima-sign: reusing the signatures of branch %s: ", branch);
          ima_commit_free (self);
          return FALSE;
        }
    }
  if (!opt_no_cache)
    {
      self->cache = oima_sign_cache_load (commit->repo, self->key, algo);
      oima_sig_reuse_set_cache (self->reuse, commit->repo, self->cache);
      self->source_of_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  oima_sign_queue_set_reuse (self->queue, self->reuse);

  commit->plugin_data = self;
  *out_active = TRUE;
  return TRUE;
}

/* Queue every regular file of a dir= tree, in the order ostree itself
 * walks (readdir order, depth first) so the workers stay ahead. */
static gboolean
queue_file (int dfd, const char *relpath, const char *path, const struct stat *st,
            gpointer user_data, GError **error)
{
  ImaCommit *self = user_data;
  if (S_ISREG (st->st_mode)
      && (self->select == NULL || oima_path_filter_matches (self->select, path)))
    {
      g_autofree char *id = g_strdup_printf ("%u:%s", self->tree_serial, path);
      oima_sign_queue_push_path (self->queue, id, path, dfd, relpath);
    }
  return TRUE;
}

typedef struct
{
  ImaCommit *self;
  OstreeRepo *repo;
} QueueObjectsData;

static gboolean
queue_object (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  QueueObjectsData *data = user_data;
  ImaCommit *self = data->self;
  if (g_hash_table_contains (self->objects_queued, checksum)
      || g_hash_table_contains (self->by_object, checksum))
    return TRUE;
  /* Symlinks are content objects too; only regular files are signed. */
  g_autoptr (GFileInfo) info = NULL;
  if (!ostree_repo_load_file (data->repo, checksum, NULL, &info, NULL, NULL, error))
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return TRUE;
  g_autofree char *id = g_strconcat ("object:", checksum, NULL);
  oima_sign_queue_push_object (self->queue, id, path, data->repo, checksum);
  g_hash_table_add (self->objects_queued, g_strdup (checksum));
  return TRUE;
}

static gboolean
ima_commit_tree (OstreePluginCommit *commit, const OstreePluginTree *tree,
                 GCancellable *cancellable, GError **error)
{
  ImaCommit *self = commit->plugin_data;
  self->tree_serial++;
  self->current_dfd = -1;
  self->current_ahead = NULL;

  switch (tree->kind)
    {
    case OSTREE_PLUGIN_TREE_DIR:
      {
        if (tree->dfd < 0)
          return TRUE;
        int dfd = fcntl (tree->dfd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
          {
            g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "dup: %s",
                         g_strerror (errno));
            return FALSE;
          }
        g_array_append_val (self->tree_dfds, dfd);
        self->current_dfd = dfd;
        /* Best effort: ostree reports unreadable trees itself, with its own
         * message; files the read-ahead missed are signed when they come. */
        (void)oima_disk_walk (dfd, ".", "/", queue_file, self, cancellable, NULL);
        return TRUE;
      }
    case OSTREE_PLUGIN_TREE_REF:
      {
        g_autofree char *root_tree = NULL;
        if (!oima_resolve_commit (commit->repo, tree->checksum, NULL, NULL, &root_tree, error))
          return FALSE;
        QueueObjectsData data = { self, commit->repo };
        return oima_tree_walk (commit->repo, root_tree, queue_object, &data, cancellable, error);
      }
    case OSTREE_PLUGIN_TREE_TAR:
      /* ostree reads the archive once, spooling each file for the file
       * hook; a second reader ahead of it hashes and signs on other
       * threads.  Stdin can be read only once: its files are signed as
       * they come.
       * OSTREE_IMA_TAR_READ_AHEAD=0 turns it off (for benchmarks). */
      if (tree->source && strcmp (tree->source, "-") != 0
          && g_strcmp0 (g_getenv ("OSTREE_IMA_TAR_READ_AHEAD"), "0") != 0)
        {
          /* OSTREE_IMA_TAR_SIGN_ON_WORKERS=1/0 overrides the choice by
           * CPU count (see oima-tar-ahead.h), for tests and benchmarks. */
          const char *on_workers = g_getenv ("OSTREE_IMA_TAR_SIGN_ON_WORKERS");
          gboolean workers
              = on_workers ? g_strcmp0 (on_workers, "0") != 0 : g_get_num_processors () > 2;
          self->current_ahead
              = oima_tar_ahead_start (self->queue, self->algo, tree->source, self->select,
                                      workers ? OIMA_TAR_AHEAD_SIGN_ON_WORKERS : 0);
          g_ptr_array_add (self->tar_aheads, self->current_ahead);
        }
      return TRUE;
    default:
      return TRUE;
    }
}

static GBytes *
sign_file_now (ImaCommit *self, const OstreePluginFile *file, GCancellable *cancellable,
               GError **error)
{
  g_autoptr (GInputStream) in = NULL;
  if (file->content_fd >= 0)
    in = g_unix_input_stream_new (file->content_fd, FALSE);
  else if (file->content_file)
    {
      in = (GInputStream *)g_file_read (file->content_file, cancellable, error);
      if (in == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no content to sign");
      return NULL;
    }
  return oima_sign_queue_sign_stream (self->queue, file->path, in, cancellable, error);
}

/* The value the read-ahead of a dir= tree made for @file, else one made now.
 * A file with a source object there is a devino cache hit (a hardlink of
 * the object): the queue signed it by path, not knowing the object, so
 * the signing cache may still know a signed object of that content. */
static GBytes *
take_or_sign (ImaCommit *self, const OstreePluginFile *file, GCancellable *cancellable,
              GError **error)
{
  if (file->tree && file->tree->kind == OSTREE_PLUGIN_TREE_DIR)
    {
      g_autofree char *id = g_strdup_printf ("%u:%s", self->tree_serial, file->path);
      if (oima_sign_queue_contains (self->queue, id))
        {
          guint8 digest[OIMA_MAX_DIGEST_SIZE];
          gsize len = 0;
          g_autoptr (GBytes) made = oima_sign_queue_take_with_digest (self->queue, id, digest, &len,
                                                                      cancellable, error);
          if (made == NULL)
            return NULL;
          GBytes *cached
              = oima_sig_reuse_find_cached (self->reuse, file->source_checksum, made, digest, len);
          return cached ? cached : g_steal_pointer (&made);
        }
    }
  return sign_file_now (self, file, cancellable, error);
}

static GBytes *
get_ima_value (ImaCommit *self, const OstreePluginFile *file, GCancellable *cancellable,
               GError **error)
{
  /* Content taken by object is signed once per object: a hash-only path
   * gets its own value. */
  if (file->source_checksum && self->hash_only
      && oima_path_filter_matches (self->hash_only, file->path))
    return sign_file_now (self, file, cancellable, error);
  if (file->source_checksum)
    {
      GBytes *cached = g_hash_table_lookup (self->by_object, file->source_checksum);
      if (cached)
        return g_bytes_ref (cached);
      g_autofree char *id = g_strconcat ("object:", file->source_checksum, NULL);
      GBytes *ima = NULL;
      if (g_hash_table_contains (self->objects_queued, file->source_checksum))
        {
          ima = oima_sign_queue_take (self->queue, id, cancellable, error);
          g_hash_table_remove (self->objects_queued, file->source_checksum);
        }
      else /* e.g. a devino cache hit of a dir= tree, queued by path */
        ima = take_or_sign (self, file, cancellable, error);
      if (ima == NULL)
        return NULL;
      g_hash_table_insert (self->by_object, g_strdup (file->source_checksum), g_bytes_ref (ima));
      return ima;
    }

  return take_or_sign (self, file, cancellable, error);
}

static GVariant *
ima_commit_file_xattrs (OstreePluginCommit *commit, const OstreePluginFile *file,
                        GCancellable *cancellable, GError **error)
{
  ImaCommit *self = commit->plugin_data;
  /* What the path holds now (a later tree may replace it). */
  if (self->source_of_path)
    g_hash_table_remove (self->source_of_path, file->path);
  /* Not selected: the file keeps the xattrs ostree would store. */
  if (self->select && !oima_path_filter_matches (self->select, file->path))
    return NULL;
  g_autoptr (GBytes) ima = get_ima_value (self, file, cancellable, error);
  if (ima == NULL)
    return NULL;
  if (self->source_of_path && file->source_checksum && !opt_evm)
    g_hash_table_insert (self->source_of_path, g_strdup (file->path),
                         g_strdup (file->source_checksum));
  /* The read-ahead of this archive may go on. */
  if (self->current_ahead && file->tree && file->tree->kind == OSTREE_PLUGIN_TREE_TAR)
    oima_tar_ahead_taken (self->current_ahead);
  /* Merge with what ostree would store (on-disk xattrs, SELinux label, ...):
   * sorted, NUL-terminated names, no duplicates.  An old security.evm
   * covered other values: it goes, replaced with --ima-evm. */
  g_autoptr (GVariant) with_ima = oima_xattrs_set (file->xattrs, OIMA_XATTR_IMA, ima);
  g_autoptr (GVariant) xattrs = oima_xattrs_set (with_ima, OIMA_XATTR_EVM, NULL);
  if (!opt_evm)
    return g_steal_pointer (&xattrs);
  /* Over the final values: --owner-uid, --statoverride, the SELinux label. */
  GFileInfo *info = file->file_info;
  g_autoptr (GBytes) evm = oima_evm_sign_portable (
      self->key, self->algo, xattrs, g_file_info_get_attribute_uint32 (info, "unix::uid"),
      g_file_info_get_attribute_uint32 (info, "unix::gid"),
      g_file_info_get_attribute_uint32 (info, "unix::mode"), error);
  if (evm == NULL)
    return NULL;
  return oima_xattrs_set (xattrs, OIMA_XATTR_EVM, evm);
}

static gboolean
remember_signed (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  ImaCommit *self = user_data;
  const char *source = g_hash_table_lookup (self->source_of_path, path);
  if (source)
    oima_sign_cache_insert (self->cache, source, checksum);
  return TRUE;
}

/* The signing cache learns which object each file taken from a source
 * object became: the branch now points at the new commit.  A cache is
 * never a reason to fail. */
static void
update_cache (ImaCommit *self, OstreeRepo *repo, const char *branch)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, branch, NULL, NULL, &root_tree, &local_error)
      || !oima_tree_walk (repo, root_tree, remember_signed, self, NULL, &local_error)
      || !oima_sign_cache_save (self->cache, NULL, &local_error))
    {
      if (g_getenv ("OSTREE_IMA_DEBUG"))
        g_printerr ("ima: signing cache not updated: %s\n", local_error->message);
    }
}

static void
ima_commit_end (OstreePluginCommit *commit, gboolean success)
{
  ImaCommit *self = commit->plugin_data;
  commit->plugin_data = NULL;
  if (self == NULL)
    return;
  const char *branch = commit_branch (commit);
  if (success && self->cache && branch && g_hash_table_size (self->source_of_path) > 0)
    update_cache (self, commit->repo, branch);
  ima_commit_free (self);
}

static const OstreePluginInfo plugin_info = {
  .abi_version = OSTREE_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (OstreePluginInfo),
  .name = "ima",
  .description = "IMA signing (ostree-ima)",
  .commit_options = commit_options,
  .commit_begin = ima_commit_begin,
  .commit_tree = ima_commit_tree,
  .commit_file_xattrs = ima_commit_file_xattrs,
  .commit_end = ima_commit_end,
  .pull_commit = ima_hook_pull_commit,
  .deploy = ima_hook_deploy,
};

G_MODULE_EXPORT const OstreePluginInfo *ostree_plugin_get_info (guint host_abi_version);

G_MODULE_EXPORT const OstreePluginInfo *
ostree_plugin_get_info (guint host_abi_version)
{
  if (host_abi_version != OSTREE_PLUGIN_ABI_VERSION)
    return NULL;
  return &plugin_info;
}
