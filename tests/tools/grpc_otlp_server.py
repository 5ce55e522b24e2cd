#!/usr/bin/python3
"""A scripted OTLP/gRPC receiver for lumen's tests, built on Debian's python3-grpcio (a gRPC
server lumen did not write). It accepts any method, so the request is seen exactly as sent:

  /usr/bin/python3 grpc_otlp_server.py RECORD_DIR 'RESPONSES_JSON' [identity-only]
                                       [tls=SERVER_CERT,SERVER_KEY,CLIENT_CA]

prints the port it listens on (127.0.0.1, chosen by the system) as its first stdout line, then
serves until killed. Each request N (0-based) is recorded as RECORD_DIR/N.bin (the message bytes,
already decompressed by grpcio when grpc-encoding was gzip) and RECORD_DIR/N.json (method,
metadata, the deadline the client gave, the arrival time); N.json is written last, after the answer
is decided, so a test that sees it sees the whole request.

With tls=..., the port is a TLS one (gRPC's h2 negotiated by ALPN) that requires a client
certificate signed by CLIENT_CA (mutual TLS), as a production collector would.

With identity-only, the server accepts no compressed request (grpcio answers UNIMPLEMENTED to one
sent with grpc-encoding gzip): the way a test tells that a request really was compressed.

RESPONSES_JSON is a list; request N gets entry min(N, len-1). An entry may hold:
  "code": a grpc.StatusCode name (default "OK"), "message": the status message,
  "retry_delay_ms": adds google.rpc.RetryInfo{retry_delay} to grpc-status-details-bin,
  "sleep_ms": wait before answering (to run past the client's deadline),
  "rejected" / "error_message": the response's partial_success (field 1: count, field 2: text).
"""
import json
import os
import sys
import threading
import time
from concurrent import futures

import grpc


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, wire, payload):
    key = varint((number << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def status_details(code, message, retry_delay_ms):
    """google.rpc.Status{code, message, details: [Any{RetryInfo{retry_delay: Duration}}]}."""
    seconds, millis = divmod(retry_delay_ms, 1000)
    duration = b""
    if seconds:
        duration += field(1, 0, seconds)
    if millis:
        duration += field(2, 0, millis * 1_000_000)
    retry_info = field(1, 2, duration)
    any_message = field(1, 2, b"type.googleapis.com/google.rpc.RetryInfo") + field(2, 2, retry_info)
    return field(1, 0, code) + field(2, 2, message.encode()) + field(3, 2, any_message)


def main():
    record_dir = sys.argv[1]
    responses = json.loads(sys.argv[2])
    flags = sys.argv[3:]
    identity_only = "identity-only" in flags
    tls = next((flag[len("tls="):].split(",") for flag in flags if flag.startswith("tls=")), None)
    lock = threading.Lock()
    counter = [0]

    def handle(request, context):
        with lock:
            n = counter[0]
            counter[0] += 1
        spec = responses[min(n, len(responses) - 1)]
        with open(os.path.join(record_dir, f"{n}.bin"), "wb") as f:
            f.write(request)
        record = {
            "method": method_of[id(context)] if id(context) in method_of else None,
            "metadata": [[k, v if isinstance(v, str) else v.hex()]
                         for k, v in context.invocation_metadata()],
            "time_remaining": context.time_remaining(),
            "arrived": time.monotonic(),
        }
        if spec.get("sleep_ms"):
            time.sleep(spec["sleep_ms"] / 1000)
        code = getattr(grpc.StatusCode, spec.get("code", "OK"))
        tmp = os.path.join(record_dir, f"{n}.json.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(record_dir, f"{n}.json"))
        if code != grpc.StatusCode.OK:
            trailing = []
            if "retry_delay_ms" in spec:
                trailing.append(("grpc-status-details-bin",
                                 status_details(code.value[0], spec.get("message", ""),
                                                spec["retry_delay_ms"])))
            context.set_trailing_metadata(trailing)
            context.abort(code, spec.get("message", ""))
        partial = b""
        if spec.get("rejected"):
            partial += field(1, 0, spec["rejected"])
        if spec.get("error_message"):
            partial += field(2, 2, spec["error_message"].encode())
        return field(1, 2, partial) if partial else b""

    method_of = {}

    class AnyMethod(grpc.GenericRpcHandler):
        def service(self, handler_call_details):
            method = handler_call_details.method

            def behaviour(request, context):
                method_of[id(context)] = method
                try:
                    return handle(request, context)
                finally:
                    method_of.pop(id(context), None)

            # Raw bytes in and out: no deserializer, so the recorded message is what was sent.
            return grpc.unary_unary_rpc_method_handler(behaviour)

    # Bit 0 of the bitset is identity; gzip (bit 2) is on by default.
    options = [("grpc.compression_enabled_algorithms_bitset", 1)] if identity_only else []
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
    server.add_generic_rpc_handlers((AnyMethod(),))
    if tls:
        cert, key, client_ca = (open(path, "rb").read() for path in tls)
        credentials = grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca,
                                                  require_client_auth=True)
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
