#!/usr/bin/python3
"""Builds the ONNX importer's test fixtures and their PyTorch oracles under test/fixtures/onnx/.

Run with Debian's python (apt-get install python3-torch python3-onnx):
    /usr/bin/python3 scripts/make-fixtures.py

For each tiny model it writes NAME.onnx and NAME.json: a fixed input batch (NCHW, in [0,1]), the
logits, the weights of the loss sum(logits * loss_weights), that loss's gradient with respect to the
input and to two named weight tensors (PyTorch layout, which is the ONNX initializer's layout), and for
the ResNet the train-mode logits, their input gradient, and the BatchNorm running statistics after that
one train-mode pass.
CI never runs this: it uses the committed files. Everything is seeded.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench', 'torch'))
from models import BasicBlock  # noqa: E402  (the one residual block, shared with the PyTorch corpus)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
BATCH = 4
CLASSES = 10


class SmallCnn(nn.Module):
    """1x28x28; dilated, depthwise and grouped convs, pools with padding, a view() with the batch baked in."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.dil = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.grp = nn.Conv2d(8, 12, 3, stride=2, padding=1, groups=2)
        self.fc1 = nn.Linear(12 * 4 * 4, 24)
        self.fc2 = nn.Linear(24, CLASSES)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)  # 14
        x = F.leaky_relu(self.dil(x), 0.1)
        x = torch.tanh(self.dw(x))
        x = F.relu(self.grp(x))  # 7
        x = F.avg_pool2d(x, 3, stride=2, padding=1)  # 4, count_include_pad
        x = x.view(x.size(0), -1)  # exported without dynamic axes: Reshape to a constant [4, -1]
        x = F.dropout(F.relu(self.fc1(x)), 0.3, self.training)
        return self.fc2(x)


class TinyResNet(nn.Module):
    """3x32x32 ResNet with BatchNorm and residual adds."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = BasicBlock(8, 8, 1)
        self.layer2 = BasicBlock(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 3, 2, 1)
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class WideBlock(nn.Module):
    """Pre-activation wide block with a squeeze-excite gate and a channel concat."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.drop = nn.Dropout(0.3)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout // 2, 3, 1, 0, bias=False)
        self.se1 = nn.Conv2d(cout, 4, 1)
        self.se2 = nn.Conv2d(4, cout, 1)
        self.short = nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        o = F.relu(self.bn1(x))
        y = self.conv1(o)
        y = self.drop(F.relu(self.bn2(y)))
        z = self.conv2(F.pad(y, (1, 1, 1, 1)))
        y = torch.cat([z, y[:, : y.shape[1] // 2]], 1)
        gate = torch.sigmoid(self.se2(F.relu(self.se1(F.adaptive_avg_pool2d(y, 1)))))
        return y * gate + self.short(o)


class TinyWrn(nn.Module):
    """3x32x32 WideResNet-style: widen factor 2, avg_pool2d(8) and view(-1, C) as in the WRN code."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.block1 = WideBlock(8, 16, 1)
        self.block2 = WideBlock(16, 32, 2)
        self.block3 = WideBlock(32, 32, 2)
        self.bn = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, CLASSES)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        x = F.avg_pool2d(F.relu(self.bn(x)), 8)
        return self.fc(x.view(-1, 32))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        att = att.softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, n, c))


class TinyVit(nn.Module):
    """3x16x16 ViT: 4x4 patches, cls token, learned position embedding, 2 pre-norm blocks, GELU."""

    def __init__(self, dim=32, heads=2, depth=2):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, 4)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.02)
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(nn.ModuleDict({
                'ln1': nn.LayerNorm(dim), 'att': Attention(dim, heads),
                'ln2': nn.LayerNorm(dim), 'fc1': nn.Linear(dim, 2 * dim), 'fc2': nn.Linear(2 * dim, dim),
            }))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, CLASSES)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = x + b['att'](b['ln1'](x))
            x = x + b['fc2'](F.gelu(b['fc1'](b['ln2'](x))))
        return self.head(self.norm(x)[:, 0])


class Mlp(nn.Module):
    """1x28x28 MLP ending in Softmax (the importer drops it), exported at opset 11 (LayerNorm decomposed)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 32)
        self.ln = nn.LayerNorm(32)
        self.fc2 = nn.Linear(32, CLASSES)

    def forward(self, x):
        x = torch.sigmoid(self.ln(self.fc1(torch.flatten(x, 1))))
        return torch.softmax(self.fc2(x), dim=1)


def randomize_bn(model, gen):
    """Fresh BatchNorm has mean 0 var 1, which would hide a layout bug in the running statistics."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def flat(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


def build(name, model, shape, grad_params, opset, dynamic, logits_of=None, train_bn=None, preserve=False):
    gen = torch.Generator().manual_seed(1234)
    randomize_bn(model, gen)
    model.eval()
    x = torch.rand((BATCH,) + shape, generator=gen)
    path = os.path.join(OUT, name + '.onnx')
    torch.onnx.export(
        model, x, path, opset_version=opset, input_names=['input'], output_names=['output'],
        dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}} if dynamic else None,
        training=torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL,
        do_constant_folding=True,
    )
    params = dict(model.named_parameters())
    xg = x.clone().requires_grad_(True)
    logits = (logits_of or model)(xg)
    loss_w = torch.randn(logits.shape, generator=gen)
    loss = (logits * loss_w).sum()
    grads = torch.autograd.grad(loss, [xg] + [params[p] for p in grad_params])
    ref = {
        'name': name, 'opset': opset, 'inputShape': [BATCH, *shape], 'input': flat(x),
        'logits': flat(logits), 'classes': logits.shape[1], 'lossWeights': flat(loss_w),
        'gradInput': flat(grads[0]),
        'gradWeights': {p: {'shape': list(params[p].shape), 'data': flat(g)} for p, g in zip(grad_params, grads[1:])},
    }
    if train_bn:
        model.train()
        xt = x.clone().requires_grad_(True)
        train_logits = model(xt)
        ref['trainLogits'] = flat(train_logits)
        # Unlearning trains in this mode: the gradient flows through the batch statistics too.
        ref['trainGradInput'] = flat(torch.autograd.grad((train_logits * loss_w).sum(), xt)[0])
        bn = dict(model.named_modules())[train_bn]
        ref['trainBn'] = {'name': train_bn, 'runningMean': flat(bn.running_mean), 'runningVar': flat(bn.running_var)}
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(ref, f)
    print(name, os.path.getsize(path), 'bytes')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    build('cnn', SmallCnn(), (1, 28, 28), ['conv1.weight', 'fc2.weight'], 13, dynamic=False)
    torch.manual_seed(1)
    build('resnet', TinyResNet(), (3, 32, 32), ['conv1.weight', 'layer2.conv1.weight'], 13, dynamic=True,
          train_bn='bn1', preserve=True)
    torch.manual_seed(2)
    build('wrn', TinyWrn(), (3, 32, 32), ['block1.conv2.weight', 'fc.weight'], 13, dynamic=True)
    torch.manual_seed(3)
    build('vit', TinyVit(), (3, 16, 16), ['patch.weight', 'pos'], 17, dynamic=True)
    torch.manual_seed(4)
    mlp = Mlp()
    # The exported graph ends in Softmax; the oracle is the logits before it.
    build('mlp', mlp, (1, 28, 28), ['fc1.weight', 'ln.weight'], 11, dynamic=True,
          logits_of=lambda x: mlp.fc2(torch.sigmoid(mlp.ln(mlp.fc1(torch.flatten(x, 1))))))


if __name__ == '__main__':
    main()
