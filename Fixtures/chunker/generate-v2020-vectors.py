"""Regenerates v2020-pyfastcdc-vectors.txt (not run by the tests or CI).

    pip install pyfastcdc==0.3.1
    python3 Fixtures/chunker/generate-v2020-vectors.py > Fixtures/chunker/v2020-pyfastcdc-vectors.txt

pyfastcdc is a port of fastcdc-rs v2020; it reproduces every vector that
fastcdc-rs publishes, and it serves here as a second, independent oracle.
"""
import os
import struct
from pyfastcdc import FastCDC
M = (1 << 64) - 1
def splitmix_bytes(seed, n):
    out = bytearray()
    s = seed
    while len(out) < n:
        s = (s + 0x9E3779B97F4A7C15) & M
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        z = z ^ (z >> 31)
        out += struct.pack('<Q', z)
    return bytes(out[:n])
sekien = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../shared/fixtures/SekienAkashita.jpg'),'rb').read()
sets = [
    ('sekien-tiny', 'sekien', 64, 256, 1024, 1, 0),
    ('sekien-16k-nc2', 'sekien', 4096, 16384, 65535, 2, 0),
    ('sekien-odd', 'sekien', 1001, 3001, 9999, 1, 0),
    ('sekien-odd-nc3', 'sekien', 65, 257, 1025, 3, 0),
    ('sekien-tiny-nc0-seed', 'sekien', 64, 256, 1024, 0, 0x0123456789abcdef),
    ('splitmix-default', 'splitmix64:1:25165824', 524288, 1048576, 8388608, 1, 0),
    ('splitmix-odd', 'splitmix64:7:3000001', 20001, 65537, 150001, 2, 0),
]
print('# Expected FastCDC v2020 chunks, generated with pyfastcdc 0.3.1 (a port of')
print('# fastcdc-rs v2020 that reproduces its published vectors); NOT published by')
print('# fastcdc-rs. Inputs: "sekien" = shared/fixtures/SekienAkashita.jpg;')
print('# "splitmix64:SEED:COUNT" = COUNT bytes of SplitMix64(SEED) words, little-endian.')
print('# "seed" XORs every gear value (fastcdc-rs with_level_and_seed).')
print('# Format: "set NAME INPUT MIN AVG MAX NORMALIZATION SEED", then "OFFSET LENGTH HASH" per chunk.')
for name, inp, mn, av, mx, nc, seed in sets:
    if inp == 'sekien': data = sekien
    else:
        _, s, n = inp.split(':'); data = splitmix_bytes(int(s), int(n))
    print(f'set {name} {inp} {mn} {av} {mx} {nc} {seed:#x}')
    for c in FastCDC(av, min_size=mn, max_size=mx, normalized_chunking=nc, seed=seed).cut_buf(data):
        print(c.offset, c.length, c.gear_hash)
