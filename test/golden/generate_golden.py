#!/usr/bin/python3
"""Golden fixtures for Conv Lens, computed with PyTorch (float64, CPU).

Writes test/golden/golden.json:
  {"generator": ..., "torch_version": ..., "cases": [{"name", "request", "expect"}, ...]}
one case per line. Every expectation is computed by `evaluate()` from the request
*as stored in the JSON* (the request is encoded, decoded and only then run), so
the file is self-consistent. Error cases carry the rule id chosen by this
generator; a case whose error did not happen in torch is not written (a warning
is printed instead).

Run: /usr/bin/python3 test/golden/generate_golden.py   (Debian python3-torch 1.13)
Deterministic: fixed seeds, a local random.Random, one torch thread.
"""
import json
import math
import os
import random
import re
import sys
import warnings
from collections import Counter, OrderedDict

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # e.g. `python3` is a pyenv interpreter without torch
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "golden.json")
GENERATOR = "test/golden/generate_golden.py"
SEED = 20240611
MAX_TENSOR = 300          # max elements of any tensor stored in a case
MAX_BYTES = 3_000_000

torch.manual_seed(SEED)
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
R = random.Random(SEED)
DT = torch.float64

CONV = ["conv1d", "conv2d", "conv3d"]
CONVT = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
MAXP = ["max_pool1d", "max_pool2d", "max_pool3d"]
AVGP = ["avg_pool1d", "avg_pool2d", "avg_pool3d"]
RULES = ["groups_divisible", "channels_mismatch", "kernel_too_large", "same_strided", "bad_padding_string",
         "output_padding", "pool_pad_too_large", "reflect_pad_too_large", "circular_pad_too_large",
         "nonpositive", "rank_mismatch", "output_too_small", "bias_shape", "int_range"]
# sanity check: the torch message must look like the rule we claim (catches mislabelled cases)
RULE_PATTERNS = {
    "groups_divisible": r"divisible by|to have \d+ channels",
    "channels_mismatch": r"to have \d+ channels",
    "kernel_too_large": r"Kernel size can't be greater",
    "same_strided": r"not supported for strided",
    "bad_padding_string": r"Invalid padding string",
    "output_padding": r"output padding must be smaller",
    "pool_pad_too_large": r"at most half",
    "reflect_pad_too_large": r"Padding size should be less than",
    "circular_pad_too_large": r"wrapping around more than once",
    "nonpositive": r"zero|non-positive|negative|non-negative",
    "rank_mismatch": r"[Ee]xpected|dimension|tensor expected",
    "output_too_small": r"too small|smaller than kernel size|at least one",
    "bias_shape": r"bias",
    # beyond int64, past an int32 kernel parameter, or a size whose arithmetic overflows (the message then shows
    # a wrapped-around int64, or a storage overflow); a JSON 1e300 reads as a float in Python, an int in JS
    "int_range": r"Overflow when unpacking long|integer out of range|overflowed|=float\b|not float|"
                 r"invalid combination of arguments - got \([^)]*\bfloat\b|"
                 r"but found element of type int|-92233720368547758\d\d",
}


def nd_of(op):
    return int(re.search(r"(\d)d", op).group(1))


