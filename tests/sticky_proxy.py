"""A sticky-session TCP proxy in front of several app replicas, for tests and benchmarks.

Each connection reads its first request's headers: a `replica=N` cookie
sends it to replica N (the sticky session a real proxy keeps with a cookie
or the client address), no cookie to the replica with the fewest
connections; a replica that refuses the connection (killed) is skipped for
the next live one. Everything after the headers is piped both ways
untouched, so HTTP keep-alive, Range requests and Streamlit's websocket work.
One origin for every replica: the browser's storage (the card's pending
answers) survives a move from one replica to another, as behind nginx.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter


class StickyProxy:
    def __init__(self, backends: list[int], port: int):
        self.backends, self.port = list(backends), port
        self.url = f"http://127.0.0.1:{port}"
        self.routed: Counter[int] = Counter()     # connections per backend port
        self._open: Counter[int] = Counter()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self._ready.set()
            async with self._server:
                await self._server.serve_forever()
        try:
            self._loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        wanted = re.search(rb"(?im)^cookie:.*\breplica=(\d+)", head)
        order = list(range(len(self.backends)))
        if wanted and int(wanted.group(1)) < len(self.backends):
            first = int(wanted.group(1))
        else:
            first = min(order, key=lambda i: self._open[self.backends[i]])
        order = order[first:] + order[:first]
        for i in order:
            port = self.backends[i]
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue          # a replica that is gone: the next one serves
            self.routed[port] += 1
            self._open[port] += 1
            up_writer.write(head)
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                self._open[port] -= 1
            return
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        writer.close()

    def stop(self) -> None:
        def shutdown() -> None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(5)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except RuntimeError:
            pass
