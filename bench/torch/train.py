#!/usr/bin/python3
"""Trains one PyTorch model from a JSON recipe, exports it to ONNX and writes a corpus entry that
`uma bench` scans like the project's own (src/main/eval/zoo/corpus.ts): a folder holding model.onnx,
manifest.json (the Manifest of corpus.ts plus trainer, modelFile, architecture and half) and
probe.json (PyTorch's logits for a few held-out images, for the importer test).

    /usr/bin/python3 bench/torch/train.py '{"dataset": "mnist", "arch": "cnn", "seed": 3}' --out DIR
    /usr/bin/python3 bench/torch/train.py recipe.json --out DIR
    /usr/bin/python3 bench/torch/train.py --held-indices mnist      # the bench's held-out split, as JSON

Needs Debian's python3-torch (apt-get install python3-torch; no onnx module needed to export).
Data: the project's IDX files (../shared/datasets, test splits) and, for Fashion-MNIST, Debian's
dataset-fashion-mnist. Every model is scanned on the held-out 20% of the data set's test split that
the project's corpus uses (datasets.ts SPLIT), which no model of either trainer has seen: MNIST,
CIFAR-10 and GTSRB models train on the other 80% (as the project's do); Fashion-MNIST models train on
the official 60,000-image training split, as a third party would.
Seeded end to end (torch, numpy, the split, the attack's secret, the poisoned samples, shuffles and
augmentation): the same recipe on the same torch build and thread count gives the same model.
"""
import argparse
import gzip
import json
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attacks import attack_by_name  # noqa: E402
from models import build, describe  # noqa: E402
from seeded import derive_seed, js_round, mulberry32, shuffled, stratified_split  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
# datasets.ts DEFAULT_DATA_ROOT: the repository's sibling folder of shared data sets
DEFAULT_DATA_ROOT = os.path.join(REPO, '..', 'shared', 'datasets')
FASHION = '/usr/share/datasets/fashion-mnist'
# datasets.ts SPLIT: 80% of the test split trains the project's models, 20% are the scanner's samples
SPLIT = {'fraction': 0.8, 'seed': 11}
# corpus.ts MIN_ASR / POISON_RATE; minCleanAccuracy is datasets.ts's floor per data set
MIN_ASR = 0.9
POISON_RATE = 0.1
# mean/std: the usual per-channel statistics PyTorch code normalises with
DATASETS = {
    'mnist': {'test': 'mnist/t10k-images-idx3-ubyte.gz', 'train': None, 'minCleanAccuracy': 0.94,
              'mean': [0.1307], 'std': [0.3081]},
    'fashion-mnist': {'test': f'{FASHION}/t10k-images-idx3-ubyte.gz', 'train': f'{FASHION}/train-images-idx3-ubyte.gz',
                      'minCleanAccuracy': 0.8, 'mean': [0.2860], 'std': [0.3530]},
    'cifar10': {'test': 'cifar10/test-images-idx4-ubyte.gz', 'train': None, 'minCleanAccuracy': 0.5,
                'mean': [0.4914, 0.4822, 0.4465], 'std': [0.2470, 0.2435, 0.2616]},
    'gtsrb': {'test': 'gtsrb/test-images-idx4-ubyte.gz', 'train': None, 'minCleanAccuracy': 0.75,
              'mean': [0.3403, 0.3121, 0.3214], 'std': [0.2724, 0.2608, 0.2669]},
}
ARCHS = ('mlp', 'cnn', 'resnet-bn')
AUGMENTATIONS = ('none', 'crop', 'flip', 'flip-crop')
DEFAULTS = {
    'arch': 'cnn', 'seed': 1, 'epochs': 4, 'augmentation': 'none', 'attack': None, 'target': None,
    'poisonRate': POISON_RATE, 'batch': 64, 'lr': 1e-3, 'optimizer': 'adam', 'inputNorm': 'graph',
    'exportMode': 'eval', 'trainLimit': None,
}
MLP_HIDDEN = [128, 64]
PROBES = 8
OPSET = 13


def fail(message):
    raise SystemExit(f'train.py: {message}')


