"""The PyTorch corpus's architectures, written the way PyTorch users write them (NCHW, nn.Module)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Normalize(nn.Module):
    """(x - mean) / std as the graph's first op, so the exported ONNX file takes pixels in [0, 1]
    (the importer reports "the graph normalises its input")."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class Mlp(nn.Module):
    def __init__(self, c, h, w, k, hidden):
        super().__init__()
        sizes = [c * h * w, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(sizes[-1], k)

    def forward(self, x):
        x = torch.flatten(x, 1)
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.out(x)


class Cnn(nn.Module):
    """conv16-pool-conv32-pool-fc128-dropout-fc, no BatchNorm."""

    def __init__(self, c, h, w, k):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, k)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.dropout(F.relu(self.fc1(torch.flatten(x, 1))), 0.25, self.training)
        return self.fc2(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNetBn(nn.Module):
    """A small ResNet (He et al.'s CIFAR layout, one BasicBlock per stage): stem 16, stages 16/32/64,
    global average pool, linear; BatchNorm after every conv."""

    def __init__(self, c, k, width=16):
        super().__init__()
        self.stem = nn.Conv2d(c, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.stages = nn.Sequential(
            BasicBlock(width, width, 1), BasicBlock(width, 2 * width, 2), BasicBlock(2 * width, 4 * width, 2)
        )
        self.fc = nn.Linear(4 * width, k)

    def forward(self, x):
        x = self.stages(F.relu(self.bn(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(recipe, shape, num_classes, mean, std):
    """The recipe's network (arch checked by train.py resolve_recipe; NCHW input in [0, 1]), with the
    data set's normalisation in front when recipe['inputNorm'] == 'graph'."""
    h, w, c = shape
    if recipe['arch'] == 'mlp':
        net = Mlp(c, h, w, num_classes, recipe['hidden'])
    elif recipe['arch'] == 'cnn':
        net = Cnn(c, h, w, num_classes)
    else:
        net = ResNetBn(c, num_classes)
    return nn.Sequential(Normalize(mean, std), net) if recipe['inputNorm'] == 'graph' else net


def describe(recipe, model):
    params = sum(p.numel() for p in model.parameters())
    if recipe['arch'] == 'mlp':
        layout = 'flatten-' + '-'.join(f'dense{n}' for n in recipe['hidden']) + '-dense'
    elif recipe['arch'] == 'cnn':
        layout = 'conv16-pool-conv32-pool-dense128-dropout-dense'
    else:
        layout = 'resnet: stem16-bn, BasicBlocks 16/32/64 with BatchNorm, global average pool, dense'
    return f'{layout} ({params} parameters, NCHW, PyTorch {torch.__version__})'