# ----------------------------------------------------------------------------- JSON encoding
def enc(v):
    """Recursive encoder: NaN/inf floats become the strings "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return OrderedDict((k, enc(x)) for k, x in v.items())
    return v


SPECIAL = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def dec(v):
    """Inverse of enc() for tensor payloads."""
    if isinstance(v, str):
        return SPECIAL[v]
    if isinstance(v, list):
        return [dec(x) for x in v]
    return v


def T(nested):
    return torch.tensor(dec(nested), dtype=DT)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def nested_shape(v):
    s = []
    while isinstance(v, list):
        s.append(len(v))
        v = v[0] if v else None
    return s


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# ----------------------------------------------------------------------------- values
def values(shape, kind=None):
    """Random tensor: 'f' floats rounded to 3 decimals, 'i' small ints, 't' ints 0..2 (ties)."""
    kind = kind or R.choice(["f", "f", "i"])
    n = numel(shape)
    if kind == "f":
        flat = [round(R.uniform(-2.0, 2.0), 3) for _ in range(n)]
    elif kind == "i":
        flat = [float(R.randint(-3, 3)) for _ in range(n)]
    elif kind == "t":
        flat = [float(R.randint(0, 2)) for _ in range(n)]
    else:
        raise ValueError(kind)
    return torch.tensor(flat, dtype=DT).reshape(shape)


def inject(t, value, count):
    """Set `count` random elements of t to value (NaN, -inf...)."""
    flat = t.reshape(-1).clone()
    for i in R.sample(range(flat.numel()), min(count, flat.numel())):
        flat[i] = value
    return flat.reshape(t.shape)


def tl(t):
    return None if t is None else t.tolist()


def ntuple(v, n):
    return [v] * n if isinstance(v, int) else list(v)


def pp(vals, p_scalar=0.6):
    """Parameter as one int when all equal (usually), else a per-dim list."""
    if all(v == vals[0] for v in vals) and R.random() < p_scalar:
        return vals[0]
    return list(vals)


# ----------------------------------------------------------------------------- evaluation (torch)
def conv_forward(op, p, x, w, b):
    """F.convNd, plus padding_mode (as nn.ConvNd does) and flip (true convolution)."""
    nd = nd_of(op)
    fn = getattr(F, op)
    if p["flip"]:
        w = torch.flip(w, dims=list(range(2, w.dim())))
    mode = p["padding_mode"]
    padding = p["padding"]
    if mode == "zeros":
        return fn(x, w, b, p["stride"], padding, p["dilation"], p["groups"])
    # nn.ConvNd path: validate like nn.ConvNd.__init__, F.pad with the reversed per-dim pads, conv with padding 0
    stride = ntuple(p["stride"], nd)
    dilation = ntuple(p["dilation"], nd)
    if isinstance(padding, str):
        if padding not in {"same", "valid"}:
            # nn.ConvNd formats a Python set here, whose order is hash-randomised per process; fix it
            raise ValueError("Invalid padding string {!r}, should be one of {}".format(padding, "{'same', 'valid'}"))
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        ks = list(w.shape[2:])
        rev = [0, 0] * len(ks)
        if padding == "same":
            for d, k, i in zip(dilation, ks, range(len(ks) - 1, -1, -1)):
                total = d * (k - 1)
                rev[2 * i] = total // 2
                rev[2 * i + 1] = total - total // 2
    else:
        rev = []
        for q in reversed(ntuple(padding, nd)):
            rev += [q, q]
    unbatched = x.dim() == nd + 1
    xx = x.unsqueeze(0) if unbatched else x  # 1.13's F.pad refuses some unbatched inputs (circular)
    xx = F.pad(xx, rev, mode=mode)
    if unbatched:
        xx = xx.squeeze(0)
    return fn(xx, w, b, p["stride"], 0, p["dilation"], p["groups"])


def forward(op, p, x, w=None, b=None):
    if op in CONV:
        return conv_forward(op, p, x, w, b)
    if op in CONVT:
        return getattr(F, op)(x, w, b, stride=p["stride"], padding=p["padding"], output_padding=p["output_padding"],
                              groups=p["groups"], dilation=p["dilation"])
    if op in MAXP:
        return getattr(F, op)(x, kernel_size=p["kernel_size"], stride=p["stride"], padding=p["padding"],
                              dilation=p["dilation"], ceil_mode=p["ceil_mode"], return_indices=p["return_indices"])
    if op in AVGP:
        kw = dict(kernel_size=p["kernel_size"], stride=p["stride"], padding=p["padding"], ceil_mode=p["ceil_mode"],
                  count_include_pad=p["count_include_pad"])
        if op != "avg_pool1d":
            kw["divisor_override"] = p["divisor_override"]
        elif p.get("divisor_override") is not None:
            raise ValueError("avg_pool1d has no divisor_override")
        return getattr(F, op)(x, **kw)
    if op == "unfold":
        return F.unfold(x, kernel_size=p["kernel_size"], dilation=p["dilation"], padding=p["padding"],
                        stride=p["stride"])
    if op == "fold":
        return F.fold(x, output_size=p["output_size"], kernel_size=p["kernel_size"], dilation=p["dilation"],
                      padding=p["padding"], stride=p["stride"])
    raise ValueError("unknown op " + op)


def evaluate(req):
    """Expectation for a (decoded) request. Raises whatever torch raises."""
    op = req["op"]
    if op == "shape":
        of = req["of"]
        # shapes too big to allocate are checked on the meta device (sizes only, PyTorch's own shape rules)
        params = [v for k, v in req.items() if k not in ("op", "of") and isinstance(v, (int, list))]
        flat = [v for p in params for v in (p if isinstance(p, list) else [p]) if isinstance(v, int)]
        big = (numel(req["input_shape"]) > 2 ** 26 or numel(req.get("weight_shape") or [1]) > 2 ** 26
               or any(abs(v) >= 2 ** 31 for v in flat))
        dev = "meta" if big else "cpu"
        x = torch.zeros(req["input_shape"], dtype=DT, device=dev)
        w = torch.zeros(req["weight_shape"], dtype=DT, device=dev) if of in CONV + CONVT else None
        p = dict(req)
        if of in CONV:
            p.setdefault("flip", False)
        out = forward(of, p, x, w, None)
        if isinstance(out, tuple):
            out = out[0]
        return {"ok": True, "shape": list(out.shape)}
    if op.endswith("_backward"):
        base = op[: -len("_backward")]
        x = T(req["input"]).requires_grad_(True)
        go = T(req["grad_output"])
        if base in CONV:
            w = T(req["weight"]).requires_grad_(True)
            b = None if req["bias"] is None else T(req["bias"]).requires_grad_(True)
            out = conv_forward(base, req, x, w, b)
            out.backward(go)
            return {"ok": True, "grad_input": x.grad.tolist(), "grad_weight": w.grad.tolist(),
                    "grad_bias": None if b is None else b.grad.tolist()}
        out = forward(base, req, x)
        if isinstance(out, tuple):
            out = out[0]
        out.backward(go)
        return {"ok": True, "grad_input": x.grad.tolist()}
    x = T(req["input"])
    w = T(req["weight"]) if req.get("weight") is not None else None
    b = T(req["bias"]) if req.get("bias") is not None else None
    with torch.no_grad():
        out = forward(op, req, x, w, b)
    if isinstance(out, tuple):
        out, idx = out
        return {"ok": True, "output": out.tolist(), "shape": list(out.shape), "indices": idx.tolist()}
    return {"ok": True, "output": out.tolist(), "shape": list(out.shape)}


# ----------------------------------------------------------------------------- case registry
CASES = []
NAMES = Counter()
WARNINGS = []
PROBLEMS = []  # generator bugs (hand-written case that does not do what it claims)
FEATURES = Counter()
ABBR = [("kernel_size", "k"), ("output_size", "out"), ("stride", "s"), ("padding", "p"), ("output_padding", "op"),
        ("dilation", "d"), ("groups", "g"), ("padding_mode", "mode"), ("ceil_mode", "ceil"),
        ("count_include_pad", "cip"), ("divisor_override", "div"), ("return_indices", "idx")]


def fmt(v):
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(fmt(x) for x in v) + "]"
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def make_name(req, tag=None):
    op = req["op"]
    parts = [op]
    if op == "shape":
        parts += ["of=" + req["of"], "x=" + fmt(req["input_shape"])]
        if "weight_shape" in req:
            parts.append("w=" + fmt(req["weight_shape"]))
    else:
        parts.append("x=" + fmt(nested_shape(req["input"])))
        if "weight" in req:
            parts.append("w=" + fmt(nested_shape(req["weight"])))
    for key, ab in ABBR:
        if key in req:
            if key == "padding_mode" and req[key] == "zeros" and op != "shape" and not op.startswith("conv"):
                continue
            parts.append("%s=%s" % (ab, fmt(req[key])))
    if req.get("bias") is not None:
        parts.append("bias")
    if req.get("flip"):
        parts.append("flip")
    if tag:
        parts.append(tag)
    return " ".join(parts)


TENSOR_KEYS = ("input", "weight", "bias", "grad_output", "output", "indices", "grad_input", "grad_weight",
               "grad_bias")


def check_sizes(obj, where):
    """Every tensor (nested list) in obj must have at most MAX_TENSOR elements."""
    for k, v in obj.items():
        if isinstance(v, list) and k in TENSOR_KEYS:
            n = numel(nested_shape(v))
            if n > MAX_TENSOR:
                return "%s.%s has %d elements" % (where, k, n)
    return None


def roundtrip(req):
    return json.loads(dumps(enc(req)), object_pairs_hook=OrderedDict)


def try_case(req):
    """Evaluate the stored form of req. Returns (expect, None) or (None, exception)."""
    stored = roundtrip(req)
    try:
        return evaluate(stored), None
    except Exception as e:  # noqa: BLE001 - torch raises RuntimeError/ValueError/TypeError/IndexError
        return None, e


def output_empty(expect):
    for key in ("output", "grad_input"):
        if key in expect and 0 in nested_shape(expect[key]):
            return True
    return "shape" in expect and 0 in expect["shape"]


def maxpool_all_padding_window(req):
    """True if some max-pool window (dilation > 1) holds no input cell at all. Torch then returns -inf with an
    index outside the input plane (an implementation artefact), so such cases are kept out of the fixtures."""
    op = req["op"].replace("_backward", "")
    nd = nd_of(op)
    ins = nested_shape(req["input"])[-nd:]
    k = ntuple(req["kernel_size"], nd)
    s = k if req["stride"] is None else ntuple(req["stride"], nd)
    p, d = ntuple(req["padding"], nd), ntuple(req["dilation"], nd)
    for i in range(nd):
        num = ins[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1
        if num < 0 or s[i] <= 0:
            return False  # an error case or an empty output; handled elsewhere
        out = (-(-num // s[i]) if req["ceil_mode"] else num // s[i]) + 1
        if req["ceil_mode"] and (out - 1) * s[i] >= ins[i] + p[i]:
            out -= 1
        for o in range(out):
            if not any(0 <= o * s[i] - p[i] + j * d[i] < ins[i] for j in range(k[i])):
                return True
    return False


def add(req, tag=None, strict=True):
    """Add a success case. strict: raise if torch fails; else return False (used by random sampling)."""
    req = OrderedDict(req)
    expect, err = try_case(req)
    problem = None
    if err is not None:
        problem = "torch raised %s: %s" % (type(err).__name__, str(err).split("\n")[0])
    elif output_empty(expect):
        problem = "empty output %s" % expect.get("shape")
    else:
        problem = check_sizes(req, "request") or check_sizes(expect, "expect")
    if not problem and req["op"].replace("_backward", "") in MAXP and maxpool_all_padding_window(req):
        problem = "a max-pool window lies entirely in the padding"
    if problem:
        if strict:  # a hand-written case is wrong: collect, report all at the end
            PROBLEMS.append("%s: %s" % (make_name(req, tag), problem))
        return False
    name = make_name(req, tag)
    NAMES[name] += 1
    if NAMES[name] > 1:
        name += " #%d" % NAMES[name]
    CASES.append(OrderedDict([("name", name), ("request", req), ("expect", expect)]))
    note_features(req)
    return True


def add_error(req, rule, tag=None):
    assert rule in RULES, rule
    req = OrderedDict(req)
    name = make_name(req, tag) + " [error " + rule + "]"
    expect, err = try_case(req)
    if err is None:
        WARNINGS.append("torch did NOT raise for %r (rule %s): got shape %s; case not written"
                        % (name, rule, expect.get("shape")))
        print("WARNING: " + WARNINGS[-1], file=sys.stderr)
        return False
    msg = str(err).split("\n")[0]
    if not re.search(RULE_PATTERNS[rule], msg):
        PROBLEMS.append("%s: torch message does not look like rule %s: %s" % (name, rule, msg))
        return False
    NAMES[name] += 1
    if NAMES[name] > 1:
        name += " #%d" % NAMES[name]
    CASES.append(OrderedDict([("name", name), ("request", req),
                              ("expect", OrderedDict([("ok", False), ("error", msg), ("rule", rule)]))]))
    return True


def note_features(req):
    op = req["op"]
    if op == "shape":
        return
    base = op.replace("_backward", "")
    nd = nd_of(base) if base not in ("unfold", "fold") else 2
    inp_rank = len(nested_shape(req["input"]))
    if base in CONV + CONVT + MAXP + AVGP:
        FEATURES["%s %s" % (base, "unbatched" if inp_rank == nd + 1 else "batched")] += 1
    if base in CONV:
        FEATURES["conv%dd mode=%s" % (nd, req["padding_mode"])] += 1
        if req["flip"]:
            FEATURES["conv flip"] += 1
        if req["padding"] == "same":
            FEATURES["conv same"] += 1
            if any(k % 2 == 0 for k in nested_shape(req["weight"])[2:]):
                FEATURES["conv same even-kernel"] += 1
        g = req["groups"]
        if g > 1:
            FEATURES["conv groups>1"] += 1
            if nested_shape(req["input"])[-nd - 1] == g:
                FEATURES["conv depthwise"] += 1
    if "dilation" in req and any(v > 1 for v in ntuple(req["dilation"], nd)):
        FEATURES[base + " dilation>1"] += 1
    if "stride" in req and req["stride"] is not None and any(v > 1 for v in ntuple(req["stride"], nd)):
        FEATURES[base + " stride>1"] += 1
    if req.get("ceil_mode"):
        FEATURES[base + " ceil_mode"] += 1
    if req.get("count_include_pad") is False:
        FEATURES[base + " count_include_pad=false"] += 1
    if req.get("divisor_override") is not None:
        FEATURES[base + " divisor_override"] += 1
    if "output_padding" in req and any(v > 0 for v in ntuple(req["output_padding"], nd)):
        FEATURES[base + " output_padding>0"] += 1


# ----------------------------------------------------------------------------- request builders
def conv_req(op, x_shape, w_shape, bias=False, stride=1, padding=0, dilation=1, groups=1, mode="zeros",
             flip=False, kind=None, x=None, w=None):
    kind = kind or R.choice(["f", "f", "i"])
    x = values(x_shape, kind) if x is None else x
    w = values(w_shape, kind) if w is None else w
    b = values([w_shape[0]] if bias is True else [bias], kind) if bias else None
    return OrderedDict([("op", op), ("input", tl(x)), ("weight", tl(w)), ("bias", tl(b)), ("stride", stride),
                        ("padding", padding), ("dilation", dilation), ("groups", groups), ("padding_mode", mode),
                        ("flip", flip)])


def convt_req(op, x_shape, w_shape, bias=False, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
              kind=None):
    kind = kind or R.choice(["f", "f", "i"])
    b = None
    if bias:
        b = values([w_shape[1] * groups] if bias is True else [bias], kind)
    return OrderedDict([("op", op), ("input", tl(values(x_shape, kind))), ("weight", tl(values(w_shape, kind))),
                        ("bias", tl(b)), ("stride", stride), ("padding", padding),
                        ("output_padding", output_padding), ("dilation", dilation), ("groups", groups)])


def maxp_req(op, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if isinstance(x, (list, tuple)):
        x = values(list(x))
    return OrderedDict([("op", op), ("input", tl(x)), ("kernel_size", kernel_size), ("stride", stride),
                        ("padding", padding), ("dilation", dilation), ("ceil_mode", ceil_mode),
                        ("return_indices", return_indices)])


def avgp_req(op, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None):
    if isinstance(x, (list, tuple)):
        x = values(list(x))
    return OrderedDict([("op", op), ("input", tl(x)), ("kernel_size", kernel_size), ("stride", stride),
                        ("padding", padding), ("ceil_mode", ceil_mode), ("count_include_pad", count_include_pad),
                        ("divisor_override", divisor_override)])


def unfold_req(x, kernel_size, dilation=1, padding=0, stride=1):
    if isinstance(x, (list, tuple)):
        x = values(list(x))
    return OrderedDict([("op", "unfold"), ("input", tl(x)), ("kernel_size", kernel_size), ("dilation", dilation),
                        ("padding", padding), ("stride", stride)])


def fold_blocks(output_size, kernel_size, dilation, padding, stride):
    L = 1
    for o, k, d, p, s in zip(ntuple(output_size, 2), ntuple(kernel_size, 2), ntuple(dilation, 2),
                             ntuple(padding, 2), ntuple(stride, 2)):
        L *= (o + 2 * p - d * (k - 1) - 1) // s + 1
    return L


def fold_req(batch, C, output_size, kernel_size, dilation=1, padding=0, stride=1, L=None, rows=None):
    k = ntuple(kernel_size, 2)
    rows = C * k[0] * k[1] if rows is None else rows
    L = fold_blocks(output_size, kernel_size, dilation, padding, stride) if L is None else L
    shape = [rows, L] if batch is None else [batch, rows, L]
    return OrderedDict([("op", "fold"), ("input", tl(values(shape))), ("output_size", output_size),
                        ("kernel_size", kernel_size), ("dilation", dilation), ("padding", padding),
                        ("stride", stride)])


def with_grad(req, kind=None):
    """Turn a forward request into a *_backward request with a random grad_output of the output's shape."""
    req = OrderedDict(req)
    if "return_indices" in req:
        req["return_indices"] = False
    expect, err = try_case(req)
    if err is not None:
        return None
    breq = OrderedDict([("op", req["op"] + "_backward")] + [(k, v) for k, v in req.items() if k != "op"])
    go = values(expect["shape"], kind)
    breq["grad_output"] = tl(go)
    return breq


