/**
 * The Python that answers a Conv Lens request with PyTorch itself (torch.nn.functional, float64), for Verify in
 * PyTorch. It reads one request in the CLI's JSON form on stdin and writes one JSON answer on stdout:
 *   {"ok": true, "torch": "1.13.1", "python": "/usr/bin/python3", "outputs": {"output": […], "indices": […]}}
 *   {"ok": false, "torch_error": "RuntimeError: …"}          PyTorch refuses the request
 *   {"ok": false, "missing": "torch", "error": "…"}          this interpreter has no torch
 * NaN and the infinities travel as "NaN", "Infinity", "-Infinity", as in the CLI. Pure: no vscode.
 */
export const VERIFY_SCRIPT = String.raw`
import json, math, sys


def answer(obj):
    sys.stdout.write(json.dumps(obj, allow_nan=False))
    sys.stdout.flush()


def encode(v):
    if isinstance(v, float):
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
        return v
    if isinstance(v, list):
        return [encode(x) for x in v]
    return v


SPECIAL = {'NaN': float('nan'), 'Infinity': float('inf'), '-Infinity': float('-inf')}


def decode(v):
    if isinstance(v, str):
        if v not in SPECIAL:
            raise ValueError('a tensor holds the string %r; numbers, "NaN", "Infinity", "-Infinity" only' % v)
        return SPECIAL[v]
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v


try:
    import torch
    import torch.nn.functional as F
except Exception as e:
    answer(dict(ok=False, missing='torch', python=sys.executable, python_version=sys.version.split()[0],
                error='%s: %s' % (type(e).__name__, e)))
    sys.exit(0)

DT = torch.float64


def T(nested, grad=False):
    t = torch.tensor(decode(nested), dtype=DT)
    return t.requires_grad_(True) if grad else t


def listed(t):
    return None if t is None else encode(t.detach().tolist())


def prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def ntuple(v, n):
    return [v] * n if isinstance(v, int) else list(v)


def rank_of(op):
    for r in '123':
        if r + 'd' in op:
            return int(r)
    return 2


def conv_forward(op, req, x, w, b):
    # F.convNd; padding_mode as nn.ConvNd applies it (F.pad with the reversed per-dim pads, then padding 0);
    # flip=True is true convolution (the kernel flipped in every spatial dim)
    nd = rank_of(op)
    fn = getattr(F, op)
    stride = req.get('stride', 1)
    padding = req.get('padding', 0)
    dilation = req.get('dilation', 1)
    groups = req.get('groups', 1)
    mode = req.get('padding_mode', 'zeros')
    if req.get('flip'):
        w = torch.flip(w, dims=list(range(2, w.dim())))
    if mode == 'zeros':
        return fn(x, w, b, stride, padding, dilation, groups)
    if isinstance(padding, str):
        if padding not in ('same', 'valid'):
            raise ValueError("Invalid padding string %r, should be one of {'same', 'valid'}" % padding)
        if padding == 'same' and any(s != 1 for s in ntuple(stride, nd)):
            raise ValueError("padding='same' is not supported for strided convolutions")
        ks = list(w.shape[2:])
        rev = [0, 0] * len(ks)
        if padding == 'same':
            for d, k, i in zip(ntuple(dilation, nd), ks, range(len(ks) - 1, -1, -1)):
                total = d * (k - 1)
                rev[2 * i] = total // 2
                rev[2 * i + 1] = total - total // 2
    else:
        rev = []
        for q in reversed(ntuple(padding, nd)):
            rev += [q, q]
    unbatched = x.dim() == nd + 1
    xx = x.unsqueeze(0) if unbatched else x
    xx = F.pad(xx, rev, mode=mode)
    if unbatched:
        xx = xx.squeeze(0)
    return fn(xx, w, b, stride, 0, dilation, groups)


def forward(op, req, x, w=None, b=None):
    if op.startswith('conv_transpose'):
        return getattr(F, op)(x, w, b, stride=req.get('stride', 1), padding=req.get('padding', 0),
                              output_padding=req.get('output_padding', 0), groups=req.get('groups', 1),
                              dilation=req.get('dilation', 1))
    if op.startswith('conv'):
        return conv_forward(op, req, x, w, b)
    if op.startswith('max_pool'):
        return getattr(F, op)(x, kernel_size=req['kernel_size'], stride=req.get('stride'),
                              padding=req.get('padding', 0), dilation=req.get('dilation', 1),
                              ceil_mode=req.get('ceil_mode', False), return_indices=req.get('return_indices', False))
    if op.startswith('avg_pool'):
        kw = dict(kernel_size=req['kernel_size'], stride=req.get('stride'), padding=req.get('padding', 0),
                  ceil_mode=req.get('ceil_mode', False), count_include_pad=req.get('count_include_pad', True))
        if op != 'avg_pool1d':
            kw['divisor_override'] = req.get('divisor_override')
        return getattr(F, op)(x, **kw)
    if op == 'unfold':
        return F.unfold(x, kernel_size=req['kernel_size'], dilation=req.get('dilation', 1),
                        padding=req.get('padding', 0), stride=req.get('stride', 1))
    if op == 'fold':
        return F.fold(x, output_size=req['output_size'], kernel_size=req['kernel_size'],
                      dilation=req.get('dilation', 1), padding=req.get('padding', 0), stride=req.get('stride', 1))
    raise NotImplementedError('%s has no torch.nn.functional counterpart to check it against' % op)


def operands(req, grad=False):
    x = T(req['input'], grad)
    w = T(req['weight'], grad) if req.get('weight') is not None else None
    b = T(req['bias'], grad) if req.get('bias') is not None else None
    return x, w, b


def run(req):
    op = req['op']
    if op == 'shape':
        of = req['of']
        weight_shape = req.get('weight_shape')
        size = prod(req['input_shape']) + (prod(weight_shape) if weight_shape else 0)
        # real zeros give PyTorch's own error messages; the meta device (shapes without memory) for huge ones
        device = 'cpu' if size <= 20000000 else 'meta'
        x = torch.zeros(req['input_shape'], dtype=DT, device=device)
        w = torch.zeros(weight_shape, dtype=DT, device=device) if weight_shape else None
        out = forward(of, dict(req), x, w, None)
        if isinstance(out, tuple):
            out = out[0]
        return dict(shape=list(out.shape))
    if op.endswith('_backward'):
        base = op[: -len('_backward')]
        x, w, b = operands(req, grad=True)
        out = forward(base, req, x, w, b)
        if isinstance(out, tuple):
            out = out[0]
        out.backward(T(req['grad_output']))
        outputs = dict(grad_input=listed(x.grad))
        if w is not None:
            outputs['grad_weight'] = listed(w.grad)
        if b is not None:
            outputs['grad_bias'] = listed(b.grad)
        return dict(outputs=outputs, shape=list(out.shape))
    if op == 'gradcheck':
        of = req['of']
        x, w, b = operands(req)
        names = [n for n, t in (('input', x), ('weight', w), ('bias', b)) if t is not None]
        wrt = req.get('wrt') or names
        wrt = [wrt] if isinstance(wrt, str) else wrt
        tensors = dict(input=x, weight=w, bias=b)
        for n in wrt:
            tensors[n].requires_grad_(True)

        def fn(*args):
            given = dict(zip(wrt, args))
            pick = lambda n: given.get(n, tensors[n])
            out = forward(of, req, pick('input'), pick('weight'), pick('bias'))
            return out[0] if isinstance(out, tuple) else out

        kw = dict(raise_exception=False, fast_mode=bool(req.get('fast_mode', False)))
        for k in ('eps', 'atol', 'rtol'):
            if req.get(k) is not None:
                kw[k] = req[k]
        passed = torch.autograd.gradcheck(fn, tuple(tensors[n] for n in wrt), **kw)
        out = fn(*(tensors[n] for n in wrt))
        grad_output = T(req['grad_output']) if req.get('grad_output') is not None else torch.ones_like(out)
        out.backward(grad_output)
        outputs = {'grad_' + n: listed(tensors[n].grad) for n in wrt}
        return dict(outputs=outputs, passed=bool(passed), shape=list(out.shape))
    x, w, b = operands(req)
    with torch.no_grad():
        out = forward(op, req, x, w, b)
    if isinstance(out, tuple):
        out, indices = out
        return dict(outputs=dict(output=listed(out), indices=listed(indices)), shape=list(out.shape))
    return dict(outputs=dict(output=listed(out)), shape=list(out.shape))


def main():
    try:
        req = json.loads(sys.stdin.read())
    except ValueError as e:
        answer(dict(ok=False, error='the request is not JSON: %s' % e))
        return
    base = dict(torch=torch.__version__, python=sys.executable, python_version=sys.version.split()[0])
    try:
        result = run(req)
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError) as e:
        answer(dict(ok=False, torch_error='%s: %s' % (type(e).__name__, e), **base))
        return
    answer(dict(ok=True, **result, **base))


main()
`;
