"""A TCP relay: `python3 -m chaoslib.relay LISTEN_HOST:PORT TARGET_HOST:PORT`.

The Workers' host's local mail relay in the fault suite: the Workers send plain SMTP only to their
own machine, and the relay carries it to the SMTP sink's host (as a local MTA would).
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen, target):
    (lhost, lport), (thost, tport) = (a.rsplit(":", 1) for a in (listen, target))

    async def accept(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.wait_for(asyncio.open_connection(thost, int(tport)), 5)
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    server = await asyncio.start_server(accept, lhost, int(lport))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