def add_backward(req, tag=None, kind=None, strict=True):
    breq = with_grad(req, kind)
    if breq is None:
        if strict:
            PROBLEMS.append("forward failed for backward case " + make_name(req, tag))
        return False
    return add(breq, tag, strict=strict)


def shape_req(of, input_shape, weight_shape=None, **params):
    req = OrderedDict([("op", "shape"), ("of", of), ("input_shape", list(input_shape))])
    if of in CONV + CONVT:
        req["weight_shape"] = list(weight_shape)
    if of in CONV:
        defaults = [("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("padding_mode", "zeros"),
                    ("flip", False)]
    elif of in CONVT:
        defaults = [("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1), ("groups", 1)]
    elif of in MAXP:
        defaults = [("kernel_size", None), ("stride", None), ("padding", 0), ("dilation", 1), ("ceil_mode", False),
                    ("return_indices", False)]
    elif of in AVGP:
        defaults = [("kernel_size", None), ("stride", None), ("padding", 0), ("ceil_mode", False),
                    ("count_include_pad", True), ("divisor_override", None)]
    elif of == "unfold":
        defaults = [("kernel_size", None), ("dilation", 1), ("padding", 0), ("stride", 1)]
    else:
        raise ValueError(of)
    for k, v in defaults:
        req[k] = params.pop(k, v)
    assert not params, params
    return req


# ----------------------------------------------------------------------------- random samplers
SP_RANGE = {1: (3, 12), 2: (3, 7), 3: (2, 5)}


def rand_batch():
    return R.choice([None, None, 1, 1, 2, 3])


def rand_conv(op, mode=None, force=None):
    """Random valid conv request (rejection-sampled against torch by the caller)."""
    nd = nd_of(op)
    force = force or {}
    g = force.get("groups", R.choice([1, 1, 1, 2, 3]))
    if force.get("depthwise") or (g > 1 and R.random() < 0.25):
        cin = g
    else:
        cin = g * R.randint(1, 2)
    cout = g * R.randint(1, 2)
    kmax = 3 if nd == 3 else 4
    k = [R.choice([1, 2, 3, 3, kmax]) for _ in range(nd)]
    dil = pp([R.choice([1, 1, 2, 3]) for _ in range(nd)])
    stride = force.get("stride", pp([R.choice([1, 1, 2, 3]) for _ in range(nd)]))
    choice = R.random()
    if force.get("padding") is not None:
        padding = force["padding"]
    elif choice < 0.2 and all(s == 1 for s in ntuple(stride, nd)):
        padding = "same"
    elif choice < 0.28:
        padding = "valid"
    else:
        padding = pp([R.randint(0, 2) for _ in range(nd)])
    mode = mode or R.choice(["zeros", "zeros", "zeros", "reflect", "replicate", "circular"])
    lo, hi = SP_RANGE[nd]
    spatial = [R.randint(lo, hi) for _ in range(nd)]
    batch = force.get("batch", rand_batch())
    x_shape = ([] if batch is None else [batch]) + [cin] + spatial
    w_shape = [cout, cin // g] + k
    return conv_req(op, x_shape, w_shape, bias=force.get("bias", R.random() < 0.5), stride=stride,
                    padding=padding, dilation=dil, groups=g, mode=mode, flip=force.get("flip", R.random() < 0.2))


def rand_convt(op):
    nd = nd_of(op)
    g = R.choice([1, 1, 2, 3])
    cin = g * R.randint(1, 2)
    coutg = R.randint(1, 2)
    k = [R.choice([1, 2, 3, 3, 4 if nd < 3 else 2]) for _ in range(nd)]
    stride = [R.choice([1, 2, 2, 3]) for _ in range(nd)]
    dil = [R.choice([1, 1, 2, 3]) for _ in range(nd)]
    padding = [R.randint(0, 2) for _ in range(nd)]
    opad = [R.randint(0, max(s, d) - 1) if R.random() < 0.6 else 0 for s, d in zip(stride, dil)]
    lo, hi = {1: (2, 8), 2: (2, 5), 3: (1, 3)}[nd]
    spatial = [R.randint(lo, hi) for _ in range(nd)]
    batch = rand_batch()
    x_shape = ([] if batch is None else [batch]) + [cin] + spatial
    return convt_req(op, x_shape, [cin, coutg] + k, bias=R.random() < 0.5, stride=pp(stride), padding=pp(padding),
                     output_padding=pp(opad), dilation=pp(dil), groups=g)


def rand_pool_common(nd):
    k = [R.choice([1, 2, 2, 3, 3, 4]) for _ in range(nd)]
    stride = None if R.random() < 0.25 else pp([R.choice([1, 2, 2, 3]) for _ in range(nd)])
    pad = [R.randint(0, kk // 2) for kk in k]  # always within 1.13's (and 2.x's) limit
    lo, hi = {1: (3, 12), 2: (3, 8), 3: (2, 5)}[nd]
    spatial = [R.randint(lo, hi) for _ in range(nd)]
    batch = rand_batch()
    c = R.randint(1, 3)
    x_shape = ([] if batch is None else [batch]) + [c] + spatial
    return x_shape, pp(k), stride, pp(pad)


def rand_maxpool(op, special=None):
    nd = nd_of(op)
    x_shape, k, stride, pad = rand_pool_common(nd)
    kind = "t" if special == "ties" else None
    x = values(x_shape, kind or R.choice(["f", "t", "i"]))
    if special == "nan":
        x = inject(x, float("nan"), max(1, x.numel() // 12))
    elif special == "-inf":
        x = inject(x, float("-inf"), max(1, x.numel() // 4))
    dil = pp([R.choice([1, 1, 2, 3]) for _ in range(nd)])
    return maxp_req(op, x, k, stride, pad, dil, R.random() < 0.35, R.random() < 0.6)


def rand_avgpool(op):
    nd = nd_of(op)
    x_shape, k, stride, pad = rand_pool_common(nd)
    div = None
    if nd > 1 and R.random() < 0.25:
        div = R.choice([1, 2, 3, 5, 7])
    return avgp_req(op, x_shape, k, stride, pad, R.random() < 0.35, R.random() < 0.6, div)


def fill(count, maker, backward=False, tag=None, max_tries=4000):
    """Add `count` random valid cases from maker() (rejection sampling against torch)."""
    added = tries = 0
    while added < count:
        tries += 1
        if tries > max_tries:
            raise AssertionError("could not sample enough cases for %s" % tag)
        req = maker()
        ok = add_backward(req, tag, strict=False) if backward else add(req, tag, strict=False)
        added += ok


# ============================================================================= the cases
def gen_conv():
    # --- hand-picked coverage -------------------------------------------------------------
    # 1-D
    add(conv_req("conv1d", [1, 1, 7], [1, 1, 3], kind="i"), "basic")
    add(conv_req("conv1d", [2, 2, 9], [3, 2, 3], bias=True, stride=3, padding=1))           # 9+2-3=8, 8%3 rem
    add(conv_req("conv1d", [1, 2, 10], [2, 2, 3], stride=2, dilation=3))                      # rem, dilation 3
    add(conv_req("conv1d", [2, 4, 8], [4, 1, 3], groups=4, padding="same", bias=True))         # depthwise
    add(conv_req("conv1d", [1, 3, 8], [6, 1, 2], groups=3, padding="same"))                   # even k, same
    add(conv_req("conv1d", [1, 2, 8], [2, 2, 4], padding="same", dilation=1))                 # even k=4 same
    add(conv_req("conv1d", [1, 2, 9], [2, 2, 2], padding="same", dilation=3))                 # total 3: 1 left, 2 right
    add(conv_req("conv1d", [3, 4, 6], [2, 4, 1], bias=True))                                   # 1x1, batch 3
    add(conv_req("conv1d", [1, 2, 5], [3, 2, 5]))                                              # kernel == input
    add(conv_req("conv1d", [2, 7], [3, 2, 3], padding=2, stride=2, kind="i"))                  # unbatched
    add(conv_req("conv1d", [2, 7], [4, 1, 3], padding="same", groups=2, bias=True, mode="reflect"))
    add(conv_req("conv1d", [1, 6], [1, 1, 3], flip=True, kind="i"), "unbatched")
    add(conv_req("conv1d", [1, 1, 6], [1, 1, 3], padding=1, flip=True, kind="i"))
    add(conv_req("conv1d", [2, 2, 8], [2, 1, 4], padding="same", groups=2, flip=True))
    for mode in ["reflect", "replicate", "circular"]:
        add(conv_req("conv1d", [2, 2, 6], [3, 2, 3], bias=True, padding=2, mode=mode))
        add(conv_req("conv1d", [1, 2, 7], [2, 2, 4], padding="same", mode=mode))           # even k, same
        add(conv_req("conv1d", [3, 8], [3, 3, 3], padding="same", dilation=2, mode=mode))   # unbatched
        add(conv_req("conv1d", [1, 2, 9], [2, 1, 3], padding=1, stride=3, groups=2, mode=mode, flip=True))
    add(conv_req("conv1d", [1, 1, 4], [1, 1, 3], padding=3, mode="reflect", kind="i"), "pad=dim-1")
    add(conv_req("conv1d", [1, 1, 4], [1, 1, 3], padding=4, mode="circular", kind="i"), "pad=dim")
    add(conv_req("conv1d", [1, 1, 3], [1, 1, 3], padding=5, mode="replicate", kind="i"), "pad>dim")
    add(conv_req("conv1d", [1, 2, 6], [2, 2, 3], padding="valid"))
    # 2-D
    add(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], padding=1, kind="i"), "lecture-like")
    add(conv_req("conv2d", [1, 4, 6, 5], [6, 2, 3, 3], padding="same", groups=2, mode="reflect", bias=True))
    add(conv_req("conv2d", [1, 4, 7, 6], [6, 2, 3, 3], stride=2, padding=1, groups=2, mode="reflect"))
    add(conv_req("conv2d", [1, 2, 7, 8], [2, 2, 3, 2], stride=[2, 3], padding=[1, 0], dilation=[1, 2]))
    add(conv_req("conv2d", [1, 3, 8, 7], [3, 1, 3, 3], groups=3, stride=3, padding=1, bias=True))   # depthwise s3
    add(conv_req("conv2d", [1, 2, 9, 9], [2, 2, 3, 3], dilation=3, padding=2))
    add(conv_req("conv2d", [1, 2, 9, 8], [4, 2, 3, 3], dilation=[2, 3], stride=[3, 2]))
    add(conv_req("conv2d", [1, 2, 6, 6], [2, 2, 2, 2], padding="same"))                  # even: extra right/bottom
    add(conv_req("conv2d", [1, 1, 6, 7], [1, 1, 4, 2], padding="same", kind="i"))
    add(conv_req("conv2d", [1, 2, 7, 7], [2, 2, 2, 4], padding="same", dilation=[3, 1]))
    add(conv_req("conv2d", [2, 3, 4, 5], [4, 3, 1, 1], bias=True))                       # 1x1
    add(conv_req("conv2d", [1, 2, 4, 5], [3, 2, 4, 5], bias=True))                       # kernel == input
    add(conv_req("conv2d", [3, 1, 6, 5], [2, 1, 3, 3], padding=[0, 1], stride=[1, 2]))
    add(conv_req("conv2d", [2, 6, 5], [3, 2, 3, 3], padding=1, kind="i"))                # unbatched
    add(conv_req("conv2d", [4, 6, 5], [4, 1, 3, 3], groups=4, padding="same", mode="circular"))  # unbatched circular
    add(conv_req("conv2d", [1, 5, 5], [1, 1, 3, 3], padding=1, flip=True, kind="i"), "unbatched")
    add(conv_req("conv2d", [1, 2, 5, 6], [2, 2, 3, 2], flip=True, bias=True))
    add(conv_req("conv2d", [1, 2, 6, 6], [2, 1, 2, 3], padding="same", groups=2, flip=True, mode="replicate"))
    add(conv_req("conv2d", [1, 2, 6, 6], [2, 2, 3, 3], padding="valid", stride=2))
    for mode in ["reflect", "replicate", "circular"]:
        add(conv_req("conv2d", [2, 2, 5, 6], [3, 2, 3, 3], bias=True, padding=[1, 2], mode=mode))
        add(conv_req("conv2d", [1, 2, 6, 5], [2, 2, 2, 3], padding="same", dilation=[2, 1], mode=mode))
        add(conv_req("conv2d", [2, 5, 6], [2, 2, 3, 3], padding=2, stride=[2, 3], mode=mode))       # unbatched
        add(conv_req("conv2d", [1, 3, 7, 6], [3, 1, 3, 3], padding=1, stride=2, groups=3, mode=mode, flip=True))
    add(conv_req("conv2d", [1, 1, 3, 4], [1, 1, 2, 2], padding=[2, 3], mode="reflect", kind="i"), "pad=dim-1")
    add(conv_req("conv2d", [1, 1, 3, 4], [1, 1, 2, 2], padding=[3, 4], mode="circular", kind="i"), "pad=dim")
    # 3-D
    add(conv_req("conv3d", [1, 1, 4, 4, 4], [1, 1, 3, 3, 3], padding=1, kind="i"))
    add(conv_req("conv3d", [2, 2, 3, 4, 5], [2, 2, 2, 2, 2], bias=True, stride=[1, 2, 2]))
    add(conv_req("conv3d", [1, 2, 5, 5, 5], [2, 1, 3, 3, 3], groups=2, dilation=2, padding=1))
    add(conv_req("conv3d", [1, 3, 4, 4, 4], [3, 1, 2, 2, 2], groups=3, padding="same", bias=True))  # depthwise, even
    add(conv_req("conv3d", [1, 2, 5, 4, 6], [2, 2, 1, 3, 3], stride=[3, 1, 2], padding=[0, 1, 1]))
    add(conv_req("conv3d", [2, 3, 3, 3], [2, 2, 2, 2, 2], padding=1, kind="i"))         # unbatched
    add(conv_req("conv3d", [1, 2, 3, 3, 3], [2, 2, 3, 3, 3], bias=True))                # kernel == input
    add(conv_req("conv3d", [1, 2, 3, 3, 3], [3, 2, 1, 1, 1]))                           # 1x1x1
    add(conv_req("conv3d", [1, 1, 4, 4, 4], [1, 1, 2, 2, 2], flip=True, kind="i"))
    for mode in ["reflect", "replicate", "circular"]:
        add(conv_req("conv3d", [1, 2, 3, 4, 4], [2, 2, 2, 3, 3], bias=True, padding=1, mode=mode))
        add(conv_req("conv3d", [1, 3, 4, 4], [2, 1, 2, 2, 3], padding="same", mode=mode))            # unbatched
        add(conv_req("conv3d", [1, 2, 4, 5, 4], [2, 1, 3, 3, 2], padding=[1, 2, 1], stride=2, groups=2, mode=mode,
                     flip=True))
    # --- random fill ----------------------------------------------------------------------------
    for op, n in (("conv1d", 24), ("conv2d", 30), ("conv3d", 14)):
        fill(n, lambda op=op: rand_conv(op), tag=None)


def gen_convt():
    add(convt_req("conv_transpose1d", [1, 1, 4], [1, 1, 3], kind="i"))
    add(convt_req("conv_transpose1d", [2, 2, 5], [2, 3, 3], stride=2, bias=True))
    add(convt_req("conv_transpose1d", [1, 2, 4], [2, 2, 3], stride=3, output_padding=2, padding=1))
    add(convt_req("conv_transpose1d", [1, 2, 5], [2, 1, 3], stride=1, dilation=3, output_padding=2))  # op < dilation
    add(convt_req("conv_transpose1d", [1, 4, 5], [4, 1, 3], groups=2, stride=2, output_padding=1, bias=True))
    add(convt_req("conv_transpose1d", [3, 6], [3, 2, 2], stride=2, kind="i"))                        # unbatched
    add(convt_req("conv_transpose1d", [1, 3, 5], [3, 1, 4], groups=3, stride=2, padding=1))          # depthwise
    add(convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 1, 3, 3], stride=2, padding=1, kind="i"))
    add(convt_req("conv_transpose2d", [2, 2, 3, 4], [2, 3, 3, 3], stride=2, padding=1, output_padding=1, bias=True))
    add(convt_req("conv_transpose2d", [1, 2, 3, 3], [2, 2, 2, 3], stride=[3, 2], output_padding=[2, 1]))
    add(convt_req("conv_transpose2d", [1, 2, 3, 4], [2, 1, 3, 3], dilation=2, stride=[1, 2], output_padding=[1, 1]))
    add(convt_req("conv_transpose2d", [1, 2, 4, 3], [2, 2, 3, 2], dilation=[3, 1], padding=[2, 0], stride=[1, 3],
                  output_padding=[2, 2]))
    add(convt_req("conv_transpose2d", [1, 4, 3, 3], [4, 2, 3, 3], groups=2, stride=2, bias=True))
    add(convt_req("conv_transpose2d", [3, 3, 3], [3, 1, 2, 2], groups=3, stride=2, kind="i"))        # unbatched dw
    add(convt_req("conv_transpose2d", [1, 2, 4, 4], [2, 2, 1, 1], stride=2))                          # 1x1 s2
    add(convt_req("conv_transpose2d", [1, 2, 3, 3], [2, 2, 4, 4], stride=2, padding=1))               # DCGAN-like
    add(convt_req("conv_transpose3d", [1, 1, 2, 2, 2], [1, 1, 2, 2, 2], stride=2, kind="i"))
    add(convt_req("conv_transpose3d", [1, 2, 2, 3, 2], [2, 2, 3, 3, 3], stride=[2, 1, 2], padding=1,
                  output_padding=[1, 0, 1], bias=True))
    add(convt_req("conv_transpose3d", [2, 2, 2, 1], [2, 1, 2, 2, 2], stride=3, output_padding=2))     # unbatched
    add(convt_req("conv_transpose3d", [1, 4, 2, 2, 2], [4, 1, 2, 2, 2], groups=2, dilation=2, output_padding=1))
    for op, n in (("conv_transpose1d", 14), ("conv_transpose2d", 16), ("conv_transpose3d", 10)):
        fill(n, lambda op=op: rand_convt(op))


def gen_pools():
    nan, ninf = float("nan"), float("-inf")
    # ---- max pool hand cases
    t = torch.tensor([[[1., 3., 3., 2., 3., 1., 1.]]])
    add(maxp_req("max_pool1d", t, 2, 1, return_indices=True), "ties")
    add(maxp_req("max_pool1d", t, 3, 2, padding=1, return_indices=True), "ties")
    add(maxp_req("max_pool1d", torch.tensor([[[1., nan, 3., nan, 2., 1.]]]), 3, 1, return_indices=True), "nan")
    add(maxp_req("max_pool1d", torch.tensor([[[1., nan, 3., nan, 2., 1.]]]), 6, return_indices=True), "two-nans")
    add(maxp_req("max_pool1d", torch.tensor([[[ninf, ninf, ninf, 1., 2., ninf]]]), 3, 2, padding=1,
                 return_indices=True), "-inf")
    add(maxp_req("max_pool1d", torch.tensor([[[ninf, ninf, ninf, ninf, 2., 1.]]]), 2, 2, padding=1,
                 return_indices=True), "-inf window")
    x5 = torch.tensor([[[4., 1., 5., 2., 3.]]])
    add(maxp_req("max_pool1d", x5, 2, 2, padding=1, ceil_mode=True, return_indices=True), "ceil drop-last")
    add(maxp_req("max_pool1d", torch.tensor([[[4., 1., 5., 2., 3., 6.]]]), 3, 2, padding=1, ceil_mode=True,
                 return_indices=True), "ceil keep-last")  # ceil adds a window starting on the last cell
    add(maxp_req("max_pool1d", values([2, 3, 8]), 3, 2, ceil_mode=True, return_indices=True), "ceil partial")
    add(maxp_req("max_pool1d", values([1, 2, 10]), 3, 2, padding=1, dilation=2, return_indices=True))
    add(maxp_req("max_pool1d", values([2, 9]), 2, None, dilation=3, return_indices=True))       # unbatched
    add(maxp_req("max_pool1d", values([1, 2, 5]), 5, return_indices=True))                        # kernel == input
    add(maxp_req("max_pool1d", values([3, 7]), 1, 2))                                             # 1-wide
    t2 = values([1, 1, 5, 5], "t")
    add(maxp_req("max_pool2d", t2, 2, 1, return_indices=True), "ties")
    add(maxp_req("max_pool2d", t2, 3, 2, padding=1, return_indices=True), "ties")
    add(maxp_req("max_pool2d", inject(values([2, 2, 4, 4], "f"), nan, 4), 2, return_indices=True), "nan")
    add(maxp_req("max_pool2d", torch.tensor([[[[nan, 1.], [3., nan]]]]), 2, return_indices=True), "two-nans")
    add(maxp_req("max_pool2d", inject(values([1, 2, 5, 5], "i"), ninf, 12), 3, 2, padding=1, return_indices=True),
        "-inf")
    add(maxp_req("max_pool2d", torch.full((1, 1, 3, 3), ninf), 2, 2, padding=1, return_indices=True), "all -inf")
    add(maxp_req("max_pool2d", values([1, 2, 5, 7]), [2, 3], [2, 2], padding=[1, 1], ceil_mode=True,
                 return_indices=True), "ceil drop-last")
    add(maxp_req("max_pool2d", values([2, 1, 6, 7]), 3, 2, ceil_mode=True, return_indices=True), "ceil partial")
    add(maxp_req("max_pool2d", values([1, 2, 7, 7]), 3, 2, padding=1, dilation=2, return_indices=True))
    add(maxp_req("max_pool2d", values([1, 1, 8, 7]), [2, 3], [3, 1], padding=[1, 0], dilation=[3, 1],
                 return_indices=True))
    add(maxp_req("max_pool2d", values([3, 5, 6]), 2))                                             # unbatched
    add(maxp_req("max_pool2d", values([2, 4, 5]), [4, 5], return_indices=True))                   # kernel == input
    add(maxp_req("max_pool2d", values([2, 2, 4, 4]), 1, 2, return_indices=True))                  # 1x1 s2
    add(maxp_req("max_pool3d", values([1, 1, 4, 4, 4], "t"), 2, return_indices=True), "ties")
    add(maxp_req("max_pool3d", inject(values([1, 2, 3, 4, 4]), nan, 3), 2, 2, padding=1, return_indices=True), "nan")
    add(maxp_req("max_pool3d", inject(values([1, 1, 4, 4, 4], "i"), ninf, 20), 3, 2, padding=1,
                 return_indices=True), "-inf")
    add(maxp_req("max_pool3d", values([1, 2, 5, 5, 4]), [2, 2, 3], 2, padding=1, ceil_mode=True,
                 return_indices=True), "ceil drop-last")
    add(maxp_req("max_pool3d", values([1, 1, 5, 6, 5]), 2, [2, 3, 2], dilation=2, return_indices=True))
    add(maxp_req("max_pool3d", values([2, 3, 4, 4]), [3, 2, 2], return_indices=True))             # unbatched
    add(maxp_req("max_pool3d", values([1, 1, 3, 3, 3]), 3))                                       # kernel == input
    # ---- avg pool hand cases
    add(avgp_req("avg_pool1d", values([1, 1, 7], "i"), 3, 2, padding=1), "cip")
    add(avgp_req("avg_pool1d", values([1, 1, 7], "i"), 3, 2, padding=1, count_include_pad=False))
    add(avgp_req("avg_pool1d", torch.arange(6.).reshape(1, 1, 6), 3, 2, padding=1, ceil_mode=True), "ceil partial")
    add(avgp_req("avg_pool1d", torch.arange(6.).reshape(1, 1, 6), 3, 2, padding=1, ceil_mode=True,
                 count_include_pad=False), "ceil partial")
    add(avgp_req("avg_pool1d", torch.arange(5.).reshape(1, 1, 5), 2, 2, padding=1, ceil_mode=True), "ceil drop-last")
    add(avgp_req("avg_pool1d", values([3, 8]), 4, padding=2))                                     # unbatched
    add(avgp_req("avg_pool1d", values([2, 2, 5]), 5))                                             # kernel == input
    add(avgp_req("avg_pool2d", values([1, 1, 5, 5], "i"), 3, 2, padding=1), "cip")
    add(avgp_req("avg_pool2d", values([1, 1, 5, 5], "i"), 3, 2, padding=1, count_include_pad=False))
    add(avgp_req("avg_pool2d", values([1, 2, 5, 6]), 3, 2, padding=1, divisor_override=2))
    add(avgp_req("avg_pool2d", values([1, 2, 5, 6]), [2, 3], [2, 2], padding=[1, 1], ceil_mode=True,
                 count_include_pad=False), "ceil partial")
    add(avgp_req("avg_pool2d", values([1, 2, 5, 6]), [2, 3], [2, 2], padding=[1, 1], ceil_mode=True,
                 count_include_pad=True), "ceil partial")
    add(avgp_req("avg_pool2d", values([1, 1, 5, 7]), 2, 2, padding=1, ceil_mode=True, divisor_override=3),
        "ceil drop-last")
    add(avgp_req("avg_pool2d", values([2, 5, 4]), [3, 2], [1, 2], padding=[1, 0], count_include_pad=False))
    add(avgp_req("avg_pool2d", values([2, 3, 4, 4]), 4, divisor_override=5))                       # kernel == input
    add(avgp_req("avg_pool2d", values([1, 2, 4, 5]), 1, 2))                                        # 1x1
    add(avgp_req("avg_pool3d", values([1, 1, 4, 4, 4], "i"), 2, 2, padding=1), "cip")
    add(avgp_req("avg_pool3d", values([1, 1, 4, 4, 4], "i"), 2, 2, padding=1, count_include_pad=False))
    add(avgp_req("avg_pool3d", values([1, 2, 3, 5, 4]), [3, 3, 2], 2, padding=1, ceil_mode=True,
                 count_include_pad=False), "ceil partial")
    add(avgp_req("avg_pool3d", values([1, 1, 4, 5, 5]), 2, [1, 2, 2], divisor_override=3))
    add(avgp_req("avg_pool3d", values([2, 3, 3, 4]), [3, 2, 2], None, padding=[1, 1, 0]))        # unbatched
    # ---- random fill
    for op, n in (("max_pool1d", 9), ("max_pool2d", 12), ("max_pool3d", 7)):
        fill(n, lambda op=op: rand_maxpool(op))
        fill(2, lambda op=op: rand_maxpool(op, "ties"), tag="ties")
        fill(2, lambda op=op: rand_maxpool(op, "nan"), tag="nan")
        fill(1, lambda op=op: rand_maxpool(op, "-inf"), tag="-inf")
    for op, n in (("avg_pool1d", 10), ("avg_pool2d", 13), ("avg_pool3d", 9)):
        fill(n, lambda op=op: rand_avgpool(op))


def gen_unfold_fold():
    add(unfold_req(values([1, 1, 4, 4], "i"), 2))
    add(unfold_req(values([1, 1, 5, 5]), 3, padding=1))
    add(unfold_req(values([2, 2, 5, 6]), [2, 3], dilation=[2, 1], stride=[2, 2]))
    add(unfold_req(values([1, 1, 7, 7]), 3, dilation=3))
    add(unfold_req(values([1, 3, 5, 4]), [3, 2], padding=[1, 0], stride=[2, 3]))
    add(unfold_req(values([2, 4, 5]), 2, stride=2))                                  # 3-D (unbatched)
    add(unfold_req(values([1, 5, 5]), 5))                                            # kernel == input
    add(unfold_req(values([3, 2, 3, 3]), 1))                                         # 1x1
    add(unfold_req(values([1, 1, 6, 5]), [2, 2], dilation=2, padding=1, stride=[3, 2]))
    add(fold_req(1, 1, [4, 4], 2, stride=2))
    add(fold_req(1, 1, [4, 4], 2))                                                   # overlapping: sums
    add(fold_req(1, 1, [5, 5], 3, padding=1))
    add(fold_req(1, 2, [5, 6], [2, 3], dilation=[2, 1], stride=[1, 2]))
    add(fold_req(None, 2, [4, 5], 2, stride=[2, 1]))                                 # 2-D (unbatched)
    add(fold_req(1, 1, [7, 7], 3, dilation=3, stride=2))
    add(fold_req(2, 1, [3, 3], 3))                                                   # kernel == output
    add(fold_req(1, 3, [3, 4], 1))                                                   # 1x1

    def rand_unfold():
        k = [R.randint(1, 3), R.randint(1, 3)]
        batch = R.choice([None, 1, 2])
        c = R.randint(1, 2)
        x = ([] if batch is None else [batch]) + [c, R.randint(3, 7), R.randint(3, 7)]
        return unfold_req(x, pp(k), pp([R.choice([1, 1, 2, 3]) for _ in k]), pp([R.randint(0, 1) for _ in k]),
                          pp([R.choice([1, 1, 2, 3]) for _ in k]))

    def rand_fold():
        k = [R.randint(1, 3), R.randint(1, 3)]
        return fold_req(R.choice([None, 1, 2]), R.randint(1, 2), [R.randint(3, 6), R.randint(3, 6)], pp(k),
                        pp([R.choice([1, 1, 2]) for _ in k]), pp([R.randint(0, 1) for _ in k]),
                        pp([R.choice([1, 1, 2, 3]) for _ in k]))

    fill(8, rand_unfold)
    fill(8, rand_fold)


def gen_backward():
    # conv backward, hand-picked
    add_backward(conv_req("conv1d", [2, 2, 8], [3, 2, 3], bias=True, stride=3, padding=1))      # remainder
    add_backward(conv_req("conv1d", [1, 2, 9], [2, 2, 3], stride=2, dilation=2))
    add_backward(conv_req("conv1d", [1, 4, 7], [4, 2, 3], groups=2, padding="same", bias=True))
    add_backward(conv_req("conv1d", [3, 7], [2, 3, 2], padding="same", mode="reflect"))           # unbatched
    add_backward(conv_req("conv1d", [1, 2, 6], [2, 2, 3], padding=2, mode="circular", bias=True))
    add_backward(conv_req("conv1d", [2, 1, 6], [1, 1, 3], padding=1, mode="replicate", flip=True))
    add_backward(conv_req("conv2d", [2, 2, 6, 5], [3, 2, 3, 3], bias=True, stride=2, padding=1))  # remainder
    add_backward(conv_req("conv2d", [1, 2, 7, 8], [2, 2, 3, 2], stride=[3, 2], dilation=[2, 1], padding=[1, 0]))
    add_backward(conv_req("conv2d", [1, 3, 5, 5], [3, 1, 3, 3], groups=3, padding=1))             # depthwise
    add_backward(conv_req("conv2d", [1, 4, 5, 6], [2, 2, 2, 2], groups=2, padding="same", bias=True))
    add_backward(conv_req("conv2d", [1, 2, 5, 5], [2, 2, 3, 3], padding=1, mode="reflect"))
    add_backward(conv_req("conv2d", [2, 2, 4, 5], [2, 2, 3, 3], padding=[1, 2], mode="replicate", bias=True))
    add_backward(conv_req("conv2d", [1, 1, 4, 4], [2, 1, 3, 3], padding=2, stride=2, mode="circular"))
    add_backward(conv_req("conv2d", [2, 5, 5], [2, 2, 3, 3], flip=True, bias=True, padding="same"))  # unbatched
    add_backward(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], flip=True, stride=2, kind="i"))
    add_backward(conv_req("conv3d", [1, 2, 4, 4, 4], [2, 2, 2, 2, 2], stride=2, padding=1, bias=True))
    add_backward(conv_req("conv3d", [1, 2, 5, 4, 4], [2, 1, 3, 2, 2], groups=2, dilation=[2, 1, 1]))
    add_backward(conv_req("conv3d", [2, 3, 3, 3], [2, 2, 2, 2, 3], padding="same", mode="reflect"))  # unbatched
    add_backward(conv_req("conv3d", [1, 1, 3, 4, 4], [1, 1, 2, 3, 3], padding=1, mode="circular", flip=True))
    add_backward(conv_req("conv3d", [1, 1, 4, 3, 3], [2, 1, 3, 2, 2], padding=[1, 1, 0], mode="replicate",
                          stride=[2, 1, 1], bias=True))
    for op, n in (("conv1d", 8), ("conv2d", 10), ("conv3d", 5)):
        fill(n, lambda op=op: rand_conv(op), backward=True)
    # pool backward
    add_backward(maxp_req("max_pool1d", values([1, 2, 8], "t"), 3, 1, padding=1), "ties")        # overlapping
    add_backward(maxp_req("max_pool1d", values([2, 9]), 3, 2, dilation=2, ceil_mode=True))
    add_backward(maxp_req("max_pool2d", values([1, 1, 5, 5], "t"), 3, 1, padding=1), "ties")
    add_backward(maxp_req("max_pool2d", values([1, 2, 6, 5]), [2, 3], 2, padding=1, ceil_mode=True))
    add_backward(maxp_req("max_pool2d", values([2, 5, 5]), 2, 1, dilation=2))
    add_backward(maxp_req("max_pool3d", values([1, 1, 4, 4, 4], "t"), 2, 1), "ties")
    add_backward(maxp_req("max_pool3d", values([1, 2, 3, 4, 5]), 2, [1, 2, 2], padding=1, ceil_mode=True))
    add_backward(avgp_req("avg_pool1d", values([1, 2, 7]), 3, 2, padding=1, count_include_pad=False))
    add_backward(avgp_req("avg_pool1d", values([2, 6]), 3, 2, padding=1, ceil_mode=True))
    add_backward(avgp_req("avg_pool2d", values([1, 1, 5, 5]), 3, 2, padding=1, ceil_mode=True,
                          count_include_pad=False))
    add_backward(avgp_req("avg_pool2d", values([1, 2, 4, 5]), [2, 3], 1, divisor_override=4))
    add_backward(avgp_req("avg_pool2d", values([2, 5, 4]), 2, None, padding=1))
    add_backward(avgp_req("avg_pool3d", values([1, 1, 4, 4, 4]), 2, 2, padding=1, count_include_pad=False))
    add_backward(avgp_req("avg_pool3d", values([1, 2, 3, 4, 4]), [2, 3, 3], 1, padding=1, divisor_override=7))
    for op, n in (("max_pool1d", 5), ("max_pool2d", 6), ("max_pool3d", 4)):
        fill(n, lambda op=op: rand_maxpool(op), backward=True)
    for op, n in (("avg_pool1d", 4), ("avg_pool2d", 6), ("avg_pool3d", 4)):
        fill(n, lambda op=op: rand_avgpool(op), backward=True)


def gen_shapes():
    S = shape_req
    # classic architectures
    add(S("conv2d", [1, 3, 224, 224], [64, 3, 7, 7], stride=2, padding=3), "resnet stem")
    add(S("max_pool2d", [1, 64, 112, 112], kernel_size=3, stride=2, padding=1), "resnet stem pool")
    add(S("conv2d", [1, 64, 56, 56], [64, 64, 3, 3], padding=1), "resnet basic block")
    add(S("conv2d", [1, 64, 56, 56], [128, 64, 1, 1], stride=2), "resnet downsample")
    add(S("conv2d", [1, 128, 56, 56], [128, 128, 3, 3], stride=2, padding=1), "resnet stage2")
    add(S("avg_pool2d", [1, 512, 7, 7], kernel_size=7), "resnet global avgpool")
    add(S("conv2d", [1, 3, 227, 227], [96, 3, 11, 11], stride=4), "alexnet conv1")
    add(S("max_pool2d", [1, 96, 55, 55], kernel_size=3, stride=2), "alexnet pool1")
    add(S("conv2d", [1, 3, 224, 224], [64, 3, 3, 3], padding="same"), "vgg conv")
    add(S("conv2d", [1, 32, 112, 112], [32, 1, 3, 3], padding=1, groups=32), "mobilenet depthwise")
    add(S("conv2d", [1, 32, 112, 112], [32, 1, 3, 3], stride=2, padding=1, groups=32), "mobilenet depthwise s2")
    add(S("conv2d", [1, 64, 64, 64], [64, 64, 3, 3], padding=2, dilation=2), "deeplab atrous")
    add(S("conv2d", [1, 3, 256, 256], [64, 3, 7, 7], padding=3, padding_mode="reflect"), "pix2pix reflect")
    add(S("conv_transpose2d", [1, 100, 1, 1], [100, 512, 4, 4]), "dcgan project")
    add(S("conv_transpose2d", [1, 512, 4, 4], [512, 256, 4, 4], stride=2, padding=1), "dcgan upsample")
    add(S("conv_transpose2d", [1, 128, 28, 28], [128, 64, 2, 2], stride=2), "unet up")
    add(S("conv_transpose2d", [1, 64, 16, 16], [64, 32, 3, 3], stride=2, padding=1, output_padding=1),
        "upsample x2 op=1")
    add(S("conv1d", [8, 16, 100], [32, 16, 5], padding=2), "audio")
    add(S("conv1d", [1, 1, 16000], [16, 1, 80], stride=4), "wav frontend")
    add(S("conv1d", [1, 64, 1000], [64, 64, 3], dilation=8, padding="same"), "wavenet dilated")
    add(S("conv_transpose1d", [1, 32, 50], [32, 16, 4], stride=2, padding=1), "1d upsample")
    add(S("conv3d", [1, 3, 16, 112, 112], [64, 3, 3, 3, 3], padding=1), "c3d conv1")
    add(S("max_pool3d", [1, 64, 16, 112, 112], kernel_size=[1, 2, 2], stride=[1, 2, 2]), "c3d pool1")
    add(S("conv3d", [2, 1, 32, 32, 32], [8, 1, 3, 3, 3], stride=2, padding=1), "voxel net")
    add(S("conv_transpose3d", [1, 16, 8, 8, 8], [16, 8, 2, 2, 2], stride=2), "3d unet up")
    add(S("avg_pool3d", [1, 8, 9, 9, 9], kernel_size=3, stride=2, ceil_mode=True), "3d avgpool ceil")
    add(S("max_pool1d", [4, 8, 33], kernel_size=2, ceil_mode=True), "1d pool ceil")
    add(S("avg_pool1d", [4, 8, 33], kernel_size=3, stride=2, padding=1), "1d avgpool")
    add(S("unfold", [1, 3, 32, 32], kernel_size=3, padding=1), "im2col 3x3")
    add(S("unfold", [2, 8, 28, 28], kernel_size=[5, 5], stride=2), "im2col 5x5 s2")
    add(S("max_pool2d", [1, 16, 28, 28], kernel_size=2, return_indices=True), "pool with indices")
    add(S("max_pool2d", [1, 1, 5, 5], kernel_size=2, stride=2, padding=1, ceil_mode=True), "ceil drop-last")
    add(S("conv2d", [3, 28, 28], [8, 3, 5, 5]), "unbatched")
    add(S("conv_transpose2d", [3, 7, 7], [3, 6, 3, 3], stride=3, groups=3, dilation=2, output_padding=2),
        "unbatched grouped")

    def rand_shape():
        kind = R.choice(["conv", "conv", "convt", "maxp", "avgp", "unfold"])
        nd = R.randint(1, 3)
        if kind == "conv":
            req = rand_conv(CONV[nd - 1])
        elif kind == "convt":
            req = rand_convt(CONVT[nd - 1])
        elif kind == "maxp":
            req = rand_maxpool(MAXP[nd - 1])
        elif kind == "avgp":
            req = rand_avgpool(AVGP[nd - 1])
        else:
            x = [R.randint(1, 2), R.randint(1, 3), R.randint(4, 20), R.randint(4, 20)]
            k = [R.randint(1, 4), R.randint(1, 4)]
            return S("unfold", x, kernel_size=pp(k), dilation=pp([R.randint(1, 2) for _ in k]),
                     padding=pp([R.randint(0, 2) for _ in k]), stride=pp([R.randint(1, 3) for _ in k]))
        # scale spatial dims up: shapes are cheap (no tensors stored)
        op = req["op"]
        xs = nested_shape(req["input"])
        xs = xs[:-nd] + [v * R.randint(1, 6) for v in xs[-nd:]]
        params = {k: v for k, v in req.items() if k not in ("op", "input", "weight", "bias")}
        ws = nested_shape(req["weight"]) if "weight" in req else None
        return S(op, xs, ws, **params)

    fill(26, rand_shape)


def gen_errors():
    E = add_error
    # groups_divisible
    E(conv_req("conv2d", [1, 4, 5, 5], [3, 2, 3, 3], groups=2), "groups_divisible", "C_out=3")
    E(conv_req("conv1d", [1, 6, 7], [4, 2, 3], groups=3), "groups_divisible", "C_out=4")
    E(conv_req("conv3d", [1, 2, 3, 3, 3], [3, 1, 2, 2, 2], groups=2), "groups_divisible", "C_out=3")
    E(conv_req("conv2d", [1, 3, 5, 5], [4, 1, 3, 3], groups=2), "groups_divisible", "C_in=3")
    E(conv_req("conv1d", [5, 6], [6, 2, 3], groups=3), "groups_divisible", "C_in=5 unbatched")
    E(convt_req("conv_transpose2d", [1, 3, 4, 4], [3, 1, 3, 3], groups=2), "groups_divisible", "C_in=3")
    E(convt_req("conv_transpose1d", [1, 5, 4], [5, 2, 3], groups=2), "groups_divisible", "C_in=5")
    E(shape_req("conv2d", [1, 6, 8, 8], [9, 3, 3, 3], groups=2), "groups_divisible", "C_out=9")
    # channels_mismatch
    E(conv_req("conv2d", [1, 3, 5, 5], [2, 2, 3, 3]), "channels_mismatch")
    E(conv_req("conv1d", [2, 4, 6], [4, 1, 3], groups=2), "channels_mismatch")
    E(conv_req("conv3d", [1, 2, 3, 3, 3], [2, 1, 2, 2, 2]), "channels_mismatch")
    E(conv_req("conv2d", [4, 5, 5], [2, 3, 3, 3]), "channels_mismatch", "unbatched")
    E(conv_req("conv2d", [1, 4, 5, 5], [2, 2, 3, 3], padding=1, mode="reflect"), "channels_mismatch")
    E(convt_req("conv_transpose2d", [1, 3, 4, 4], [2, 2, 3, 3]), "channels_mismatch")
    E(convt_req("conv_transpose3d", [1, 2, 2, 2, 2], [4, 1, 2, 2, 2], groups=2), "channels_mismatch")
    E(shape_req("conv2d", [1, 3, 224, 224], [64, 1, 7, 7], stride=2, padding=3), "channels_mismatch")
    # kernel_too_large
    E(conv_req("conv2d", [1, 1, 2, 5], [1, 1, 3, 3]), "kernel_too_large")
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], dilation=3), "kernel_too_large", "dilated")
    E(conv_req("conv1d", [1, 2, 4], [1, 2, 7], padding=1), "kernel_too_large")
    E(conv_req("conv3d", [1, 1, 2, 4, 4], [1, 1, 3, 3, 3]), "kernel_too_large")
    E(conv_req("conv1d", [2, 3], [1, 2, 4], padding="valid"), "kernel_too_large", "unbatched")
    E(shape_req("conv2d", [1, 3, 6, 6], [8, 3, 3, 3], dilation=3), "kernel_too_large")
    # same_strided
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], stride=2, padding="same"), "same_strided")
    E(conv_req("conv1d", [1, 1, 6], [1, 1, 3], stride=[2], padding="same"), "same_strided")
    E(conv_req("conv3d", [1, 1, 3, 3, 3], [1, 1, 2, 2, 2], stride=[1, 1, 2], padding="same"), "same_strided")
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], stride=[1, 2], padding="same", mode="reflect"), "same_strided")
    E(shape_req("conv2d", [1, 3, 32, 32], [8, 3, 3, 3], stride=2, padding="same"), "same_strided")
    # bad_padding_string
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], padding="foo"), "bad_padding_string")
    E(conv_req("conv1d", [1, 1, 5], [1, 1, 3], padding="SAME"), "bad_padding_string")
    E(conv_req("conv3d", [1, 1, 3, 3, 3], [1, 1, 2, 2, 2], padding="full", mode="replicate"), "bad_padding_string")
    E(shape_req("conv1d", [1, 1, 5], [1, 1, 3], padding="full"), "bad_padding_string")
    # output_padding
    E(convt_req("conv_transpose1d", [1, 1, 4], [1, 1, 3], stride=2, output_padding=2), "output_padding")
    E(convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 1, 3, 3], stride=[2, 1], output_padding=[1, 1]),
      "output_padding")
    E(convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 1, 3, 3], stride=2, dilation=3, output_padding=3),
      "output_padding")
    E(convt_req("conv_transpose3d", [1, 1, 2, 2, 2], [1, 1, 2, 2, 2], stride=3, output_padding=[0, 3, 0]),
      "output_padding")
    E(convt_req("conv_transpose1d", [1, 1, 3], [1, 1, 3], output_padding=1), "output_padding", "stride=1")
    E(shape_req("conv_transpose2d", [1, 8, 4, 4], [8, 4, 3, 3], stride=2, output_padding=2), "output_padding")
    # pool_pad_too_large (dilation 1 only: 1.13 ignores dilation in this check)
    E(maxp_req("max_pool1d", [1, 1, 6], 3, padding=2), "pool_pad_too_large")
    E(maxp_req("max_pool2d", [1, 1, 5, 5], 2, padding=[0, 2]), "pool_pad_too_large")
    E(maxp_req("max_pool2d", [1, 1, 5, 5], 3, padding=2, return_indices=True), "pool_pad_too_large")
    E(maxp_req("max_pool3d", [1, 1, 4, 4, 4], [3, 3, 2], padding=[1, 1, 2]), "pool_pad_too_large")
    E(avgp_req("avg_pool1d", [1, 1, 6], 2, padding=2), "pool_pad_too_large")
    E(avgp_req("avg_pool2d", [1, 1, 5, 5], 3, padding=2), "pool_pad_too_large")
    E(avgp_req("avg_pool3d", [1, 1, 4, 4, 4], 2, padding=[1, 2, 1]), "pool_pad_too_large")
    E(shape_req("max_pool2d", [1, 64, 112, 112], kernel_size=3, stride=2, padding=2), "pool_pad_too_large")
    # reflect_pad_too_large
    E(conv_req("conv1d", [1, 1, 5], [1, 1, 3], padding=5, mode="reflect"), "reflect_pad_too_large", "pad=dim")
    E(conv_req("conv2d", [1, 1, 5, 4], [1, 1, 3, 3], padding=[1, 4], mode="reflect"), "reflect_pad_too_large")
    E(conv_req("conv2d", [1, 3, 3], [1, 1, 7, 3], padding="same", mode="reflect"), "reflect_pad_too_large",
      "unbatched")
    E(conv_req("conv3d", [1, 1, 2, 4, 4], [1, 1, 3, 3, 3], padding=2, mode="reflect"), "reflect_pad_too_large")
    E(conv_req("conv1d", [1, 1, 2], [1, 1, 5], padding="same", mode="reflect"), "reflect_pad_too_large")
    # circular_pad_too_large
    E(conv_req("conv1d", [1, 1, 5], [1, 1, 3], padding=6, mode="circular"), "circular_pad_too_large")
    E(conv_req("conv2d", [1, 1, 3, 4], [1, 1, 3, 3], padding=[4, 1], mode="circular"), "circular_pad_too_large")
    E(conv_req("conv3d", [1, 1, 2, 3, 3], [1, 1, 2, 2, 2], padding=3, mode="circular"), "circular_pad_too_large")
    E(conv_req("conv1d", [2, 2], [1, 2, 7], padding="same", mode="circular"), "circular_pad_too_large",
      "unbatched")
    # nonpositive
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], stride=0), "nonpositive", "stride=0")
    E(conv_req("conv1d", [1, 1, 5], [1, 1, 3], dilation=0), "nonpositive", "dilation=0")
    E(conv_req("conv3d", [1, 1, 3, 3, 3], [1, 1, 2, 2, 2], padding=[0, -1, 0]), "nonpositive", "padding<0")
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], stride=[1, 0]), "nonpositive", "stride=0")
    E(convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 1, 3, 3], stride=0), "nonpositive", "stride=0")
    E(convt_req("conv_transpose1d", [1, 1, 3], [1, 1, 3], padding=-1), "nonpositive", "padding<0")
    E(convt_req("conv_transpose3d", [1, 1, 2, 2, 2], [1, 1, 2, 2, 2], dilation=0), "nonpositive", "dilation=0")
    E(maxp_req("max_pool2d", [1, 1, 5, 5], 0), "nonpositive", "kernel=0")
    E(maxp_req("max_pool1d", [1, 1, 5], 0), "nonpositive", "kernel=0")
    E(maxp_req("max_pool1d", [1, 1, 5], 2, stride=0), "nonpositive", "stride=0")
    E(maxp_req("max_pool2d", [1, 1, 5, 5], 2, dilation=0), "nonpositive", "dilation=0")
    E(maxp_req("max_pool3d", [1, 1, 3, 3, 3], 2, padding=-1), "nonpositive", "padding<0")
    E(avgp_req("avg_pool2d", [1, 1, 5, 5], [0, 2]), "nonpositive", "kernel=0")
    E(avgp_req("avg_pool1d", [1, 1, 5], 2, stride=0), "nonpositive", "stride=0")
    E(avgp_req("avg_pool3d", [1, 1, 3, 3, 3], 2, padding=-1), "nonpositive", "padding<0")
    E(unfold_req([1, 1, 5, 5], 0), "nonpositive", "kernel=0")
    E(unfold_req([1, 1, 5, 5], 2, stride=0), "nonpositive", "stride=0")
    E(fold_req(1, 1, [4, 4], 2, dilation=0, L=9), "nonpositive", "dilation=0")
    E(shape_req("conv2d", [1, 3, 8, 8], [4, 3, 3, 3], stride=0), "nonpositive", "stride=0")
    # rank_mismatch
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3]), "rank_mismatch", "3-D weight")
    E(conv_req("conv1d", [1, 1, 5], [1, 1, 3, 3]), "rank_mismatch", "4-D weight")
    E(conv_req("conv2d", [1, 1, 1, 5, 5], [1, 1, 3, 3]), "rank_mismatch", "5-D input")
    E(conv_req("conv2d", [5, 5], [1, 1, 3, 3]), "rank_mismatch", "2-D input")
    E(conv_req("conv1d", [5], [1, 1, 3]), "rank_mismatch", "1-D input")
    E(conv_req("conv3d", [1, 5, 5], [1, 1, 3, 3, 3]), "rank_mismatch", "3-D input")
    E(convt_req("conv_transpose1d", [1, 1, 5, 5], [1, 1, 3]), "rank_mismatch", "4-D input")
    E(maxp_req("max_pool2d", [5], 2), "rank_mismatch", "1-D input")
    E(maxp_req("max_pool1d", [1, 1, 5, 5], 2), "rank_mismatch", "4-D input")
    E(avgp_req("avg_pool1d", [1, 1, 1, 5], 2), "rank_mismatch", "4-D input")
    E(avgp_req("avg_pool3d", [5, 5], 2), "rank_mismatch", "2-D input")
    E(unfold_req([1, 1, 1, 5, 5], 2), "rank_mismatch", "5-D input")
    E(shape_req("conv2d", [3, 224, 224, 1, 1], [64, 3, 7, 7], stride=2, padding=3), "rank_mismatch", "5-D input")
    # output_too_small
    E(maxp_req("max_pool2d", [1, 1, 2, 2], 3), "output_too_small")
    E(maxp_req("max_pool1d", [1, 1, 2], 3, return_indices=True), "output_too_small")
    E(maxp_req("max_pool1d", [1, 1, 2], 3), "output_too_small", "no indices")   # 1.13 returns an empty tensor
    E(maxp_req("max_pool3d", [1, 1, 2, 3, 3], [3, 2, 2]), "output_too_small")
    E(avgp_req("avg_pool1d", [1, 1, 2], 3), "output_too_small")
    E(avgp_req("avg_pool2d", [1, 1, 2, 5], [3, 2], padding=[0, 1]), "output_too_small")
    E(avgp_req("avg_pool3d", [1, 1, 2, 2, 2], 3), "output_too_small")
    E(convt_req("conv_transpose2d", [1, 1, 1, 1], [1, 1, 1, 1], padding=1), "output_too_small")
    E(convt_req("conv_transpose1d", [1, 1, 2], [1, 1, 2], padding=2), "output_too_small")
    E(unfold_req([1, 1, 2, 2], 3), "output_too_small")
    E(shape_req("max_pool2d", [1, 8, 1, 1], kernel_size=2), "output_too_small")
    # bias_shape
    E(conv_req("conv2d", [1, 1, 5, 5], [2, 1, 3, 3], bias=3), "bias_shape")
    E(conv_req("conv1d", [1, 1, 5], [2, 1, 3], bias=1), "bias_shape")
    E(conv_req("conv3d", [1, 1, 3, 3, 3], [2, 1, 2, 2, 2], bias=4), "bias_shape")
    E(convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 2, 3, 3], bias=3), "bias_shape")
    E(conv_req("conv2d", [1, 2, 4, 4], [2, 2, 3, 3], bias=3, mode="circular", padding=1), "bias_shape")
    # errors on the backward ops (grad_output of the shape the forward would have had, if any)

    def berr(req, rule, go_shape, tag=None):
        breq = OrderedDict([("op", req["op"] + "_backward")] + [(k, v) for k, v in req.items() if k != "op"])
        if "return_indices" in breq:
            breq["return_indices"] = False
        breq["grad_output"] = tl(values(go_shape))
        E(breq, rule, tag)

    berr(conv_req("conv2d", [1, 3, 5, 5], [2, 2, 3, 3]), "channels_mismatch", [1, 2, 3, 3])
    berr(conv_req("conv1d", [1, 1, 5], [2, 1, 3], bias=3), "bias_shape", [1, 2, 3])
    berr(conv_req("conv2d", [1, 1, 4, 4], [1, 1, 3, 3], padding=4, mode="reflect"), "reflect_pad_too_large",
         [1, 1, 10, 10])
    berr(conv_req("conv3d", [1, 1, 3, 3, 3], [1, 1, 2, 2, 2], stride=2, padding="same"), "same_strided",
         [1, 1, 2, 2, 2])
    berr(maxp_req("max_pool2d", [1, 1, 4, 4], 2, padding=2), "pool_pad_too_large", [1, 1, 4, 4])
    berr(avgp_req("avg_pool1d", [1, 1, 5], 0), "nonpositive", [1, 1, 5])


