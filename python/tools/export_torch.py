#!/usr/bin/env python3
"""Export a PyTorch state dict of a cimmc zoo model into a cimmc model file (HDF5).

The zoo architectures (mlp, lenet5, vgg_small, resnet20) are defined here twice, as cimmc
architecture specs (identical to the C++ zoo, node names included) and as PyTorch modules whose
parameters are registered in the same order, so a state dict of `torch_model(...)` maps onto the
spec node by node. Use the modules to train in PyTorch, then export:

    /usr/bin/python3 python/tools/export_torch.py state.pt --model lenet5 -o lenet5.h5
    cimmc eval --model lenet5.h5 --dataset fashion-mnist

`--print-spec` prints the spec only (no PyTorch needed). Models take pixel/255 in [0, 1]
(no mean/std normalization), NCHW. Requires numpy and h5py; torch only to read a .pt file.
"""
import argparse
import datetime
import sys

import numpy as np

FORMAT_VERSION = (1, 0)


def _scaled(base, width):
    return max(1, int(round(base * width)))  # C++: lround (halves away from zero; widths here avoid .5)


class _Builder:
    def __init__(self):
        self.lines = []
        self.last = "input"
        self.counter = 0

    def add(self, kind, attrs="", inputs=None):
        self.counter += 1
        name = ("bn" if kind == "batchnorm" else kind) + str(self.counter)
        self.lines.append(f"{name} {kind} {inputs or self.last}" + (f" {attrs}" if attrs else ""))
        self.last = name
        return name

    def conv(self, out, k, s, p, bias=False):
        return self.add("conv2d", f"out={out} kernel={k} stride={s} padding={p} bias={1 if bias else 0}")

    def conv_bn_relu(self, out, k=3, s=1, p=1):
        self.conv(out, k, s, p)
        self.add("batchnorm")
        return self.add("relu")


def zoo_layers(name, chw, classes, width=1.0):
    """The node lines (after the input line) of zoo model `name`, as the C++ zoo writes them."""
    c, h, w = chw
    b = _Builder()
    hmin = min(h, w)
    if name == "mlp":
        b.add("flatten")
        b.add("linear", f"out={_scaled(256, width)} bias=1")
        b.add("relu")
        b.add("linear", f"out={_scaled(128, width)} bias=1")
        b.add("relu")
        b.add("linear", f"out={classes} bias=1")
    elif name == "lenet5":
        b.conv_bn_relu(_scaled(6, width), 5, 1, 2 if hmin < 32 else 0)
        b.add("maxpool2d", "kernel=2 stride=2")
        b.conv_bn_relu(_scaled(16, width), 5, 1, 0)
        b.add("maxpool2d", "kernel=2 stride=2")
        b.add("flatten")
        b.add("linear", f"out={_scaled(120, width)} bias=1")
        b.add("relu")
        b.add("linear", f"out={_scaled(84, width)} bias=1")
        b.add("relu")
        b.add("linear", f"out={classes} bias=1")
    elif name == "vgg_small":
        for base in (32, 64, 128):
            b.conv_bn_relu(_scaled(base, width))
            b.conv_bn_relu(_scaled(base, width))
            b.add("maxpool2d", "kernel=2 stride=2")
        b.add("flatten")
        b.add("linear", f"out={_scaled(256, width)} bias=0")
        b.add("batchnorm")
        b.add("relu")
        b.add("linear", f"out={classes} bias=1")
    elif name == "resnet20":
        channels = _scaled(16, width)
        b.conv_bn_relu(channels)
        for stage in range(3):
            out = _scaled(16 << stage, width)
            for block in range(3):
                stride = 2 if stage > 0 and block == 0 else 1
                block_in = b.last
                b.conv_bn_relu(out, 3, stride, 1)
                b.conv(out, 3, 1, 1)
                main = b.add("batchnorm")
                shortcut = block_in
                if stride != 1 or out != channels:
                    b.last = block_in
                    b.conv(out, 1, stride, 0)
                    shortcut = b.add("batchnorm")
                b.add("add", "", f"{main},{shortcut}")
                b.add("relu")
                channels = out
        b.add("globalavgpool")
        b.add("linear", f"out={classes} bias=1")
    else:
        raise SystemExit(f"unknown zoo model '{name}' (known: mlp, lenet5, vgg_small, resnet20)")
    return b.lines


def zoo_spec(name, chw, classes, width=1.0):
    c, h, w = chw
    head = [f"# {name} (width {width:g}) for {c}×{h}×{w} inputs, {classes} classes",
            f"input input - channels={c} height={h} width={w}"]
    return "\n".join(head + zoo_layers(name, chw, classes, width)) + "\n"


def parse_spec(spec):
    """[(name, kind, inputs, attrs)] of a spec text."""
    nodes = []
    for line in spec.splitlines():
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        attrs = dict(t.split("=", 1) for t in line[3:])
        nodes.append((line[0], line[1], line[2].split(","), attrs))
    return nodes