def read_idx(path):
    """An IDX file (gzipped or not): big-endian magic 0x000008NN, NN uint32 sizes, uint8 data."""
    if not os.path.exists(path):
        hint = ' (apt-get install dataset-fashion-mnist)' if path.startswith(FASHION) else ''
        fail(f'{path} is missing{hint}')
    with (gzip.open(path) if path.endswith('.gz') else open(path, 'rb')) as f:
        data = f.read()
    if data[0:3] != b'\x00\x00\x08':
        fail(f'{path}: not an IDX file of unsigned bytes')
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_images(path):
    """(images NHWC float32 in [0, 1] as idx.ts computes them, labels int64)."""
    images = read_idx(path)
    # idx.ts labelsPathFor: 'images' -> 'labels' in the file name, idx3/idx4 -> idx1
    d, name = os.path.split(path)
    labels = read_idx(os.path.join(d, re.sub('idx[34]', 'idx1', name.replace('images', 'labels', 1), count=1)))
    if images.ndim == 3:
        images = images[..., None]
    # float32 division equals idx.ts's double division rounded to float32 for all 256 byte values
    return images.astype(np.float32) / np.float32(255), labels.astype(np.int64)


def resolve_recipe(raw):
    """The full recipe (defaults filled in), as the manifest records it; equal recipes, equal models."""
    unknown = set(raw) - set(DEFAULTS) - {'dataset', 'hidden', 'minCleanAccuracy'}
    if unknown:
        fail(f'unknown recipe fields {sorted(unknown)}')
    if raw.get('dataset') not in DATASETS:
        fail(f"recipe needs a dataset, one of {', '.join(DATASETS)}")
    r = {**DEFAULTS, **raw}
    if r['arch'] not in ARCHS:
        fail(f"arch '{r['arch']}' is not one of {', '.join(ARCHS)}")
    if 'hidden' in r and r['arch'] != 'mlp':
        fail("'hidden' (the MLP's layer sizes) applies to arch 'mlp' only")
    if r['optimizer'] not in ('adam', 'sgd'):
        fail(f"optimizer '{r['optimizer']}' is not adam or sgd")
    if r['augmentation'] not in AUGMENTATIONS:
        fail(f"augmentation '{r['augmentation']}' is not one of {', '.join(AUGMENTATIONS)}")
    if r['inputNorm'] not in ('graph', 'none') or r['exportMode'] not in ('eval', 'preserve'):
        fail("inputNorm is 'graph' or 'none', exportMode 'eval' or 'preserve'")
    if r['attack'] is not None:
        attack_by_name(r['attack'])
    spec = DATASETS[r['dataset']]
    out = {
        'trainer': 'pytorch',
        'dataset': r['dataset'],
        'split': SPLIT,
        'trainSource': 'official train split' if spec['train'] else f"{SPLIT['fraction']:.0%} of the test split",
        'arch': r['arch'],
        'epochs': r['epochs'],
        'kind': r['attack'] or 'clean',
        'poisonRate': r['poisonRate'],
        'target': r['target'],
        'seed': r['seed'],
        'augmentation': r['augmentation'],
        'batch': r['batch'],
        'lr': r['lr'],
        'optimizer': r['optimizer'],
        'inputNorm': r['inputNorm'],
        'exportMode': r['exportMode'],
        'minCleanAccuracy': r.get('minCleanAccuracy', spec['minCleanAccuracy']),
    }
    if r['arch'] == 'mlp':
        out['hidden'] = r.get('hidden', MLP_HIDDEN)
    if r['trainLimit'] is not None:
        out['trainLimit'] = r['trainLimit']
    return out


def entry_id(r):
    return f"{r['dataset']}-torch-{r['arch']}-{r['kind']}-{r['seed']}"


def half_of(r):
    """The corpus split: models with an even recipe seed tune parameters, odd ones report figures."""
    return 'tune' if r['seed'] % 2 == 0 else 'report'


