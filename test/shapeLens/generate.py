"""Writes the shape lens's expected shapes by running every model in PyTorch.

Run with Debian's PyTorch:  /usr/bin/python3 test/shapeLens/generate.py

For every `# conv-lens: input SHAPES [as EXPR]` comment above a class or a module-level `x = nn.Sequential(...)`
in corpus/*.py (public model files, kept verbatim apart from those comments) and models/*.py (the lens's own
fixtures), the model is built (`EXPR`, or the class with no arguments, or the module-level object), put in
eval() mode and called on zeros of the given shapes under torch.no_grad(). A forward hook on every module of
named_modules() that has no children records each call in call order: its path, its class, the how-many-th
call of that module it is, the shape of its first input and of its output (null when that is not a tensor).
If PyTorch raises, the error's type and first line are recorded with the path of the innermost module that
was running.

The model files run as they are. Two things the files import are not installed here and are replaced by stub
modules that give a placeholder for every name: torchvision (the files use it for datasets and pretrained
weights, never in the models' forward), and the sibling modules a torchvision file imports relatively
(`from .utils import load_state_dict_from_url`, `from ._api import WeightsEnum`, …). sys.argv is emptied so
that a script's argparse takes its defaults.

Writes corpus.json, expected.json (models/) and workspace.json (the editor tests' sample file).
"""
import importlib.abc
import importlib.machinery
import importlib.util
import json
import pathlib
import re
import sys
import types
import warnings

import torch
import torch.nn as nn

HERE = pathlib.Path(__file__).resolve().parent
INPUT = re.compile(r"^[ \t]*#\s*conv-lens\s*:\s*input\s+(.*)$", re.I)
DEFINITION = re.compile(r"^(?:class\s+(\w+)|(\w+)\s*(?::[^=]*)?=\s*(?:torch\.)?(?:nn\.)?Sequential\()")
PACKAGE = "conv_lens_corpus.models"


class _Stub(type):
    """A placeholder class: callable, subclassable, and every attribute is another placeholder."""

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub(name)

    def __call__(cls, *args, **kwargs):
        # used as a decorator factory (@handle_legacy_interface(...)) or a decorator: give the function back
        if len(args) == 1 and callable(args[0]) and not kwargs and not isinstance(args[0], _Stub):
            return args[0]
        return _stub("instance")

    def __len__(cls):
        return 1

    def __iter__(cls):
        return iter(())

    def __getitem__(cls, key):
        return _stub("item")


