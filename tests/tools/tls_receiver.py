"""An HTTPS server on 127.0.0.1 for the exporters' TLS tests, built on Python's http.server and ssl.

    python3 tls_receiver.py SERVER_CERT SERVER_KEY CLIENT_CA LIFETIME_SECONDS

Requires a client certificate signed by CLIENT_CA (mutual TLS). Answers every POST with 200 and an
empty body. Prints "<port> <pid>" on its first line, then serves until killed or until
LIFETIME_SECONDS have passed, so that it never outlives a test that forgot it.
"""
import http.server
import os
import signal
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    cert, key, client_ca, lifetime = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(client_ca)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A failed handshake raises in accept(), which socketserver ignores (ssl.SSLError is an OSError).
    server.socket = context.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the test's way to stop it
    print(server.server_address[1], os.getpid(), flush=True)
    # A daemon: the exit on SIGTERM must not wait for the lifetime to run out (it did: 60 s a test).
    lifetime_timer = threading.Timer(lifetime, server.shutdown)
    lifetime_timer.daemon = True
    lifetime_timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
