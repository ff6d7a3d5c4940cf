"""Exits 0 when a hex-encoded gRPC reply body (5-byte frame header, then the message) holds a
successful common.Status in field 1: error_code (1) and code (3) both zero.  Stdlib only.

usage: python3 grpc_status_ok.py HEX
"""
import sys


def varint(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(buf):
    i, out = 0, {}
    while i < len(buf):
        key, i = varint(buf, i)
        wire = key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        out.setdefault(key >> 3, value)
    return out


try:
    raw = bytes.fromhex(sys.argv[1])
    message = raw[5:5 + int.from_bytes(raw[1:5], "big")]
    status = fields(fields(message).get(1, b""))
    sys.exit(0 if status.get(1, 0) == 0 and status.get(3, 0) == 0 else 1)
except Exception:
    sys.exit(2)
