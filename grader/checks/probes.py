"""Snippets that run in the learner's process, for what only that process can do.

A check sends one of these with `sub.run(probe, ...)` (grader/judge.py): its source is defined
there, with the learner's module as `sub` and np, torch, nn, F, math, simdevice in reach, and what it returns
comes back as plain data. A probe only calls the learner's code and reads what it produced (a
result's autograd graph, a module's parameters and gradients); it never holds an expected value,
and nothing it returns is trusted more than the learner's own results. Every probe must use only
operations that no exercise forbids, since the learner's process refuses those.
"""
from __future__ import annotations

# ruff: noqa: F821 - sub, torch, nn and F are the learner's process's names (grader/learner.py)


def backward_probe(name, args, kwargs, wrt, upstream, pick=None):
    """sub.<name>(*args, **kwargs) with args[i], i in `wrt`, made leaves that require grad; then the
    gradients of sum(out * upstream) (of out itself, 0-dim, when upstream is None) w.r.t. those
    leaves (None where none reaches one). `pick`: the result's item to differentiate (a function
    that returns a tuple); the whole result comes back.
    Returns (out, records_history, grads): grads is None when out records no history or has
    another shape than upstream."""
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().clone().requires_grad_(True)
    result = getattr(sub, name)(*args, **kwargs)
    out = result
    if pick is not None:
        out = result[pick] if type(result) in (tuple, list) and len(result) > pick else None
    records = type(out) is torch.Tensor and out.requires_grad and out.grad_fn is not None
    grads = None
    if records and (upstream is None and out.dim() == 0 or upstream is not None and tuple(out.shape) == tuple(upstream.shape)):
        scalar = out if upstream is None else (out * upstream.to(out.dtype)).sum()
        grads = list(torch.autograd.grad(scalar, [args[i] for i in wrt], allow_unused=True))
    if pick is not None:
        return result, records, grads
    if type(out) is torch.Tensor:
        out = out.detach()
    return out, records, grads


def module_facts(model, attributes):
    """What a check asks of the learner's nn.Module: is it one, its children (type, nn.Linear?,
    bias?), its parameter names, and the weight and bias of each of `attributes` that is an
    nn.Linear."""
    facts = {"is_module": isinstance(model, nn.Module), "type": type(model).__name__}
    if not facts["is_module"]:
        return facts
    facts["children"] = {name: [type(m).__name__, isinstance(m, nn.Linear), getattr(m, "bias", None) is not None]
                         for name, m in model.named_children()}
    facts["parameters"] = sorted(name for name, _ in model.named_parameters())
    facts["linear"] = {}
    for attr in attributes:
        layer = getattr(model, attr, None)
        if isinstance(layer, nn.Linear):
            facts["linear"][attr] = [layer.weight.detach(), None if layer.bias is None else layer.bias.detach()]
    return facts


def set_linear(model, values):
    """Copy {attribute: [weight, bias]} into the learner's nn.Linear layers."""
    with torch.no_grad():
        for attr, (weight, bias) in values.items():
            layer = getattr(model, attr)
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)


def module_backward(model, args, wrt, upstream, attributes):
    """model(*args) with args[i], i in `wrt`, as leaves; backward of sum(out * upstream). Returns
    (out, records_history, {attribute: [weight.grad, bias.grad]}, [leaf grads])."""
    model.zero_grad()
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().clone().requires_grad_(True)
    out = model(*args)
    records = type(out) is torch.Tensor and out.requires_grad and out.grad_fn is not None
    grads, leaf_grads = {}, None
    if records and tuple(out.shape) == tuple(upstream.shape):
        (out * upstream.to(out.dtype)).sum().backward()
        for attr in attributes:
            layer = getattr(model, attr)
            grads[attr] = [layer.weight.grad, None if layer.bias is None else layer.bias.grad]
        leaf_grads = [args[i].grad for i in wrt]
    return (out.detach() if type(out) is torch.Tensor else out), records, grads, leaf_grads


def layer_facts(layer, names=("weight", "bias")):
    """Is it an nn.Module; its registered parameters (and whether each is an nn.Parameter that
    requires grad); which of `names` are plain tensor attributes; its state_dict's keys."""
    facts = {"is_module": isinstance(layer, nn.Module)}
    if facts["is_module"]:
        facts["parameters"] = {name: p.detach() for name, p in layer.named_parameters()}
        facts["is_parameter"] = {name: isinstance(p, nn.Parameter) and p.requires_grad
                                 for name, p in layer.named_parameters()}
        facts["plain"] = [attr for attr in names if isinstance(getattr(layer, attr, None), torch.Tensor)]
        facts["state_keys"] = sorted(layer.state_dict())
    return facts


def set_parameters(layer, values):
    """Copy {name: value} into the layer's registered parameters."""
    params = dict(layer.named_parameters())
    with torch.no_grad():
        for name, value in values.items():
            params[name].copy_(value)


def parameter_backward(model, args, wrt, upstream):
    """model(*args) with args[i], i in `wrt`, as leaves; backward of sum(out * upstream). Returns
    (out, has grad_fn, {parameter name: grad}, [leaf grads])."""
    model.zero_grad()
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().clone().requires_grad_(True)
    out = model(*args)
    records = type(out) is torch.Tensor and out.grad_fn is not None
    grads, leaf_grads = {}, []
    if records and tuple(out.shape) == tuple(upstream.shape):
        (out * upstream).sum().backward()
        grads = {name: p.grad for name, p in model.named_parameters()}
        leaf_grads = [args[i].grad for i in wrt]
    return (out.detach() if type(out) is torch.Tensor else out), records, grads, leaf_grads


def load_state(model, state):
    """model.load_state_dict(state); the error's text, or None."""
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        return str(exc)
    return None


def on_sim_device(name, model, x, y, batch_size, *between):
    """sub.<name>(model, batches, *between, device) with the batches in host memory and the model on
    the pretend device (grader/simdevice.py); returns (result, what would have failed on a GPU)."""
    batches = simdevice.HostBatches(x, y, batch_size)
    with simdevice.Simulated() as simulated:
        got = getattr(sub, name)(model, batches, *between, simdevice.SIM_DEVICE)
    if isinstance(got, torch.Tensor):  # an OnHost result is still a plain tensor's values
        got = got.as_subclass(torch.Tensor)
    return got, simulated.facts()
