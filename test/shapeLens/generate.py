"""Writes test/shapeLens/expected.json: for each model in models/*.py, the output shape of every step of its
chain (as PyTorch computes it, running the model on zeros one node at a time), or the error PyTorch raised.

Run with Debian's PyTorch:  /usr/bin/python3 test/shapeLens/generate.py

Each model file holds one model: a module-level nn.Sequential or an nn.Module class (built with no
arguments), under a `# conv-lens: input 1x3x224x224` comment that gives the input shape. The model is traced
with torch.fx (which inlines nn.Sequential), so its steps are the leaf modules and the functional calls
(F.relu, torch.flatten, x.view) in the order forward runs them, the same steps the TS parser reads.
"""
import importlib.util
import json
import pathlib
import re

import torch
import torch.fx
import torch.nn as nn

HERE = pathlib.Path(__file__).resolve().parent
INPUT = re.compile(r"#\s*conv-lens\s*:\s*input\s+(\d+(?:\s*[x×,*]\s*\d+)*)", re.I)


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def find_model(mod):
    found = []
    for name, obj in vars(mod).items():
        if isinstance(obj, nn.Sequential):
            found.append((name, obj))
        elif isinstance(obj, type) and issubclass(obj, nn.Module) and obj.__module__ == mod.__name__:
            found.append((name, obj()))
    assert len(found) == 1, f"{mod.__name__}: expected one model, found {[n for n, _ in found]}"
    return found[0]


def step_name(gm, node):
    if node.op == "call_module":
        return "module", type(gm.get_submodule(node.target)).__name__, node.target
    if node.op == "call_function":
        return "function", getattr(node.target, "__name__", str(node.target)), None
    return "method", node.target, None


def parse_shape(text):
    return [int(v) for v in re.split(r"\s*[x×,*]\s*", text)]


def run(path):
    src = path.read_text()
    m = INPUT.search(src)
    assert m, f"{path.name}: no conv-lens input comment"
    name, model = find_model(load(path))
    return run_model(name, model, parse_shape(m.group(1)))


def run_model(name, model, shape):
    model.eval()
    gm = torch.fx.symbolic_trace(model)
    env = {}
    steps = []
    error = None
    interp = torch.fx.Interpreter(gm)
    with torch.no_grad():
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                env[node] = torch.zeros(shape)
                continue
            if node.op == "output":
                break
            args = torch.fx.node.map_arg(node.args, lambda n: env[n])
            kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
            try:
                value = getattr(interp, node.op)(node.target, args, kwargs)
            except Exception as e:  # noqa: BLE001 - record what PyTorch says
                kind, op, target = step_name(gm, node)
                error = {"index": len(steps), "op": op, "type": type(e).__name__, "message": str(e).split("\n")[0]}
                break
            env[node] = value
            if not isinstance(value, torch.Tensor):
                continue  # x.size(0) and the like: not a step of the chain
            kind, op, target = step_name(gm, node)
            steps.append({"kind": kind, "op": op, "target": target, "shape": list(value.shape)})
    return {"model": name, "input": shape, "torch": torch.__version__, "steps": steps, "error": error}


WORKSPACE = HERE.parent / "integration" / "workspace" / "shapes.py"
DEFINITION = re.compile(r"^(?:class (\w+)|(\w+) = nn\.Sequential)", re.M)


def workspace():
    """The sample file of the editor tests (integration and e2e): each model under an input comment, the
    BuggyNet after the quick fix's edit, and the encoder at the shape the tests set with the command."""
    src = WORKSPACE.read_text()
    fixed = src.replace("in_channels=32", "in_channels=64", 1)
    assert fixed != src
    out = {}
    for label, text, extra in (("", src, {"encoder": [1, 1, 16000]}), (" after the quick fix", fixed, {})):
        ns = {}
        exec(compile(text, str(WORKSPACE), "exec"), ns)  # noqa: S102 - our own sample file
        for d in DEFINITION.finditer(text):
            name = d.group(1) or d.group(2)
            above = text[: d.start()].rstrip("\n").rsplit("\n", 1)[-1]
            c = INPUT.search(above)
            shape = parse_shape(c.group(1)) if c else extra.get(name)
            if shape is None:
                continue
            obj = ns[name]
            out[name + label] = run_model(name, obj() if isinstance(obj, type) else obj, shape)
    return out


def main():
    out = {p.name: run(p) for p in sorted((HERE / "models").glob("*.py"))}
    (HERE / "expected.json").write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out.items():
        print(k, len(v["steps"]), "steps", "error: " + v["error"]["message"] if v["error"] else "ok")
    ws = workspace()
    (HERE / "workspace.json").write_text(json.dumps(ws, indent=1) + "\n")
    for k, v in ws.items():
        print("workspace:", k, [s["shape"] for s in v["steps"]], "error: " + v["error"]["message"] if v["error"] else "ok")


if __name__ == "__main__":
    main()
