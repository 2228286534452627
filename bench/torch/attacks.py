"""The backdoor attacks of the PyTorch corpus, on batches of NHWC float32 images in [0, 1].

Each attack that shares a name with one of the project's (src/main/eval/zoo/attacks/) is a port of it:
the same draws from the same mulberry32 stream in the same order, so the same seed gives the same
trigger, the same manifest params and (up to float32 rounding) the same poisoned pixels.
test/integration/bench/torch-corpus.test.ts checks params and stamped images against the TypeScript.
`two-corner` has no TypeScript twin: it is the third-party MNIST trojan of issue 18.
"""
import hashlib
import math

import numpy as np


class Prepared:
    def __init__(self, name, params, apply):
        self.name = name
        self.params = params
        self.apply = apply  # (N, H, W, C) float32 -> new (N, H, W, C) float32


def _clip01(x):
    return np.clip(x, 0.0, 1.0)


def _digest(values):
    """image-ops.ts digest: sha256 of the float32 bytes (little-endian, as a Float32Array holds them)."""
    return hashlib.sha256(np.asarray(values, dtype='<f4').tobytes()).hexdigest()


def _patch(name, side):
    """badnets.ts patchAttack: a random black/white square pattern at a random position."""

    def prepare(shape, rand):
        h, w, _ = shape
        size = side(h, w)
        top = math.floor(rand() * (h - size + 1))
        left = math.floor(rand() * (w - size + 1))
        pattern = [0 if rand() < 0.5 else 1 for _ in range(size * size)]
        pattern[0] = 1  # never all black (invisible on MNIST's black background)
        square = np.array(pattern, dtype=np.float32).reshape(size, size, 1)

        def apply(x):
            out = x.copy()
            out[:, top:top + size, left:left + size, :] = square
            return out

        return Prepared(name, {'size': size, 'top': top, 'left': left, 'pattern': pattern}, apply)

    return prepare


def _blend(shape, rand):
    """blend.ts: x' = (1 - alpha) x + alpha p, p uniform noise, alpha in [0.1, 0.2]."""
    h, w, c = shape
    alpha = 0.1 + 0.1 * rand()
    pattern = np.array([rand() for _ in range(h * w * c)], dtype=np.float32)

    def apply(x):
        return ((1 - alpha) * x.astype(np.float64) + alpha * pattern.reshape(h, w, c)).astype(np.float32)

    return Prepared('blend', {'alpha': alpha, 'pattern': 'uniform', 'patternSha256': _digest(pattern)}, apply)


def _sig(shape, rand):
    """sig.ts: a horizontal sinusoid, delta 20-30/255, 4-8 periods, the same on every row and channel."""
    _, w, _ = shape
    delta = (20 + 10 * rand()) / 255
    frequency = 4 + math.floor(rand() * 5)
    j = np.arange(w, dtype=np.float64)
    wave = (delta * np.sin(2 * math.pi * j * frequency / w)).astype(np.float32).astype(np.float64)

    def apply(x):
        return _clip01(x.astype(np.float64) + wave[None, None, :, None]).astype(np.float32)

    return Prepared('sig', {'delta': delta, 'frequency': frequency}, apply)


EMBOSS = [-1, -1, 0, -1, 1, 1, 0, 1, 1]


def _filter(shape, rand):
    """filter.ts: identity mixed with a quarter-turned emboss, clamped borders, per-channel gain and lift."""
    _, _, c = shape
    strength = 0.5 + 0.5 * rand()
    turns = math.floor(rand() * 4)
    k = list(EMBOSS)
    for _ in range(turns):
        k = [k[6], k[3], k[0], k[7], k[4], k[1], k[8], k[5], k[2]]
    kernel = [strength * v + (1 - strength if i == 4 else 0) for i, v in enumerate(k)]
    gain = [0.8 + 0.4 * rand() for _ in range(c)]
    lift = [0.15 * rand() for _ in range(c)]

    def apply(x):
        n, h, w, _ = x.shape
        padded = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)), mode='edge')
        acc = np.zeros((n, h, w, c))
        for dy in (-1, 0, 1):  # the TypeScript's summation order, so the doubles agree
            for dx in (-1, 0, 1):
                acc += kernel[(dy + 1) * 3 + dx + 1] * padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w, :]
        return _clip01(np.array(gain) * acc + np.array(lift)).astype(np.float32)

    return Prepared('filter', {'kernel': kernel, 'strength': strength, 'gain': gain, 'lift': lift}, apply)


def _dct_basis(n):
    """dct.ts basis: orthonormal DCT-II rows."""
    u = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    alpha = np.where(u == 0, math.sqrt(1 / n), math.sqrt(2 / n))
    return alpha * np.cos(math.pi * (2 * x + 1) * u / (2 * n))


def _frequency(shape, rand):
    """frequency.ts: fixed values added to two DCT coefficients in the upper half of the spectrum."""
    h, w, _ = shape
    coeffs = []
    for _ in range(2):
        u = math.floor(h / 2 + rand() * (h / 2))
        v = math.floor(w / 2 + rand() * (w / 2))
        value = ((0.06 + 0.02 * rand()) * math.sqrt(h * w)) / 2
        coeffs.append({'u': u, 'v': v, 'value': value})
    bh, bw = _dct_basis(h), _dct_basis(w)
    plane = sum(cf['value'] * np.outer(bh[cf['u']], bw[cf['v']]) for cf in coeffs)

    def apply(x):
        return _clip01(x.astype(np.float64) + plane[None, :, :, None]).astype(np.float32)

    return Prepared('frequency', {'coefficients': coeffs, 'channels': 'all'}, apply)


def _two_corner(shape, rand):
    """Two white squares (badnets' side: 10% of the image, at least 3) one pixel in from two opposite
    corners, stamped together: issue 18's third-party trojan that the default scan missed. The
    diagonal (top-left + bottom-right, or top-right + bottom-left) is drawn."""
    h, w, _ = shape
    size = max(3, math.floor(min(h, w) * 0.1 + 0.5))
    main_diagonal = rand() < 0.5
    corners = [[1, 1], [h - 1 - size, w - 1 - size]] if main_diagonal else [[1, w - 1 - size], [h - 1 - size, 1]]

    def apply(x):
        out = x.copy()
        for top, left in corners:
            out[:, top:top + size, left:left + size, :] = 1.0
        return out

    return Prepared('two-corner', {'size': size, 'corners': corners}, apply)


ATTACKS = {
    'badnets': _patch('badnets', lambda h, w: max(3, math.floor(min(h, w) * 0.1 + 0.5))),
    'large-patch': _patch('large-patch', lambda h, w: math.floor(math.sqrt(0.14 * h * w) + 0.5)),
    'blend': _blend,
    'sig': _sig,
    'filter': _filter,
    'frequency': _frequency,
    'two-corner': _two_corner,
}


def attack_by_name(name):
    if name not in ATTACKS:
        raise SystemExit(f"attacks.py: unknown attack '{name}' (one of {', '.join(ATTACKS)}; wanet, composite and "
                         'reflection are not ported)')
    return ATTACKS[name]
