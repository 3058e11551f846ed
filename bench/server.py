"""A tiny static file server for the benchmarks: HTTP/1.1, keep-alive-free by default, Content-Type from
the file name, bodies sent with socket.sendfile (zero copy), so the server is never the
bottleneck (python3 -m http.server copies in 64 KiB pieces and skews the comparison).
Prints its port on the first line of stdout once it listens. Usage: server.py ROOT [--keep-alive]
(--keep-alive: connections stay open for further requests, for the request-file case)."""
import mimetypes, os, socket, sys, threading

root = sys.argv[1]
keep_alive = "--keep-alive" in sys.argv[2:]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)


def serve(conn):
    # Like nginx, no Nagle delay between the head and the body (else a delayed ACK can add
    # 40 ms to one client and not another, depending on its read pattern).
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            # GETs only: no request body follows the head.
            head, buf = buf.split(b"\r\n\r\n", 1)
            if not respond(conn, head.split(b" ", 2)[1].decode()) or not keep_alive:
                return


def respond(conn, target):
    """Send the file `target` names; False when the connection should close."""
    path = os.path.join(root, os.path.basename(target.split("?")[0]))
    close = b"" if keep_alive else b"Connection: close\r\n"
    try:
        f = open(path, "rb")
    except OSError:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n%s\r\n" % close)
        return keep_alive
    with f:
        n = os.fstat(f.fileno()).st_size
        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n"
                     % (ctype.encode(), n, close))
        try:
            conn.sendfile(f)
        except OSError:
            return False
    return True


while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
