#!/usr/bin/python3
# Compare `ostree ls -R -X` of a source commit and of its signed copy.
# Usage: lsx-compare.py SRC.lsx SIGNED.lsx [--expect-signed GLOBLESS_LIST_FILE]
# Checks: same paths, types, modes, uid/gid, sizes, symlink targets; every
# xattr of the source kept with the same value; xattr names NUL-terminated
# (printed as b'...'), sorted, unique; security.ima added only on regular
# files (and only where listed in the --signed file, if given); never on
# directories or symlinks.  Prints one line per problem, exit 1 if any.
import re
import sys

LINE = re.compile(r"^([-dl])(\d+) (\d+) (\d+) +(\d+) \{ (.*) \} (/.*?)(?: -> (.*))?$")
# A value is [byte 0x.., ...], or a bytestring when it ends in its only NUL:
# b'...', or b"..." when it holds a quote.
XATTR = re.compile(r"\((b'(?:[^'\\]|\\.)*'|\[[^\]]*\]), "
                   r"(\[[^\]]*\]|b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\"|@ay \[\])\)")


def parse(path):
    entries = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            m = LINE.match(line)
            if not m:
                raise SystemExit(f"cannot parse line: {line!r}")
            typ, mode, uid, gid, size, xa, p, target = m.groups()
            names = []
            values = {}
            for xm in XATTR.finditer(xa):
                n, v = xm.groups()
                names.append(n)
                # GVariant text annotates only the first array with "byte"
                values[n] = v.replace("[byte ", "[")
            entries[p] = dict(typ=typ, mode=mode, uid=uid, gid=gid, size=size,
                              names=names, values=values, target=target, raw=xa)
    return entries


def main():
    src = parse(sys.argv[1])
    dst = parse(sys.argv[2])
    signed_list = None
    if len(sys.argv) > 4 and sys.argv[3] == "--signed":
        with open(sys.argv[4], encoding="utf-8", errors="surrogateescape") as f:
            signed_list = set(l.rstrip("\n") for l in f if l.strip())
    problems = []
    if set(src) != set(dst):
        problems.append(f"path sets differ: only in source {sorted(set(src) - set(dst))}, "
                        f"only in signed {sorted(set(dst) - set(src))}")
    ima = "b'security.ima'"
    for p in sorted(set(src) & set(dst)):
        s, d = src[p], dst[p]
        for k in ("typ", "mode", "uid", "gid", "size", "target"):
            if s[k] != d[k]:
                problems.append(f"{p}: {k} changed {s[k]!r} -> {d[k]!r}")
        for n in d["names"]:
            if not n.startswith("b'"):
                problems.append(f"{p}: xattr name not NUL-terminated: {n}")
        plain = [n for n in d["names"]]
        if plain != sorted(plain) :
            problems.append(f"{p}: xattr names not sorted: {plain}")
        if len(set(plain)) != len(plain):
            problems.append(f"{p}: duplicate xattr names: {plain}")
        for n, v in s["values"].items():
            if n == ima and s["typ"] == "-":
                continue
            if d["values"].get(n) != v:
                problems.append(f"{p}: xattr {n} changed or dropped: {v} -> {d['values'].get(n)}")
        extra = set(d["values"]) - set(s["values"])
        if s["typ"] != "-":
            if extra:
                problems.append(f"{p}: non-regular file gained xattrs {sorted(extra)}")
            continue
        want_signed = signed_list is None or p in signed_list
        if extra - {ima}:
            problems.append(f"{p}: unexpected new xattrs {sorted(extra - {ima})}")
        if want_signed and ima not in d["values"]:
            problems.append(f"{p}: regular file not signed (no security.ima)")
        if not want_signed and ima in s["values"] and s["values"][ima] != d["values"].get(ima):
            problems.append(f"{p}: existing security.ima changed although not selected")
        if not want_signed and ima not in s["values"] and ima in d["values"]:
            problems.append(f"{p}: signed although not selected")
    for pr in problems:
        print(pr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
