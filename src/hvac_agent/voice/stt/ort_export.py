"""An ORT-format model back as loadable ONNX bytes, so onnxruntime can optimize it at load.

onnxruntime serializes any session's graph as ONNX (`optimized_model_filepath`), but from an
ORT-format file it leaves control-flow subgraphs (an `If`'s branches) without the name ONNX
requires, and that ONNX is then refused ("Field 'name' of 'graph' is required to be non-empty").
Naming them is a small edit of the protobuf wire format (ModelProto.graph → GraphProto.node →
NodeProto.attribute → AttributeProto.g/graphs → GraphProto.name), done here directly rather than
through PyPI `onnx`, whose import alone costs seconds and a protobuf stack.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

# Which length-delimited fields hold the messages we walk into (numbers from onnx.proto).
_MODEL_GRAPH = 7
_GRAPH_NODE, _GRAPH_NAME = 1, 2
_NODE_ATTRIBUTE = 5
_ATTRIBUTE_GRAPH, _ATTRIBUTE_GRAPHS = 6, 7
_CHILDREN: dict[str, dict[int, str]] = {
    "model": {_MODEL_GRAPH: "graph"},
    "graph": {_GRAPH_NODE: "node"},
    "node": {_NODE_ATTRIBUTE: "attribute"},
    "attribute": {_ATTRIBUTE_GRAPH: "graph", _ATTRIBUTE_GRAPHS: "graph"},
}
_LENGTH_DELIMITED = 2


def ort_to_onnx(ort: Any, ort_path: str) -> bytes:
    """The model in `ort_path` as ONNX bytes, every graph named, no optimization applied."""
    export = ort.SessionOptions()
    export.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    with tempfile.TemporaryDirectory(prefix="ort-export-") as tmp:
        export.optimized_model_filepath = os.path.join(tmp, "model.onnx")
        ort.InferenceSession(ort_path, export, providers=["CPUExecutionProvider"])
        with open(export.optimized_model_filepath, "rb") as handle:
            data = handle.read()
    return name_graphs(data)


def name_graphs(model: bytes) -> bytes:
    """Give every unnamed graph in a serialized ModelProto a unique name (`graph_N`)."""
    counter = [0]
    return bytes(_rewrite(memoryview(model), "model", counter))


def _rewrite(buf: memoryview, kind: str, counter: list[int]) -> bytearray:
    out = bytearray()
    named = False
    at = 0
    while at < len(buf):
        start = at
        key, at = _read_varint(buf, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, at = _read_varint(buf, at)
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        elif wire == _LENGTH_DELIMITED:
            size, body = _read_varint(buf, at)
            at = body + size
            if at > len(buf):
                raise ValueError("truncated protobuf field")
            child = _CHILDREN.get(kind, {}).get(field)
            if child is not None:
                inner = _rewrite(buf[body:at], child, counter)
                out += _varint(key) + _varint(len(inner)) + inner
                continue
            named = named or (kind == "graph" and field == _GRAPH_NAME and size > 0)
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out += buf[start:at]
    if kind == "graph" and not named:  # appended last: for a scalar field the last value wins
        counter[0] += 1
        name = f"graph_{counter[0]}".encode()
        out += _varint(_GRAPH_NAME << 3 | _LENGTH_DELIMITED) + _varint(len(name)) + name
    return out


def _read_varint(buf: memoryview, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(buf):
            raise ValueError("truncated protobuf varint")
        byte = buf[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