def torch_model(name, chw, classes, width=1.0):
    """A torch.nn.Module equivalent to the spec, parameters registered in spec order."""
    import torch
    from torch import nn

    nodes = parse_spec(zoo_spec(name, chw, classes, width))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict()
            self.graph = []
            shape = {"input": tuple(chw)}
            for n, kind, ins, a in nodes[1:]:
                s = shape[ins[0]]
                if kind == "conv2d":
                    k, st, p = int(a["kernel"]), int(a.get("stride", 1)), int(a.get("padding", 0))
                    self.layers[n] = nn.Conv2d(s[0], int(a["out"]), k, st, p, bias=a.get("bias", "1") == "1")
                    shape[n] = (int(a["out"]), (s[1] + 2 * p - k) // st + 1, (s[2] + 2 * p - k) // st + 1)
                elif kind == "linear":
                    self.layers[n] = nn.Linear(s[0], int(a["out"]), bias=a.get("bias", "1") == "1")
                    shape[n] = (int(a["out"]),)
                elif kind == "batchnorm":
                    self.layers[n] = nn.BatchNorm2d(s[0]) if len(s) == 3 else nn.BatchNorm1d(s[0])
                    shape[n] = s
                elif kind in ("maxpool2d", "avgpool2d"):
                    k = int(a["kernel"]); st = int(a.get("stride", k))
                    self.layers[n] = (nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d)(k, st)
                    shape[n] = (s[0], (s[1] - k) // st + 1, (s[2] - k) // st + 1)
                elif kind == "flatten":
                    shape[n] = (int(np.prod(s)),)
                elif kind == "globalavgpool":
                    shape[n] = (s[0],)
                else:
                    shape[n] = s
                self.graph.append((n, kind, ins))

        def forward(self, x):
            out = {"input": x}
            for n, kind, ins in self.graph:
                a = out[ins[0]]
                if kind == "relu":
                    out[n] = torch.relu(a)
                elif kind == "add":
                    out[n] = a + out[ins[1]]
                elif kind == "flatten":
                    out[n] = torch.flatten(a, 1)
                elif kind == "globalavgpool":
                    out[n] = a.mean(dim=(2, 3))
                else:
                    out[n] = self.layers[n](a)
            return out[self.graph[-1][0]]

    return Net()


def state_layout(name, chw, classes, width=1.0):
    """[(torch key, shape, node, cimmc parameter, dimension names)] in state-dict order."""
    spec = zoo_spec(name, chw, classes, width)
    out = []
    shape = {"input": tuple(chw)}
    for n, kind, ins, a in parse_spec(spec)[1:]:
        s = shape.get(ins[0])
        if kind == "conv2d":
            k, st, p, o = int(a["kernel"]), int(a["stride"]), int(a["padding"]), int(a["out"])
            out.append((f"layers.{n}.weight", (o, s[0], k, k), n, "weight", ["out_channel", "in_channel", "kernel_y", "kernel_x"]))
            if a["bias"] == "1":
                out.append((f"layers.{n}.bias", (o,), n, "bias", ["channel"]))
            shape[n] = (o, (s[1] + 2 * p - k) // st + 1, (s[2] + 2 * p - k) // st + 1)
        elif kind == "linear":
            o = int(a["out"])
            out.append((f"layers.{n}.weight", (o, s[0]), n, "weight", ["out_feature", "in_feature"]))
            if a["bias"] == "1":
                out.append((f"layers.{n}.bias", (o,), n, "bias", ["channel"]))
            shape[n] = (o,)
        elif kind == "batchnorm":
            for tk, pn in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "running_mean"), ("running_var", "running_var")):
                out.append((f"layers.{n}.{tk}", (s[0],), n, pn, ["channel"]))
            shape[n] = s
        elif kind in ("maxpool2d", "avgpool2d"):
            k = int(a["kernel"]); st = int(a.get("stride", k))
            shape[n] = (s[0], (s[1] - k) // st + 1, (s[2] - k) // st + 1)
        elif kind == "flatten":
            shape[n] = (int(np.prod(s)),)
        elif kind == "globalavgpool":
            shape[n] = (s[0],)
        else:
            shape[n] = s
    return out


def random_state(name, chw, classes, width=1.0, seed=0):
    """A state dict of numpy arrays with the layout of torch_model() (for tests)."""
    rng = np.random.default_rng(seed)
    state = {}
    for key, shape, node, pname, dims in state_layout(name, chw, classes, width):
        a = rng.normal(0.0, 0.2, size=shape).astype(np.float32)
        if pname == "running_var":
            a = np.abs(a) + 0.5
        state[key] = a
    return state


def export(state, name, chw, classes, width, path, dataset="", seed=0):
    """Writes the cimmc.model file `path` from a state dict of torch_model() (matched by order and
    shape, so a module with other key names but the same registration order works too)."""
    import h5py

    spec = zoo_spec(name, chw, classes, width)
    arrays = [(k, np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v))
              for k, v in state.items() if not k.endswith("num_batches_tracked")]
    layout = state_layout(name, chw, classes, width)
    if len(arrays) != len(layout):
        raise SystemExit(f"state dict has {len(arrays)} tensors, {name} (width {width:g}) needs {len(layout)}")
    with h5py.File(path, "w") as f:
        f.attrs["filetype"] = "cimmc.model"
        f.attrs["format_version"] = np.array(FORMAT_VERSION, dtype=np.int64)
        f.attrs["cimmc_version"] = "export_torch"
        f.attrs["git_sha1"] = "unknown"
        f.attrs["created"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.attrs["seed"] = np.int64(seed)
        f.attrs["config"] = f'[export]\nsource = "pytorch state dict"\nmodel = "{name}"\nwidth = {width}\n'
        f["architecture"] = spec
        f["meta/zoo_name"] = name
        f["meta/dataset"] = dataset
        f["meta/input_range"] = "pixel/255 in [0, 1], NCHW"
        for (key, a), (want, shape, node, pname, dims) in zip(arrays, layout):
            if tuple(a.shape) != tuple(shape):
                raise SystemExit(f"state dict entry '{key}' has shape {tuple(a.shape)}; {want} needs {tuple(shape)}")
            d = f.create_dataset(f"weights/{node}/{pname}", data=a.astype(np.float32))
            d.attrs["units"] = "1"
            d.attrs["dimensions"] = dims
        for key, dtype in (("epoch", np.int32), ("learning_rate", np.float64), ("train_loss", np.float64),
                           ("train_accuracy", np.float64), ("test_loss", np.float64), ("test_accuracy", np.float64),
                           ("epoch_time_s", np.float64)):
            d = f.create_dataset(f"training/{key}", data=np.zeros(0, dtype=dtype))
            d.attrs["units"] = "s" if key == "epoch_time_s" else "1"
            d.attrs["dimensions"] = ["epoch"]


def benchmark(threads=2, seconds=3.0):
    """Images/s of the zoo models in PyTorch, shaped as cimmc_bench's BM_InferenceFloat/lenet5,
    BM_InferenceFloat/vgg_small, BM_TrainStep/lenet5 and BM_TrainStep/vgg_small (float; PyTorch
    has no exact-integer backend to compare BM_InferenceInt with, so resnet20 runs in float)."""
    import time
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(1)

    def rate(fn, batch):
        fn()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            fn()
            n += batch
        return n / (time.perf_counter() - t0)

    results = {}
    for name, chw, batch in (("lenet5", (1, 28, 28), 64), ("vgg_small", (1, 28, 28), 64), ("resnet20", (3, 32, 32), 16)):
        m = torch_model(name, chw, 10)
        x = torch.rand(batch, *chw)
        y = torch.randint(0, 10, (batch,))
        m.eval()
        with torch.no_grad():
            results[f"InferenceFloat/{name}"] = rate(lambda: m(x), batch)
        m.train()
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

        def step():
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x), y).backward()
            opt.step()

        if name != "resnet20":
            results[f"TrainStep/{name}"] = rate(step, batch)
    for k, v in results.items():
        print(f"{k:28s} {v:10.1f} images/s")
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("state_dict", nargs="?", help="a .pt file saved with torch.save(model.state_dict())")
    ap.add_argument("--model", default="lenet5", help="mlp, lenet5, vgg_small or resnet20")
    ap.add_argument("--input", default="1,28,28", help="C,H,W (default 1,28,28)")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--dataset", default="", help="recorded in /meta/dataset")
    ap.add_argument("-o", "--output", help="model file to write")
    ap.add_argument("--print-spec", action="store_true", help="print the architecture spec and exit")
    ap.add_argument("--benchmark", action="store_true", help="measure the zoo models' throughput in PyTorch and exit")
    ap.add_argument("--threads", type=int, default=2, help="--benchmark: PyTorch threads")
    a = ap.parse_args(argv)
    if a.benchmark:
        benchmark(a.threads)
        return 0
    chw = tuple(int(x) for x in a.input.split(","))
    if len(chw) != 3:
        ap.error(f"--input {a.input}: expected C,H,W")
    if a.print_spec:
        sys.stdout.write(zoo_spec(a.model, chw, a.classes, a.width))
        return 0
    if not a.state_dict or not a.output:
        ap.error("a state dict and -o are required (or --print-spec)")
    import torch
    state = torch.load(a.state_dict, map_location="cpu")
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    export(state, a.model, chw, a.classes, a.width, a.output, a.dataset)
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
