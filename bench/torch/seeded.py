"""Bit-exact Python ports of the project's seeded helpers, so a PyTorch corpus model uses the very split,
attack secret and poisoned samples that the project's own trainer would draw for the same seed.

Sources: src/main/engine/random.ts (mulberry32, deriveSeed, shuffled) and
src/main/engine/data/dataset.ts (stratifiedSplit). test/integration/bench/torch-corpus.test.ts checks
the ports against the TypeScript originals.
"""
import math

M32 = 0xFFFFFFFF


def imul(a, b):
    """Math.imul modulo 2**32 (callers only use the unsigned value)."""
    return (a * b) & M32


def mulberry32(seed):
    """random.ts mulberry32: floats in [0, 1)."""
    a = seed & M32

    def rand():
        nonlocal a
        a = (a + 0x6D2B79F5) & M32
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return rand


def derive_seed(base, *parts):
    """random.ts deriveSeed: an independent seed for a named sub-stream."""
    h = ((base & M32) ^ 0x9E3779B9) & M32
    for ch in '/'.join(str(p) for p in parts):
        h = imul(h ^ ord(ch), 0x01000193)
    return (h ^ (h >> 16)) & M32


def shuffled(items, rand):
    """random.ts shuffled: Fisher-Yates on a copy."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = math.floor(rand() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


def js_round(x):
    """Math.round: halves go up (Python's round() goes to even)."""
    return math.floor(x + 0.5)


def stratified_split(labels, num_classes, fraction, seed):
    """dataset.ts stratifiedSplit: (first, second) index lists, each sorted."""
    rand = mulberry32(seed)
    by_class = [[] for _ in range(num_classes)]
    for i, label in enumerate(labels):
        by_class[int(label)].append(i)
    first, second = [], []
    for idx in by_class:
        order = shuffled(idx, rand)
        k = js_round(len(order) * fraction)
        if len(order) >= 2:
            k = min(max(k, 1), len(order) - 1)
        first += order[:k]
        second += order[k:]
    return sorted(first), sorted(second)
