"""A tiny static file server for the benchmarks: keep-alive-free HTTP/1.1, Content-Type from
the file name, bodies sent with socket.sendfile (zero copy), so the server is never the
bottleneck (python3 -m http.server copies in 64 KiB pieces and skews the comparison).
Prints its port on the first line of stdout once it listens. Usage: server.py ROOT"""
import mimetypes, os, socket, sys, threading

root = sys.argv[1]
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
        head = b""
        while b"\r\n\r\n" not in head:
            data = conn.recv(65536)
            if not data:
                return
            head += data
        target = head.split(b" ", 2)[1].decode()
        path = os.path.join(root, os.path.basename(target.split("?")[0]))
        try:
            f = open(path, "rb")
        except OSError:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        with f:
            n = os.fstat(f.fileno()).st_size
            ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % (ctype.encode(), n))
            try:
                conn.sendfile(f)
            except OSError:
                pass


while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
