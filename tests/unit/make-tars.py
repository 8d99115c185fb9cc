#!/usr/bin/env python3
# Test data for test-tar-reader.c: archives written by Python's tarfile (an
# independent writer) in DIR, and DIR/manifest: "ARCHIVE\tPATH\tTYPE\tSHA256"
# per entry (TYPE: f d l h o; SHA256 of regular files, else "-"), in order.
import gzip, hashlib, io, os, sys, tarfile

out = sys.argv[1]
manifest = []


def content(n, seed):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


def write(name, fmt, entries, compress=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for path, kind, data in entries:
            info = tarfile.TarInfo(path)
            info.mtime = 1700000000
            if kind == "f":
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
                digest = hashlib.sha256(data).hexdigest()
            else:
                info.type = {"d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE,
                             "h": tarfile.LNKTYPE, "o": tarfile.FIFOTYPE}[kind]
                if kind in "lh":
                    info.linkname = data
                t.addfile(info)
                digest = "-"
            # tarfile stores a directory's name with a trailing "/".
            stored = path + "/" if kind == "d" else path
            manifest.append("%s\t%s\t%s\t%s" % (name, stored, kind, digest))
    raw = buf.getvalue()
    if compress == "gz":
        raw = gzip.compress(raw, mtime=0)
    with open(os.path.join(out, name), "wb") as f:
        f.write(raw)


long_dir = "usr/share/" + "d" * 120
entries = [
    ("./usr", "d", None),
    ("./usr/bin/empty", "f", b""),
    ("./usr/bin/one-block", "f", content(512, 1)),
    ("./usr/bin/odd", "f", content(1000, 2)),
    ("./usr/bin/big", "f", content(200000, 3)),
    ("./usr/bin/sh", "l", "dash"),
    ("./usr/bin/hard", "h", "usr/bin/odd"),
    ("./usr/lib/fifo", "o", None),
    (long_dir + "/" + "n" * 80, "f", content(3000, 4)),
]
write("ustar.tar", tarfile.USTAR_FORMAT, [e for e in entries if len(e[0]) < 100] +
      [("usr/share/prefix-split/" + "p" * 90, "f", content(10, 5))])
write("gnu.tar", tarfile.GNU_FORMAT, entries)
write("pax.tar", tarfile.PAX_FORMAT, entries + [("usr/é-utf8", "f", content(7, 6))])
write("pax.tar.gz", tarfile.PAX_FORMAT, entries, compress="gz")

with open(os.path.join(out, "manifest"), "w") as f:
    f.write("\n".join(manifest) + "\n")
