"""A program that pauses holding tensors, for Conv Lens's debug-session tests (integration, unit, e2e).

It writes what Python itself says about each value to $CONV_LENS_EXPECTED (JSON) before it pauses at
breakpoint(): type, dtype, shape, the SHA-256 of its bytes as stored (little-endian, row-major) and, for small
ones, the values as float64 — and a snapshot of the frame (its names, every tensor's version counter, grad and
bytes), so that the tests can show that reading changed nothing. $CONV_LENS_LECTURE names the lecture's worked
examples (test/fixtures/lecture-examples.json): the first case gives the 5x5 input and the 3x3 kernel.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch


def stored_bytes(v):
    if isinstance(v, torch.Tensor):
        t = v.detach().contiguous()
        if t.dtype == torch.bfloat16:
            t = t.view(torch.int16)
        return t.numpy().tobytes()
    return np.ascontiguousarray(v).tobytes()


def as_float64(v):
    if isinstance(v, torch.Tensor):
        return v.detach().double().flatten().tolist()
    return np.asarray(v).astype(np.float64).ravel().tolist()


def encode(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def describe(v):
    if isinstance(v, torch.Tensor):
        dtype, shape = str(v.dtype).replace("torch.", ""), list(v.shape)
    else:
        a = np.asarray(v)
        dtype, shape = a.dtype.name, list(a.shape)
    out = {"type": type(v).__module__ + "." + type(v).__qualname__, "dtype": dtype, "shape": shape,
           "sha256": hashlib.sha256(stored_bytes(v)).hexdigest()}
    n = math.prod(shape)
    if n <= 4096:
        out["values"] = [encode(x) for x in as_float64(v)]
    return out


def snapshot(frame_locals):
    """What reading must not change: the frame's names, the modules loaded, and every tensor as stored."""
    tensors = {}
    for name, v in sorted(frame_locals.items()):
        if isinstance(v, torch.Tensor):
            tensors[name] = {"version": v._version, "requires_grad": v.requires_grad, "grad": v.grad is not None if v.is_leaf else None,
                             "stride": list(v.stride()), "sha256": hashlib.sha256(stored_bytes(v)).hexdigest()}
        elif isinstance(v, np.ndarray):
            tensors[name] = {"writeable": bool(v.flags.writeable), "strides": list(v.strides),
                             "sha256": hashlib.sha256(stored_bytes(v)).hexdigest()}
    return {"locals": sorted(frame_locals), "globals": sorted(globals()), "modules": sorted(sys.modules),
            "tensors": tensors}


def state_now():
    """The snapshot of main's frame as JSON, for a test to evaluate at the breakpoint after reading."""
    f = sys._getframe()
    while f is not None and f.f_code is not main.__code__:
        f = f.f_back
    return json.dumps(snapshot(f.f_locals))


def main():
    with open(os.environ["CONV_LENS_LECTURE"]) as f:
        lecture = json.load(f)["cases"][0]["request"]
    torch.manual_seed(0)

    # a float32 leaf that requires grad and is not contiguous (a transposed view)
    weights_t = torch.randn(4, 6).t().detach().requires_grad_()
    # a float16 NumPy array with a subnormal, the largest float16 and a value that float16 rounds
    half_np = np.array([[1 / 3, -2.5, 6e-8], [65504.0, 0.1, -0.0]], dtype=np.float16)
    five_d = torch.arange(2 * 3 * 2 * 3 * 4, dtype=torch.float64).reshape(2, 3, 2, 3, 4) / 7
    lecture_input = torch.tensor(lecture["input"][0], dtype=torch.float32)
    lecture_kernel = torch.tensor(lecture["weight"][0][0], dtype=torch.float32)
    with_nan = torch.ones(2, 3, 4, 5)
    with_nan[1, 2, 3, 4] = float("nan")
    with_nan[0, 1, 2, 3] = float("inf")
    big = torch.randn(1000, 1000)
    activations = torch.randn(8, 64, 56, 56)  # 1,605,632 elements: over the default cap
    bf16 = torch.linspace(-3, 3, 9, dtype=torch.bfloat16)
    int64s = torch.tensor([[-3, 0, 2 ** 53 + 1], [7, -(2 ** 62), 1]], dtype=torch.int64)
    mask = torch.tensor([[True, False], [False, True]])
    uint8_np = np.array([0, 7, 255], dtype=np.uint8)
    big_endian = np.array([1.5, -2.0, 3.25], dtype=">f4")
    np_scalar = np.float32(0.1)
    zero_d = torch.tensor(2.5, dtype=torch.float64)
    nested = [[1, 2, 3], [4, 5, 6]]
    model = torch.nn.Conv2d(1, 2, 3, padding=1)
    out = model(lecture_input[None, None])
    out.sum().backward()
    label = "conv1"
    count = 3
    config = {"stride": 1, "padding": 1}
    words = ["a", "b"]

    values = {name: describe(v) for name, v in locals().items()
              if isinstance(v, (torch.Tensor, np.ndarray, np.generic)) and name != "lecture"}
    values["nested"] = {"type": "builtins.list", "dtype": "int64", "shape": [2, 3], "values": [1, 2, 3, 4, 5, 6]}
    with open(os.environ["CONV_LENS_EXPECTED"], "w") as f:
        json.dump({"values": values, "before": snapshot(locals())}, f, allow_nan=False)
    breakpoint()  # the tests read everything here
    print("conv-lens debuggee: done", float(out.sum()))


main()
