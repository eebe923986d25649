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


def run(path):
    src = path.read_text()
    m = INPUT.search(src)
    assert m, f"{path.name}: no conv-lens input comment"
    shape = [int(v) for v in re.split(r"\s*[x×,*]\s*", m.group(1))]
    name, model = find_model(load(path))
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


def main():
    out = {p.name: run(p) for p in sorted((HERE / "models").glob("*.py"))}
    (HERE / "expected.json").write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out.items():
        print(k, len(v["steps"]), "steps", "error: " + v["error"]["message"] if v["error"] else "ok")


if __name__ == "__main__":
    main()