def _stub(name):
    return _Stub(name, (), {})


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub(name)


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Stub modules for torchvision and for the relative imports of a file loaded as PACKAGE.<name>."""

    def __init__(self):
        self.real = set()

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if fullname in self.real:
            return None
        if top == "torchvision" or (top == "conv_lens_corpus" and fullname not in self.real):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        m = _StubModule(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


FINDER = _StubFinder()
sys.meta_path.insert(0, FINDER)


def load(path):
    """Loads a model file as PACKAGE.<stem>, so that its relative imports resolve (to stubs)."""
    name = f"{PACKAGE}.{path.stem}"
    FINDER.real.add(name)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = PACKAGE
    sys.modules[name] = mod
    old_argv = sys.argv
    sys.argv = [str(path)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(mod)
    finally:
        sys.argv = old_argv
    return mod


def parse_spec(text):
    m = re.match(r"^(.*?)\s+as\s+(.+)$", text.strip())
    body, expr = (m.group(1), m.group(2).strip()) if m else (text.strip(), None)
    shapes = [[int(d) for d in re.split(r"\s*[x×*]\s*", part.strip())] for part in body.split(",")]
    return shapes, expr


def specs_of(src):
    """(name, line, shapes, as) for every model with an input comment just above it."""
    lines = src.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = INPUT.match(line)
        if not m:
            continue
        j = i + 1
        while j < len(lines) and (lines[j].strip() == "" or lines[j].lstrip().startswith("#") or lines[j].lstrip().startswith("@")):
            j += 1
        d = DEFINITION.match(lines[j]) if j < len(lines) else None
        if not d:
            continue
        shapes, expr = parse_spec(m.group(1))
        out.append((d.group(1) or d.group(2), j + 1, shapes, expr))
    return out


def shape(v):
    return list(v.shape) if isinstance(v, torch.Tensor) else None


def run_model(model, shapes):
    """Every call of a module without children, in call order, and the outputs (or PyTorch's error)."""
    model.eval()
    names = {}
    for name, m in model.named_modules():
        names.setdefault(id(m), name)
    calls = {}
    layers = []
    stack = []
    hooks = []

    def pre(m, inputs):
        stack.append(names.get(id(m), "?"))

    def post(m, inputs, output):
        stack.pop()
        if len(list(m.children())) > 0:
            return
        k = calls.get(id(m), 0)
        calls[id(m)] = k + 1
        layers.append(
            {
                "path": names[id(m)],
                "type": type(m).__name__,
                "call": k,
                "input_shape": shape(inputs[0]) if inputs else None,
                "output_shape": shape(output),
            }
        )

    for name, m in model.named_modules():
        hooks.append(m.register_forward_pre_hook(pre))
        hooks.append(m.register_forward_hook(post))
    error = None
    outputs = None
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model(*[torch.zeros(s) for s in shapes])
        items = out if isinstance(out, (tuple, list)) else [out]
        outputs = [shape(o) for o in items]
    except Exception as e:  # noqa: BLE001 - record what PyTorch says
        error = {"type": type(e).__name__, "message": str(e).split("\n")[0], "path": stack[-1] if stack else None}
    finally:
        for h in hooks:
            h.remove()
    return {"layers": layers, "output_shapes": outputs, "error": error}


def build(mod, name, expr):
    if expr:
        return eval(expr, vars(mod))  # noqa: S307 - the comment's constructor call, in the model file's namespace
    obj = getattr(mod, name)
    return obj() if isinstance(obj, type) else obj


def run_file(path):
    src = path.read_text()
    mod = load(path)
    models = []
    for name, line, shapes, expr in specs_of(src):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.manual_seed(0)
            model = build(mod, name, expr)
        r = run_model(model, shapes)
        models.append({"name": name, "line": line, "input_shapes": shapes, "as": expr, **r})
    return {"torch": torch.__version__, "models": models}


WORKSPACE = HERE.parent / "integration" / "workspace"


def workspace():
    """The editor tests' sample files (integration and e2e): each model as the tests use it."""
    out = {}
    sample = WORKSPACE / "shapes.py"
    src = sample.read_text()
    fixed = src.replace("in_channels=32", "in_channels=64", 1)
    assert fixed != src
    for label, text in (("", src), (" after the quick fix", fixed)):
        tmp = HERE / ".workspace_sample.py"
        tmp.write_text(text)
        try:
            mod = load(tmp)
            for name, line, shapes, expr in specs_of(text):
                out[name + label] = {"input_shapes": shapes, **run_model(build(mod, name, expr), shapes)}
            if label == "":
                out["encoder"] = {"input_shapes": [[1, 1, 16000]], **run_model(mod.encoder, [[1, 1, 16000]])}
        finally:
            tmp.unlink()
    resnet = WORKSPACE / "resnet_lens.py"
    if resnet.exists():
        text = resnet.read_text()
        fixed = text.replace("nn.Linear(2048, num_classes)", "nn.Linear(512, num_classes)", 1)
        for label, t in (("", text), (" after the quick fix", fixed)):
            tmp = HERE / ".workspace_resnet.py"
            tmp.write_text(t)
            try:
                mod = load(tmp)
                for name, line, shapes, expr in specs_of(t):
                    out["resnet_lens:" + name + label] = {"input_shapes": shapes, **run_model(build(mod, name, expr), shapes)}
            finally:
                tmp.unlink()
    notebook = WORKSPACE / "shape_lens_cells.ipynb"
    if notebook.exists():
        cells = json.loads(notebook.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        fixed = code.replace("nn.Linear(1000, 10)", "nn.Linear(4096, 10)", 1)
        for label, t in (("", code), (" after the quick fix", fixed)):
            tmp = HERE / ".workspace_cells.py"
            tmp.write_text(t)
            try:
                mod = load(tmp)
                for name, line, shapes, expr in specs_of(t):
                    out["cells:" + name + label] = {"input_shapes": shapes, **run_model(build(mod, name, expr), shapes)}
            finally:
                tmp.unlink()
    return out


def dump(obj):
    """JSON with one layer call per line (shapes inline), so that diffs of the fixtures stay readable."""
    text = json.dumps(obj, indent=1)
    text = re.sub(r"\[\s*((?:-?\d+,\s*)*-?\d+)\s*\]", lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    text = re.sub(r"\{\s*(\"path\"[^{}]*?)\s*\}", lambda m: "{" + re.sub(r"\n\s*", " ", m.group(1)) + "}", text)
    return text + "\n"


def summary(results):
    for f, r in results.items():
        for m in r["models"]:
            err = f" error: {m['error']['message']}" if m["error"] else ""
            print(f"{f}: {m['name']} {len(m['layers'])} layer calls -> {m['output_shapes']}{err}")


def main():
    corpus = {p.name: run_file(p) for p in sorted((HERE / "corpus").glob("*.py"))}
    (HERE / "corpus.json").write_text(dump(corpus))
    summary(corpus)
    models = {p.name: run_file(p) for p in sorted((HERE / "models").glob("*.py"))}
    (HERE / "expected.json").write_text(dump(models))
    summary(models)
    ws = workspace()
    (HERE / "workspace.json").write_text(dump(ws))
    for k, v in ws.items():
        print("workspace:", k, len(v["layers"]), "layer calls", v["error"]["message"] if v["error"] else "ok")
    total = sum(len(m["layers"]) for r in corpus.values() for m in r["models"])
    print(f"corpus: {len(corpus)} files, {sum(len(r['models']) for r in corpus.values())} models, {total} layer calls")


if __name__ == "__main__":
    main()