def gen_limits():
    """PyTorch's range rules and the sign of zero (issue 14): values beyond int64, parameters past what an int32
    kernel takes, sizes whose storage overflows, at and just past each edge; and -0.0 through pooling and conv."""
    E = add_error
    S = shape_req
    x5 = torch.arange(25, dtype=DT).reshape(1, 1, 5, 5)
    w3 = torch.ones(1, 1, 3, 3, dtype=DT)
    big = 2 ** 63
    for key in ("stride", "padding", "dilation", "groups"):
        E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], x=x5, w=w3, **{key: big}), "int_range", key + "=2^63")
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], x=x5, w=w3, stride=1e300), "int_range", "stride=1e300")
    E(conv_req("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], x=x5, w=w3, padding=1e300), "int_range", "padding=1e300")
    E(conv_req("conv1d", [1, 1, 5], [1, 1, 3], x=x5.reshape(1, 1, 25)[:, :, :5], w=w3.reshape(1, 1, 9)[:, :, :3],
               padding=2 ** 62), "int_range", "padded size overflows")
    E(convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 1, 3, 3], stride=2, output_padding=big, kind="i"),
      "int_range", "output_padding=2^63")
    for key in ("kernel_size", "stride", "padding", "dilation"):
        params = {"kernel_size": 2, key: 2 ** 62}
        E(maxp_req("max_pool2d", x5, **params), "int_range", key + "=2^62 (int32 kernel)")
    E(maxp_req("max_pool3d", torch.arange(27, dtype=DT).reshape(1, 1, 3, 3, 3), 2, stride=2 ** 31), "int_range",
      "stride=2^31 (int32 kernel)")
    E(avgp_req("avg_pool3d", torch.arange(27, dtype=DT).reshape(1, 1, 3, 3, 3), 2, stride=2 ** 31), "int_range",
      "stride=2^31 (int32 kernel)")
    E(avgp_req("avg_pool2d", x5, 2, stride=big), "int_range", "stride=2^63")
    E(avgp_req("avg_pool2d", x5, 2, divisor_override=big), "int_range", "divisor_override=2^63")
    E(unfold_req(x5, 2, stride=big), "int_range", "stride=2^63")
    E(S("conv2d", [1, 1, 5, 5], [1, 1, 3, 3], padding=2 ** 31), "int_range", "output storage overflows")
    E(S("conv2d", [2 ** 31, 2 ** 31, 1, 1], [1, 2 ** 31, 1, 1]), "int_range", "input storage overflows")
    # just inside: the largest exact integer, the largest int32 of a pooling kernel, shapes PyTorch accepts
    add(conv_req("conv1d", [1, 1, 5], [1, 1, 3], x=x5.reshape(1, 1, 25)[:, :, :5], w=w3.reshape(1, 1, 9)[:, :, :3],
                 stride=2 ** 53 - 1), "stride=2^53-1")
    add(maxp_req("max_pool2d", x5, 2, stride=2 ** 31 - 1), "stride=2^31-1 (int32 max)")
    add(maxp_req("max_pool1d", x5.reshape(1, 1, 25), 2, stride=2 ** 31), "stride=2^31 (max_pool1d reads int64)")
    add(S("conv2d", [1, 1, 2 ** 20, 2 ** 20], [1, 1, 3, 3]), "a 2^40-cell input, sizes only")
    add(S("conv1d", [1, 1, 5], [1, 1, 3], stride=2 ** 53 - 1), "stride=2^53-1")
    add(S("max_pool2d", [1, 1, 2 ** 25, 2 ** 25], kernel_size=2 ** 20, stride=2 ** 20), "2^50 cells, kernel 2^20")

    # the sign of zero: max pooling keeps -0.0 (a later +0.0 is not greater); average pooling and conv start
    # from +0.0 (conv from its bias, so a -0.0 bias keeps -0.0 unless a padding tap's 0·w is +0.0)
    z = -0.0
    mixed = torch.tensor([[[z, 0.0, 0.0, z, z, z]]], dtype=DT)
    negz = lambda *shape: torch.full(shape, z, dtype=DT)
    add(maxp_req("max_pool1d", mixed, 2), "signed zero")
    add(maxp_req("max_pool1d", mixed, 2, return_indices=True), "signed zero")
    add(maxp_req("max_pool2d", negz(1, 1, 4, 4), 3, stride=1, padding=1), "signed zero")
    add(maxp_req("max_pool3d", negz(1, 2, 2, 2, 2), 2, ceil_mode=True), "signed zero")
    add(avgp_req("avg_pool2d", negz(1, 1, 4, 4), 2), "signed zero")
    add(avgp_req("avg_pool1d", negz(1, 1, 5), 2, padding=1, count_include_pad=False), "signed zero")
    add(avgp_req("avg_pool2d", negz(1, 1, 4, 4), 2, divisor_override=3), "signed zero")
    ones = lambda *shape: torch.ones(shape, dtype=DT)
    cases = [
        ("conv2d", negz(1, 1, 5, 5), ones(1, 1, 3, 3), {"padding": 1}),
        ("conv2d", negz(1, 1, 5, 5), -ones(1, 1, 3, 3), {"padding": 1}),
        ("conv2d", negz(1, 3, 5, 5), ones(2, 3, 2, 2), {"dilation": 2}),
        ("conv2d", negz(1, 4, 5, 5), ones(4, 1, 3, 3), {"groups": 4, "padding": 1}),
        ("conv3d", negz(1, 1, 3, 3, 3), ones(1, 1, 2, 2, 2), {}),
        ("conv1d", negz(1, 2, 150), ones(2, 2, 70), {"padding": 1}),  # big enough for im2col
        ("conv2d", negz(1, 1, 4, 4), ones(1, 1, 2, 2), {"stride": 2, "mode": "reflect", "padding": 1}),
    ]
    for op, x, w, params in cases:
        c = w.shape[0]
        b = torch.full((c,), z, dtype=DT)
        b[0] = 0.0 if c > 1 else z  # one +0.0 bias beside the -0.0 ones when there are several channels
        req = conv_req(op, list(x.shape), list(w.shape), x=x, w=w, **params)
        req["bias"] = tl(b)
        add(req, "signed zero")
    add(conv_req("conv2d", [1, 1, 4, 4], [1, 1, 2, 2], x=negz(1, 1, 4, 4), w=ones(1, 1, 2, 2)), "signed zero, no bias")
    t = convt_req("conv_transpose2d", [1, 1, 3, 3], [1, 1, 2, 2], kind="i")
    t["input"], t["weight"], t["bias"] = tl(negz(1, 1, 3, 3)), tl(ones(1, 1, 2, 2)), [z]
    add(t, "signed zero")


