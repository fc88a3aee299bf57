"""Baseline servers for bench/run.py, each answering a constant small JSON body.

    python bench/baselines.py asyncio PORT            # (a) the Python ceiling: a bare asyncio.Protocol server
    python bench/baselines.py node PORT               # (n) the Node ceiling: node's `http` module (execs node)
    python bench/baselines.py mitm-reverse PORT DIR   # (b) a lean mitmproxy master, reverse (base-URL) form
    python bench/baselines.py mitm-forward PORT DIR   # (b) the same as a forward HTTPS proxy (CONNECT + TLS)

Prints READY when listening; runs until killed.
"""

from __future__ import annotations

import asyncio
import os
import sys

BODY = b'{"object":"user","id":"user_2xhFjEI5X2qWRvtV13BzSj8H6Dk","first_name":"Alice","banned":false}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


class ConstProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:  # GETs only: no body to read
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(RESPONSE)  # type: ignore[attr-defined]


async def serve_asyncio(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(ConstProtocol, "127.0.0.1", port)
    print("READY", flush=True)
    await server.serve_forever()


async def serve_mitm(mode: str, port: int, confdir: str) -> None:
    from mitmproxy import http
    from mitmproxy.addons import core, next_layer, proxyserver, tlsconfig
    from mitmproxy.master import Master
    from mitmproxy.options import Options

    class Const:
        def request(self, flow: http.HTTPFlow) -> None:
            flow.response = http.Response.make(200, BODY, {"content-type": "application/json"})

    class Ready:
        def running(self) -> None:
            print("READY", flush=True)

    spec = "reverse:https://api.clerk.com" if mode == "mitm-reverse" else "regular"
    opts = Options(mode=[spec], listen_host="127.0.0.1", listen_port=port, confdir=confdir)
    master = Master(opts)
    master.addons.add(core.Core(), proxyserver.Proxyserver(), next_layer.NextLayer(), tlsconfig.TlsConfig())
    master.addons.add(Const(), Ready())
    opts.update(connection_strategy="lazy")
    await master.run()


# Node's http module with keep-alive: the ceiling of any Node emulator (parlel's and the like are built on it).
NODE_SERVER = """
const http = require("http");
const body = Buffer.from(process.argv[2]);
const server = http.createServer((req, res) => {
  req.resume();  // read (and drop) any body, as a real server must
  req.on("end", () => {
    res.writeHead(200, {"content-type": "application/json", "content-length": body.length});
    res.end(body);
  });
});
server.keepAliveTimeout = 75000;
server.listen(Number(process.argv[1]), "127.0.0.1", () => console.log("READY"));
"""


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "node":
        os.execvp("node", ["node", "-e", NODE_SERVER, str(port), BODY.decode()])
    if kind == "asyncio":
        asyncio.run(serve_asyncio(port))
    else:
        asyncio.run(serve_mitm(kind, port, sys.argv[3]))


if __name__ == "__main__":
    main()
