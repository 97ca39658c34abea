"""A TCP relay: `python3 -m chaoslib.relay LISTEN_HOST:PORT TARGET_HOST:PORT [DELAY_FILE]`.

The Workers' host's local mail relay in the fault suite: the Workers send plain SMTP only to their
own machine, and the relay carries it to the SMTP sink's host (as a local MTA would).

With DELAY_FILE it is also a switchable delay line (the kernel here has no sch_netem): the file
holds "MS [JITTER_MS]", read every 0.2 s (missing or empty: 0); every chunk read from either side
is written to the other that long after it arrived (MS ± JITTER_MS, uniform), in order.
"""
import asyncio
import random
import sys
import time


class Delay:
    def __init__(self, path):
        self.path, self.ms, self.jitter = path, 0, 0

    async def watch(self):
        while True:
            try:
                with open(self.path) as f:
                    numbers = [int(n) for n in f.read().split()[:2]]
            except (OSError, ValueError):
                numbers = []
            self.ms, self.jitter = (numbers + [0, 0])[:2]
            await asyncio.sleep(0.2)

    def due(self):
        return time.monotonic() + max(0, self.ms + random.uniform(-self.jitter, self.jitter)) / 1000


async def pipe(reader, writer, delay=None):
    queue = asyncio.Queue()

    async def send():
        while (item := await queue.get()) is not None:
            due, data = item
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(data)
            await writer.drain()
    sender = asyncio.create_task(send()) if delay else None
    try:
        while data := await reader.read(65536):
            if sender:
                queue.put_nowait((delay.due(), data))
            else:
                writer.write(data)
                await writer.drain()
        if sender:
            queue.put_nowait(None)
            await sender
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        if sender:
            sender.cancel()
        writer.close()


async def main(listen, target, delay_file=None):
    (lhost, lport), (thost, tport) = (a.rsplit(":", 1) for a in (listen, target))
    delay = Delay(delay_file) if delay_file else None
    if delay:
        asyncio.get_running_loop().create_task(delay.watch())

    async def accept(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.wait_for(asyncio.open_connection(thost, int(tport)), 5)
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, delay), pipe(server_reader, client_writer, delay))

    server = await asyncio.start_server(accept, lhost, int(lport))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