# ============================================================================= main
def main():
    gen_conv()
    gen_convt()
    gen_pools()
    gen_unfold_fold()
    gen_backward()
    gen_shapes()
    gen_errors()
    gen_limits()  # last: its cases draw nothing from R, and the earlier cases stay as they were
    if PROBLEMS:
        for prob in PROBLEMS:
            print("PROBLEM: " + prob, file=sys.stderr)
        sys.exit("%d hand-written cases are wrong; golden.json not written" % len(PROBLEMS))

    header = dumps(OrderedDict([("generator", GENERATOR), ("torch_version", str(torch.__version__))]))
    lines = [dumps(enc(c)) for c in CASES]
    text = header[:-1] + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n"
    json.loads(text)  # well-formed
    assert len({c["name"] for c in CASES}) == len(CASES), "duplicate names"
    with open(OUT_PATH, "w") as f:
        f.write(text)

    # ---- summary
    ok_by_op, err_by_op, by_rule = Counter(), Counter(), Counter()
    for c in CASES:
        op = c["request"]["op"]
        (ok_by_op if c["expect"]["ok"] else err_by_op)[op] += 1
        if not c["expect"]["ok"]:
            by_rule[c["expect"]["rule"]] += 1
    ops = sorted(set(ok_by_op) | set(err_by_op), key=lambda o: (o.replace("_backward", "~"), o))
    print("%-24s %5s %5s %5s" % ("op", "ok", "error", "total"))
    for op in ops:
        print("%-24s %5d %5d %5d" % (op, ok_by_op[op], err_by_op[op], ok_by_op[op] + err_by_op[op]))
    print("%-24s %5d %5d %5d" % ("TOTAL", sum(ok_by_op.values()), sum(err_by_op.values()), len(CASES)))
    print()
    print("%-24s %5s" % ("error rule", "cases"))
    for r in RULES:
        print("%-24s %5d" % (r, by_rule[r]))
    print()
    print("coverage (success cases):")
    for k in sorted(FEATURES):
        print("  %-40s %4d" % (k, FEATURES[k]))
    size = len(text.encode())
    print()
    print("wrote %s: %d cases, %d bytes, torch %s" % (os.path.relpath(OUT_PATH), len(CASES), size, torch.__version__))
    for w in WARNINGS:
        print("WARNING: " + w)
    assert size < MAX_BYTES, "golden.json too large"
    assert len(CASES) >= 400, "too few cases"


if __name__ == "__main__":
    main()
