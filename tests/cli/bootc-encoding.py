#!/usr/bin/python3
# Commit DIR to REF in REPO the way bootc's ima-sign (ostree-ext ima.rs)
# stores security.ima: the xattr name without its trailing NUL (ostree issue
# 3240), through the ostree API so the object is what such a tool writes.
#   bootc-encoding.py REPO REF DIR PATH HEXVALUE
import sys

import gi

gi.require_version("OSTree", "1.0")
from gi.repository import Gio, GLib, OSTree  # noqa: E402

repo_path, ref, tree, target, hexvalue = sys.argv[1:6]
value = bytes.fromhex(hexvalue)
repo = OSTree.Repo.new(Gio.File.new_for_path(repo_path))
repo.open(None)


def xattr_cb(repo, path, file_info, user_data=None):
    if path != target:
        return None
    # 'ay' from Python bytes: no NUL appended, unlike g_variant_new_bytestring.
    return GLib.Variant("a(ayay)", [(b"security.ima", value)])


modifier = OSTree.RepoCommitModifier.new(OSTree.RepoCommitModifierFlags.NONE, None)
modifier.set_xattr_callback(xattr_cb)
repo.prepare_transaction(None)
mtree = OSTree.MutableTree.new()
repo.write_directory_to_mtree(Gio.File.new_for_path(tree), mtree, modifier, None)
_, root = repo.write_mtree(mtree, None)
_, commit = repo.write_commit(None, "bootc-style", None, None, root, None)
repo.transaction_set_ref(None, ref, commit)
repo.commit_transaction(None)
print(commit)