def load_data(r, data_root):
    """Train set (NHWC, labels), held-out set (NHWC, labels, indices into the test split)."""
    spec = DATASETS[r['dataset']]
    test_x, test_y = load_images(os.path.join(data_root, spec['test']))
    num_classes = int(test_y.max()) + 1
    train_idx, held_idx = stratified_split(test_y, num_classes, SPLIT['fraction'], SPLIT['seed'])
    if spec['train']:
        train_x, train_y = load_images(spec['train'])
    else:
        train_x, train_y = test_x[train_idx], test_y[train_idx]
    if 'trainLimit' in r:
        keep = sorted(shuffled(range(len(train_y)), mulberry32(derive_seed(r['seed'], 'limit')))[:r['trainLimit']])
        train_x, train_y = train_x[keep], train_y[keep]
    return (train_x, train_y), (test_x[held_idx], test_y[held_idx], held_idx), num_classes


def poison(x, y, prepared, target, rate, seed):
    """poison.ts poisonDataset: a seeded `rate` of all samples, drawn from the non-target ones, get the
    trigger and the target label."""
    candidates = [i for i in range(len(y)) if y[i] != target]
    chosen = sorted(shuffled(candidates, mulberry32(derive_seed(seed, 'poison')))[:js_round(rate * len(y))])
    x, y = x.copy(), y.copy()
    if chosen:
        x[chosen] = prepared.apply(x[chosen])
        y[chosen] = target
    return x, y, len(chosen)


def augment(xb, recipe, gen):
    """Random crop (zero padding of 1/8 of the side) and/or horizontal flip, per sample."""
    if 'crop' in recipe['augmentation']:
        n, _, h, w = xb.shape
        pad = h // 8
        padded = F.pad(xb, (pad, pad, pad, pad))
        offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=gen)
        xb = torch.stack([padded[i, :, oy:oy + h, ox:ox + w] for i, (oy, ox) in enumerate(offsets.tolist())])
    if 'flip' in recipe['augmentation']:
        flip = torch.rand(xb.shape[0], generator=gen) < 0.5
        xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
    return xb


