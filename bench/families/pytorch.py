"""PyTorch's side of the bench's PyTorch family (bench/families/pytorch.mjs starts one per family run).

Speaks JSON lines: one request per stdin line, one answer per stdout line.
  {"cmd": "hello"} -> torch's version, thread count, build (BLAS, oneDNN, CPU capability)
  {"cmd": "prepare", "id", "kind", "dtype", "params", "inputs": {name: {path, shape}}, "outputs": {name: path}}
      loads the inputs (raw little-endian float64, written by bench/reference.ts: the same numbers every family
      uses), builds the call, runs it once and writes its outputs (float64, NCHW/OIHW) for the Node side to check;
      also names the oneDNN primitives that call ran (none: an ATen kernel).
  {"cmd": "time", "id"} -> median ms per call (time.perf_counter), samples, minor page faults per call
  {"cmd": "drop", "id"}, {"cmd": "quit"}

The calls are what a PyTorch user writes: F.conv2d / F.max_pool2d under torch.no_grad(); for gradients
torch.autograd.grad on a recorded conv (the forward is recorded once, outside the timing, as in a training
step where backward() follows a forward; retain_graph keeps the graph for the next repetition).
torch.set_num_threads(1): every family runs on one thread.
"""

import ctypes
import json
import math
import os
import resource
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)

# Answers go to a private copy of stdout; fd 1 itself is pointed at stderr so that nothing printed from C
# (oneDNN's verbose lines, warnings) can corrupt the protocol.
answers = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
libc = ctypes.CDLL(None)

# No allocator tuning, as in every other family: each cell reports its minor page faults per call. (glibc gives
# freed memory at the top of the heap back to the OS once more than M_TRIM_THRESHOLD is free, a threshold that
# grows only when a large block is freed: a fresh script that never freed one gives S3's 2.4 MB float32 working
# set back after every call and faults it in again, 1.3 -> 5.7 ms a call on this VM. Here, as in real programs,
# reading and converting the inputs and writing the outputs free large blocks early on.)

SAMPLE_MS = 25  # as bench/harness.mjs
prepared = {}


def answer(obj):
    answers.write(json.dumps(obj) + "\n")
    answers.flush()


def load(entry, dtype):
    data = np.fromfile(entry["path"], dtype="<f8").reshape(entry["shape"])
    return torch.from_numpy(data).to(dtype).contiguous()


def build(req):
    dtype = torch.float64 if req["dtype"] == "float64" else torch.float32
    p = req["params"]
    kind = req["kind"]
    x = load(req["inputs"]["input"], dtype)
    if kind == "maxpool":

        def run():
            with torch.no_grad():
                return (F.max_pool2d(x, p["kernel"], p["stride"]),)

        return run, ["output"]
    w = load(req["inputs"]["weight"], dtype)
    conv = dict(stride=p["stride"], padding=p["padding"], groups=p["groups"])
    if kind == "conv":

        def run():
            with torch.no_grad():
                return (F.conv2d(x, w, None, **conv),)

        return run, ["output"]
    gy = load(req["inputs"]["grad_output"], dtype)
    both = "grad_input" in req["outputs"]
    x.requires_grad_(both)
    w.requires_grad_(True)
    y = F.conv2d(x, w, None, **conv)
    wrt = (x, w) if both else (w,)

    def run():
        return torch.autograd.grad(y, wrt, gy, retain_graph=True)

    return run, (["grad_input", "grad_weight"] if both else ["grad_weight"])


def onednn_primitives(run):
    """The oneDNN primitives (kind:implementation) one call runs, from oneDNN's verbose log."""
    with tempfile.TemporaryFile(mode="w+") as log:
        saved = os.dup(1)
        os.dup2(log.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                run()
            libc.fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        found = []
        for line in log:
            parts = line.split(",")
            if len(parts) > 4 and parts[0] == "onednn_verbose" and parts[1] == "exec":
                name = f"{parts[3]}:{parts[4]}"
                if name not in found:
                    found.append(name)
        return found


def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def warm_up(run, min_ms=200, max_ms=1500, window_ms=50, agree=0.15):
    """bench/harness.mjs warmUp: windows of >= 50 ms until two agree within 15% (after 200 ms) or 1.5 s."""
    now = time.perf_counter
    start = now()
    previous = math.inf
    while True:
        t = now()
        calls = 0
        while True:
            run()
            calls += 1
            if (now() - t) * 1e3 >= window_ms:
                break
        per_call = (now() - t) * 1e3 / calls
        elapsed = (now() - start) * 1e3
        if (elapsed >= min_ms and abs(per_call - previous) <= agree * per_call) or elapsed >= max_ms:
            return per_call
        previous = per_call


def measure(run, first_ms, samples=15, max_ms=4000):
    """The bench's timer (bench/harness.mjs measure) in Python: warm-up, batches of >= 25 ms, median."""
    now = time.perf_counter
    if first_ms > 1000:
        f0 = faults()
        t = now()
        run()
        return {"ms": (now() - t) * 1e3, "samples": 1, "faultsPerCall": faults() - f0}
    per_call = warm_up(run)
    batch = max(1, math.ceil(SAMPLE_MS / max(per_call, 1e-4)))
    times = []
    deadline = now() + max_ms / 1e3
    f0 = faults()
    for _ in range(samples):
        t = now()
        for _ in range(batch):
            run()
        times.append((now() - t) * 1e3 / batch)
        if now() > deadline and len(times) >= 3:
            break
    per = (faults() - f0) / (len(times) * batch)
    times.sort()
    return {"ms": times[len(times) // 2], "samples": len(times), "faultsPerCall": per}


def gemm_gflops(dtype, n=512, calls=3):
    """torch.mm's GFLOP/s on one thread: what the BLAS torch links delivers (ATen's conv fallback uses it)."""
    a = torch.randn(n, n, dtype=dtype)
    b = torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    best = math.inf
    for _ in range(calls):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def build_info():
    config = torch.__config__.show()
    blas = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split() if part.startswith("BLAS_INFO=")), None)
    capability = next((line.split(":", 1)[1].strip() for line in config.splitlines() if "CPU capability usage" in line), None)
    return {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "blas": blas,
        "cpuCapability": capability,
        "mmGflops": {"float64": gemm_gflops(torch.float64), "float32": gemm_gflops(torch.float32)},
    }


def handle(req):
    cmd = req.get("cmd")
    if cmd == "hello":
        return {"ok": True, **build_info()}
    if cmd == "prepare":
        run, names = build(req)
        t = time.perf_counter()
        outs = run()
        first_ms = (time.perf_counter() - t) * 1e3
        for name, value in zip(names, outs):
            value.detach().to(torch.float64).contiguous().numpy().astype("<f8").tofile(req["outputs"][name])
        primitives = onednn_primitives(run) if first_ms < 1000 else []
        prepared[req["id"]] = (run, first_ms)
        return {"ok": True, "firstMs": first_ms, "onednn": primitives}
    if cmd == "time":
        run, first_ms = prepared[req["id"]]
        return {"ok": True, **measure(run, first_ms)}
    if cmd == "drop":
        prepared.pop(req["id"], None)
        return {"ok": True}
    raise ValueError(f"unknown command {cmd!r}")


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("cmd") == "quit":
            answer({"ok": True})
            return
        try:
            answer(handle(req))
        except Exception as e:  # the Node side reports it in the row's cell
            answer({"ok": False, "error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
