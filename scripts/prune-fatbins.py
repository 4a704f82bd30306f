#!/usr/bin/env python3
"""Keeps only one GPU architecture's code in the CUDA fat binaries embedded in a shared library.

TensorFlow's and NVIDIA's CUDA libraries carry every kernel for sm_50 ... sm_90 plus PTX (for example 412 MB of
kernels in libcudnn_engines_precompiled.so.9, 53 MB of it for sm_90). On a known GPU (the H100/H200 host: sm_90)
the driver only ever loads the entry for that architecture, so the others are dead weight in every transfer, and
they are already compressed (xz cannot shrink them).

Each fat binary container (magic 0xBA55ED50, version 1, a 16-byte header with the size of its entries) is
rewritten in place: its entries for the target architecture are moved to the front, the header's size shrinks to
them, and the bytes freed behind are zeroed (they compress to almost nothing). Containers keep their offsets, so
the registration records that point at them (.nvFatBinSegment) stay valid, and nothing else in the file moves.
Per container:
  - it has SASS (ELF) for the target architecture: keep exactly those entries (the driver picks them and never
    looks at the PTX or other entries);
  - otherwise it has PTX for an architecture <= the target: keep those PTX entries (the driver JIT-compiles them);
  - otherwise (nothing usable on the target): leave it untouched.

    python3 scripts/prune-fatbins.py --arch 90 IN OUT      # prints what it kept and freed
"""
import argparse
import json
import struct
import sys

MAGIC = struct.pack("<I", 0xBA55ED50)
KIND_PTX, KIND_ELF = 1, 2


def parse_container(data, pos):
    """The entries of the container at pos as (offset, length, kind, arch), or None when it is no valid one."""
    if pos + 16 > len(data):
        return None
    _magic, version, header_size, fat_size = struct.unpack_from("<IHHQ", data, pos)
    if version != 1 or header_size != 16 or fat_size == 0 or pos + 16 + fat_size > len(data):
        return None
    entries, p, end = [], pos + 16, pos + 16 + fat_size
    while p < end:
        if p + 32 > end:
            return None
        kind, _ver, entry_header, payload = struct.unpack_from("<HHIQ", data, p)
        arch = struct.unpack_from("<I", data, p + 28)[0]
        length = entry_header + payload
        if kind not in (1, 2, 4, 8, 16) or entry_header < 32 or length <= 0 or p + length > end:
            return None
        entries.append((p, length, kind, arch))
        p += length
    return entries if p == end else None


def choose(entries, target):
    """The entries to keep on an sm_<target> GPU, or None to leave the container as it is."""
    sass = [e for e in entries if e[2] == KIND_ELF and e[3] == target]
    if sass:
        return sass
    ptx = [e for e in entries if e[2] == KIND_PTX and e[3] <= target]
    return ptx or None


def prune(data, target):
    stats = {"containers": 0, "pruned": 0, "untouched": 0, "ptx_only": 0, "bytes_before": 0, "bytes_after": 0}
    pos = data.find(MAGIC)
    while pos != -1:
        entries = parse_container(data, pos)
        if entries is None:
            pos = data.find(MAGIC, pos + 1)
            continue
        end = entries[-1][0] + entries[-1][1]
        stats["containers"] += 1
        stats["bytes_before"] += end - pos - 16
        keep = choose(entries, target)
        if keep is None or len(keep) == len(entries):
            stats["untouched"] += 1
            stats["bytes_after"] += end - pos - 16
            pos = data.find(MAGIC, end)
            continue
        if keep[0][2] == KIND_PTX:
            stats["ptx_only"] += 1
        kept = b"".join(bytes(data[o:o + n]) for o, n, _k, _a in keep)
        data[pos + 16:pos + 16 + len(kept)] = kept
        data[pos + 16 + len(kept):end] = bytes(end - pos - 16 - len(kept))
        struct.pack_into("<Q", data, pos + 8, len(kept))
        stats["pruned"] += 1
        stats["bytes_after"] += len(kept)
        pos = data.find(MAGIC, end)
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", type=int, default=90, help="the GPU's compute capability as one number (90 = sm_90)")
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args()
    with open(args.input, "rb") as f:
        data = bytearray(f.read())
    size = len(data)
    stats = prune(data, args.arch)
    assert len(data) == size, "the file size must not change"
    with open(args.output, "wb") as f:
        f.write(data)
    stats["file"] = args.input.rsplit("/", 1)[-1]
    stats["arch"] = args.arch
    print(json.dumps(stats))


if __name__ == "__main__":
    sys.exit(main())
