"""optimum-style merge of a decoder exported without past (decoder_model.onnx) and with past
(decoder_with_past_model.onnx) into one decoder_model_merged.onnx: the graph inputs are the with-past inputs plus
`use_cache_branch` (bool [1]); one If node runs the with-past graph (then) or the without-past graph (else).
Initializers of both branches move to the outer graph, identical tensors shared; every inner value and node name
is prefixed per branch so the subgraphs never collide."""
import copy
import hashlib

import onnx
from onnx import helper


def merge_decoders(no_past, with_past, output_dims):
    """optimum-style merge: one graph, an If on `use_cache_branch` (then = with past, else = without).
    Initializers of both branches move to the outer graph, identical tensors shared; every inner value is
    prefixed per branch so the two subgraphs never collide."""
    inits = {}
    by_hash = {}

    def branch(model, prefix, outer_inputs):
        g = model.graph
        rename = {}
        for t in g.initializer:
            key = hashlib.sha256(t.SerializeToString().replace(t.name.encode(), b"")).hexdigest()
            if key not in by_hash:
                name = f"shared_{len(by_hash)}"
                t2 = copy.deepcopy(t)
                t2.name = name
                by_hash[key] = name
                inits[name] = t2
            rename[t.name] = by_hash[key]
        for i in g.input:
            assert i.name in outer_inputs, i.name
            rename[i.name] = i.name
        nodes = []
        for n in g.node:
            n2 = copy.deepcopy(n)
            n2.name = prefix + n.name
            n2.input[:] = [rename.get(x, prefix + x) if x else x for x in n.input]
            n2.output[:] = [prefix + x for x in n.output]
            nodes.append(n2)
        outs = [helper.make_tensor_value_info(prefix + o.name, o.type.tensor_type.elem_type, None) for o in g.output]
        return helper.make_graph(nodes, prefix.strip("/"), [], outs)

    outer_inputs = {i.name for i in with_past.graph.input}
    then_g = branch(with_past, "with_past/", outer_inputs)
    else_g = branch(no_past, "no_past/", outer_inputs)
    use_cache = helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    out_names = [o.name for o in with_past.graph.output]
    node = helper.make_node("If", ["use_cache_branch"], out_names, name="optimum::if", then_branch=then_g, else_branch=else_g)
    outputs = []
    for o in with_past.graph.output:
        outputs.append(helper.make_tensor_value_info(o.name, onnx.TensorProto.FLOAT, output_dims[o.name]))
    graph = helper.make_graph([node], "decoder_model_merged", list(with_past.graph.input) + [use_cache], outputs,
                              initializer=list(inits.values()))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="diff2in1-tiny")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
