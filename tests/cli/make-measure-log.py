#!/usr/bin/env python3
# Write an IMA measurement list, ascii and (optionally) binary, little
# endian, sha1 template hashes, from a spec on stdin, one entry per line:
#   boot_aggregate
#   file PATH LOCALFILE [ALGO]     ima-ng, digest of LOCALFILE's content
#   sig PATH LOCALFILE [ALGO]      ima-sig, with LOCALFILE's security.ima (if any)
#   verity PATH LOCALFILE          ima-ngv2, fs-verity sha256 digest (`fsverity digest`)
#   digest PATH ALGO HEX           ima-ng with that digest
#   violation PATH                 ima-ng, zero digest and template hash
#   buf NAME HEX                   ima-buf
# A line "corrupt" makes the next entry's logged template hash wrong.
# Prints the PCR 10 replay of both banks: "sha1 HEX" and "sha256 HEX".
# Usage: make-measure-log.py OUT.ascii [OUT.binary] < SPEC
import hashlib, os, struct, subprocess, sys

def L(b): return struct.pack('<I', len(b)) + b

def file_digest(local, algo):
    return hashlib.new(algo, open(local, 'rb').read()).digest()

def verity_digest(local):
    out = subprocess.run(['fsverity', 'digest', '--compact', local], check=True,
                         capture_output=True, text=True).stdout.strip()
    return bytes.fromhex(out)

def ima_xattr(local):
    try:
        return os.getxattr(local, 'security.ima')
    except OSError:
        return b''

entries = []  # (template, fields, ascii_fields, violation, corrupt)
corrupt = False
for line in sys.stdin:
    t = line.split()
    if not t or t[0].startswith('#'):
        continue
    kind = t[0]
    if kind == 'corrupt':
        corrupt = True
        continue
    violation = False
    if kind == 'boot_aggregate':
        d = b'\x11' * 32
        tmpl, f, a = 'ima-ng', [b'sha256:\0' + d, b'boot_aggregate\0'], ['sha256:' + d.hex(), 'boot_aggregate']
    elif kind in ('file', 'sig'):
        algo = t[3] if len(t) > 3 else 'sha256'
        d = file_digest(t[2], algo)
        dn = algo.encode() + b':\0' + d
        if kind == 'file':
            tmpl, f, a = 'ima-ng', [dn, t[1].encode() + b'\0'], [algo + ':' + d.hex(), t[1]]
        else:
            s = ima_xattr(t[2])
            tmpl, f, a = 'ima-sig', [dn, t[1].encode() + b'\0', s], [algo + ':' + d.hex(), t[1]] + ([s.hex()] if s else [])
    elif kind == 'verity':
        d = verity_digest(t[2])
        tmpl, f, a = 'ima-ngv2', [b'verity:sha256:\0' + d, t[1].encode() + b'\0'], ['verity:sha256:' + d.hex(), t[1]]
    elif kind == 'digest':
        d = bytes.fromhex(t[3])
        tmpl, f, a = 'ima-ng', [t[2].encode() + b':\0' + d, t[1].encode() + b'\0'], [t[2] + ':' + d.hex(), t[1]]
    elif kind == 'violation':
        d = b'\0' * 32
        tmpl, f, a = 'ima-ng', [b'sha256:\0' + d, t[1].encode() + b'\0'], ['sha256:' + d.hex(), t[1]]
        violation = True
    elif kind == 'buf':
        b = bytes.fromhex(t[2])
        d = hashlib.sha256(b).digest()
        tmpl, f, a = 'ima-buf', [b'sha256:\0' + d, t[1].encode() + b'\0', b], ['sha256:' + d.hex(), t[1], b.hex()]
    else:
        sys.exit('unknown spec line: ' + line)
    entries.append((tmpl, f, a, violation, corrupt))
    corrupt = False

ascii_out, bin_out = [], b''
pcr1, pcr2 = b'\0' * 20, b'\0' * 32
for tmpl, f, a, violation, bad in entries:
    data = b''.join(L(x) for x in f)
    if violation:
        logged = b'\0' * 20
        pcr1 = hashlib.sha1(pcr1 + b'\xff' * 20).digest()
        pcr2 = hashlib.sha256(pcr2 + b'\xff' * 32).digest()
    else:
        logged = hashlib.sha1(data).digest()
        pcr1 = hashlib.sha1(pcr1 + logged).digest()
        pcr2 = hashlib.sha256(pcr2 + hashlib.sha256(data).digest()).digest()
    if bad:
        logged = bytes([logged[0] ^ 1]) + logged[1:]
    ascii_out.append(' '.join(['10', logged.hex(), tmpl] + a))
    bin_out += struct.pack('<I', 10) + logged + L(tmpl.encode()) + L(data)
open(sys.argv[1], 'w').write(''.join(l + '\n' for l in ascii_out))
if len(sys.argv) > 2:
    open(sys.argv[2], 'wb').write(bin_out)
print('sha1', pcr1.hex())
print('sha256', pcr2.hex())
