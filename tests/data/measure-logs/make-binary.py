#!/usr/bin/env python3
# Convert an ascii measurement list of ima, ima-ng, ima-sig and ima-buf
# entries to the binary format (little endian), checking every sha1 template
# hash, and print the PCR replay of both banks.
# Usage: make-binary.py LIST.ascii OUT.binary
import hashlib,struct,sys
def L(b): return struct.pack('<I',len(b))+b
def fields(t):
    tn=t[2]
    if tn=='ima':
        return [bytes.fromhex(t[3]), ' '.join(t[4:]).encode()]
    a,h=t[3].split(':',1)
    d=a.encode()+b':\0'+bytes.fromhex(h)
    if tn=='ima-ng': return [d, ' '.join(t[4:]).encode()+b'\0']
    return [d, t[4].encode()+b'\0', bytes.fromhex(t[5]) if len(t)>5 else b'']
def thash(tn, f, alg):
    if tn=='ima':
        return hashlib.new(alg, f[0]+f[1]+b'\0'*(256-len(f[1]))).digest()
    return hashlib.new(alg, b''.join(L(x) for x in f)).digest()
binout=b''
pcr1=b'\0'*20; pcr2=b'\0'*32
for line in open(sys.argv[1]):
    t=line.rstrip('\n').split(' ')
    f=fields(t)
    logged=bytes.fromhex(t[1])
    assert thash(t[2],f,'sha1')==logged
    pcr1=hashlib.sha1(pcr1+logged).digest()
    pcr2=hashlib.sha256(pcr2+thash(t[2],f,'sha256')).digest()
    binout+=struct.pack('<I',int(t[0]))+logged+L(t[2].encode())
    if t[2]=='ima': binout+=f[0]+L(f[1])
    else: binout+=L(b''.join(L(x) for x in f))
open(sys.argv[2],'wb').write(binout)
print('sha1',pcr1.hex()); print('sha256',pcr2.hex())
