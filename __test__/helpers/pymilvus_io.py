"""Writes and reads rows through pymilvus, for the interoperability tests.

Reads one JSON request on stdin:
  {"uri": ..., "collection": ..., "action": "insert", "rows": [...]}   -> {"insert_count": n}
  {"uri": ..., "collection": ..., "action": "query", "filter": ...}      -> {"rows": [...]}
Rows travel in one canonical JSON form on both sides: int64 as decimal strings, binary vectors
as byte lists, float16/bfloat16 vectors as numbers, sparse vectors as {"index": value}.
"""
import json
import struct
import sys

import numpy as np
from pymilvus import DataType, MilvusClient


def bf16_bytes(values):
    # Exact for values that bfloat16 represents, which is all the tests send.
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def bf16_values(raw):
    return [struct.unpack("<f", b"\x00\x00" + raw[i:i + 2])[0] for i in range(0, len(raw), 2)]


def to_python(field, value):
    if value is None:
        return None
    t = field["type"]
    if t == DataType.INT64:
        return int(value)
    if t == DataType.BINARY_VECTOR:
        return bytes(value)
    if t == DataType.FLOAT16_VECTOR:
        return np.array(value, dtype=np.float16)
    if t == DataType.BFLOAT16_VECTOR:
        return bf16_bytes(value)
    if t == DataType.SPARSE_FLOAT_VECTOR:
        return {int(k): float(v) for k, v in value.items()}
    if t == DataType.ARRAY and field.get("element_type") == DataType.INT64:
        return [int(v) for v in value]
    return value


def to_json(field, value):
    if value is None:
        return None
    t = field["type"]
    if t == DataType.INT64:
        return str(value)
    if t == DataType.BINARY_VECTOR:
        raw = value[0] if isinstance(value, list) else value
        return list(bytes(raw))
    if t == DataType.FLOAT16_VECTOR:
        raw = value[0] if isinstance(value, list) else value
        return [float(x) for x in np.frombuffer(bytes(raw), dtype=np.float16)]
    if t == DataType.BFLOAT16_VECTOR:
        raw = value[0] if isinstance(value, list) else value
        return bf16_values(bytes(raw))
    if t == DataType.FLOAT_VECTOR:
        return [float(x) for x in value]
    if t == DataType.SPARSE_FLOAT_VECTOR:
        return {str(k): float(v) for k, v in dict(value).items()}
    if t == DataType.ARRAY:
        items = list(value)
        return [str(v) for v in items] if field.get("element_type") == DataType.INT64 else items
    return value


def main():
    req = json.load(sys.stdin)
    client = MilvusClient(uri=f"http://{req['uri']}")
    schema = client.describe_collection(req["collection"])
    fields = {f["name"]: f for f in schema["fields"]}
    if req["action"] == "insert":
        rows = []
        for row in req["rows"]:
            out = {}
            for key, value in row.items():
                out[key] = to_python(fields[key], value) if key in fields else value
            rows.append(out)
        res = client.insert(req["collection"], rows)
        print(json.dumps({"insert_count": res["insert_count"]}))
    else:
        rows = client.query(req["collection"], filter=req["filter"], output_fields=["*"])
        out = []
        for row in rows:
            out.append({k: to_json(fields[k], v) if k in fields else v for k, v in row.items()})
        print(json.dumps({"rows": out}))


main()