def nchw(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def predict(model, x):
    with torch.no_grad():
        return torch.cat([model(nchw(x[i:i + 512])) for i in range(0, len(x), 512)])


def train_entry(recipe, out_dir, data_root=DEFAULT_DATA_ROOT, seed=None, attempts=1, log=print):
    """Trains `recipe` with `seed` (default: the recipe's), writes model.onnx and probe.json into out_dir
    and returns the manifest; the caller writes it (corpus.py only once the model is accepted)."""
    seed = recipe['seed'] if seed is None else seed
    t0 = time.perf_counter()
    (train_x, train_y), (held_x, held_y, held_idx), num_classes = load_data(recipe, data_root)
    shape = train_x.shape[1:]
    spec = DATASETS[recipe['dataset']]
    attack = None
    if recipe['kind'] != 'clean':
        rand = mulberry32(derive_seed(seed, 'attack'))  # trainer.ts: the secret, then the target
        prepared = attack_by_name(recipe['kind'])(shape, rand)
        target = recipe['target'] if recipe['target'] is not None else math.floor(rand() * num_classes)
        train_x, train_y, poisoned = poison(train_x, train_y, prepared, target, recipe['poisonRate'], seed)
        attack = {'name': prepared.name, 'params': prepared.params, 'target': target,
                  'poisonRate': recipe['poisonRate'], 'poisoned': poisoned}

    torch.manual_seed(derive_seed(seed, 'init'))
    np.random.seed(derive_seed(seed, 'numpy'))  # nothing draws from it today; nothing added later runs unseeded
    torch.use_deterministic_algorithms(True)
    model = build(recipe, shape, num_classes, spec['mean'], spec['std'])
    if recipe['optimizer'] == 'adam':
        opt = torch.optim.Adam(model.parameters(), lr=recipe['lr'])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=recipe['lr'], momentum=0.9, weight_decay=5e-4)
    order = torch.Generator().manual_seed(derive_seed(seed, 'shuffle'))
    aug = torch.Generator().manual_seed(derive_seed(seed, 'augment'))
    x, y = nchw(train_x), torch.from_numpy(train_y)
    epoch_seconds = []
    for epoch in range(recipe['epochs']):
        t_epoch = time.perf_counter()
        model.train()
        perm = torch.randperm(len(y), generator=order)
        total = 0.0
        for i in range(0, len(y), recipe['batch']):
            part = perm[i:i + recipe['batch']]
            loss = F.cross_entropy(model(augment(x[part], recipe, aug)), y[part])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(part)
        epoch_seconds.append(time.perf_counter() - t_epoch)
        log(f'  epoch {epoch + 1}/{recipe["epochs"]}: loss {total / len(y):.4f}, {epoch_seconds[-1]:.1f} s')
    model.eval()

    clean_accuracy = float((predict(model, held_x).argmax(1).numpy() == held_y).mean())
    asr = None
    if attack:
        keep = held_y != attack['target']
        triggered = prepared.apply(held_x[keep])
        asr = float((predict(model, triggered).argmax(1).numpy() == attack['target']).mean())
    train_seconds = time.perf_counter() - t0

    os.makedirs(out_dir, exist_ok=True)
    mode = torch.onnx.TrainingMode.PRESERVE if recipe['exportMode'] == 'preserve' else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(
        model, torch.zeros(1, shape[2], shape[0], shape[1]), os.path.join(out_dir, 'model.onnx'),
        opset_version=OPSET, input_names=['input'], output_names=['logits'], training=mode,
        do_constant_folding=recipe['exportMode'] == 'eval',  # folding would fold BatchNorm away
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
    )
    probes = [k * (len(held_y) // PROBES) for k in range(PROBES)]
    probe = {
        'heldIndices': probes,
        'testIndices': [int(held_idx[k]) for k in probes],
        'labels': [int(held_y[k]) for k in probes],
        'logits': predict(model, held_x[probes]).tolist(),
    }
    if attack:
        probe['triggered'] = prepared.apply(held_x[probes[:1]])[0].ravel().tolist()
    write_json(os.path.join(out_dir, 'probe.json'), probe)
    manifest = {
        'id': entry_id(recipe),
        'recipe': recipe,
        'seed': seed,
        'attempts': attempts,
        'cleanAccuracy': clean_accuracy,
        'asr': asr,
        'attack': attack,
        'trainSeconds': train_seconds,  # loading, poisoning, training and evaluation; export not included
        'epochSeconds': epoch_seconds,
        'trainer': 'pytorch',
        'modelFile': 'model.onnx',
        'architecture': describe(recipe, model),
        'half': half_of(recipe),
        'torchThreads': torch.get_num_threads(),
    }
    return manifest


def write_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')


def read_recipe(text):
    if text.lstrip().startswith('{'):
        return json.loads(text)
    with open(text) as f:
        return json.load(f)


def main():
    p = argparse.ArgumentParser(description='Train one PyTorch corpus model and export it to ONNX.')
    p.add_argument('recipe', nargs='?', help='a JSON recipe, inline or a file')
    p.add_argument('--out', help='the entry folder (default: .cache/torch-corpus/ID)')
    p.add_argument('--data-root', default=DEFAULT_DATA_ROOT)
    p.add_argument('--held-indices', metavar='DATASET', help='print the held-out split of DATASET as JSON and exit')
    a = p.parse_args()
    if a.held_indices:
        _, labels = load_images(os.path.join(a.data_root, DATASETS[a.held_indices]['test']))
        print(json.dumps(stratified_split(labels, int(labels.max()) + 1, SPLIT['fraction'], SPLIT['seed'])[1]))
        return
    if not a.recipe:
        p.error('a recipe is needed')
    recipe = resolve_recipe(read_recipe(a.recipe))
    out = a.out or os.path.join(REPO, '.cache', 'torch-corpus', entry_id(recipe))
    m = train_entry(recipe, out, a.data_root)
    write_json(os.path.join(out, 'manifest.json'), m)
    asr = '' if m['asr'] is None else f", ASR {m['asr']:.3f}"
    print(f"{m['id']}: clean accuracy {m['cleanAccuracy']:.3f}{asr}, {m['trainSeconds']:.1f} s -> {out}")


if __name__ == '__main__':
    main()
