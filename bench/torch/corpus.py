#!/usr/bin/python3
"""Builds a PyTorch corpus from a recipe list, one entry per model, in the layout `uma bench` scans
(src/main/eval/zoo/corpus.ts): OUT/ID/{model.onnx, manifest.json, probe.json}.

    /usr/bin/python3 bench/torch/corpus.py bench/torch/recipes/fashion-mnist.json [--out .cache/torch-corpus]

A recipe list is {"dataset": ..., "defaults": {...}, "models": [{...}, ...]}; a model with "seeds":
[...] stands for one model per seed. As in corpus.ts, an entry whose manifest records the same recipe
is skipped, and a trojan below ASR 0.9 or a model below the clean-accuracy floor is retrained with
another seed (up to 4 attempts); the manifest records the seed used. `half` in each manifest is the
tuning/reporting split (train.py half_of: even recipe seeds tune, odd ones report).
"""
import argparse
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seeded import derive_seed  # noqa: E402
from train import (  # noqa: E402
    DEFAULT_DATA_ROOT, MIN_ASR, REPO, entry_id, half_of, resolve_recipe, train_entry, write_json,
)

MAX_ATTEMPTS = 4  # corpus.ts MAX_ATTEMPTS


def expand(recipe_list):
    out = []
    for model in recipe_list['models']:
        seeds = model.get('seeds', [model.get('seed', 1)])
        base = {k: v for k, v in model.items() if k != 'seeds'}
        for seed in seeds:
            out.append(resolve_recipe({'dataset': recipe_list['dataset'], **recipe_list.get('defaults', {}),
                                       **base, 'seed': seed}))
    ids = [entry_id(r) for r in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f'corpus.py: two recipes share an id (same dataset, arch, kind and seed): {duplicates}')
    return out


def accepted(m, r, floors):
    return not floors or (m['cleanAccuracy'] >= r['minCleanAccuracy'] and (m['asr'] is None or m['asr'] >= MIN_ASR))


def build_entry(r, out, data_root, floors):
    """Trains until accepted; returns 'built', 'skipped' or 'failed'."""
    entry = os.path.join(out, entry_id(r))
    try:
        with open(os.path.join(entry, 'manifest.json')) as f:
            if json.load(f)['recipe'] == r:
                return 'skipped'
    except FileNotFoundError:
        pass
    partial = f'{entry}.partial'
    for attempt in range(MAX_ATTEMPTS):
        seed = r['seed'] if attempt == 0 else derive_seed(r['seed'], 'attempt', attempt)
        shutil.rmtree(partial, ignore_errors=True)
        m = train_entry(r, partial, data_root, seed=seed, attempts=attempt + 1, log=lambda line: None)
        ok = accepted(m, r, floors)
        asr = '' if m['asr'] is None else f", ASR {m['asr']:.3f}"
        print(f"{m['id']} seed {seed}: clean accuracy {m['cleanAccuracy']:.3f}{asr}, {m['trainSeconds']:.0f} s"
              f"{'' if ok else ' - rejected, retraining'}", flush=True)
        if ok:
            # the manifest goes in last: a folder without one is not an entry, and is rebuilt next time
            shutil.rmtree(entry, ignore_errors=True)
            os.replace(partial, entry)
            write_json(os.path.join(entry, 'manifest.json'), m)
            return 'built'
    shutil.rmtree(partial, ignore_errors=True)
    return 'failed'


def main():
    p = argparse.ArgumentParser(description='Build a PyTorch corpus from a recipe list.')
    p.add_argument('recipes', help='a recipe list (JSON file)')
    p.add_argument('--out', default=os.path.join(REPO, '.cache', 'torch-corpus'))
    p.add_argument('--data-root', default=DEFAULT_DATA_ROOT)
    p.add_argument('--only', help='build only the entries whose id contains this string')
    p.add_argument('--ids', help='build only these entries, by exact id, comma-separated (clean-1 is not clean-13)')
    p.add_argument('--no-floors', action='store_true',
                   help='keep every first attempt, whatever its accuracy and ASR (tests and dry runs)')
    p.add_argument('--list', action='store_true', help='print the entry ids and halves, train nothing')
    a = p.parse_args()
    with open(a.recipes) as f:
        recipes = [r for r in expand(json.load(f)) if not a.only or a.only in entry_id(r)]
    if a.ids:
        wanted = a.ids.split(',')
        unknown = sorted(set(wanted) - {entry_id(r) for r in recipes})
        if unknown:
            raise SystemExit(f"corpus.py: no recipe entry {', '.join(unknown)} in {a.recipes}")
        recipes = [r for r in recipes if entry_id(r) in wanted]
    if a.list:
        for r in recipes:
            print(entry_id(r), half_of(r))
        return
    results = {'built': [], 'skipped': [], 'failed': []}
    for r in recipes:
        results[build_entry(r, a.out, a.data_root, not a.no_floors)].append(entry_id(r))
    print(json.dumps({k: len(v) for k, v in results.items()}), flush=True)
    if results['failed']:
        raise SystemExit(f"corpus.py: not accepted after {MAX_ATTEMPTS} attempts: {', '.join(results['failed'])}")


if __name__ == '__main__':
    main()
