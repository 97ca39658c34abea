"""The local SMTP sink: every accepted message becomes a file in a maildir (MAILDIR/new).

Recipients whose local part starts with `reject` are refused with 550 and those starting with
`tempfail` with 451, so tests can see how the workers treat permanent and transient failures;
for `slow` ones the sink takes 3 seconds to accept the message (a worker can be killed mid-send).
Used as `python3 -m aiosmtpd -n -l HOST:PORT -c smtp_sink.Sink MAILDIR` with deploy/ on PYTHONPATH.
"""
import asyncio

from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 Mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(rcpt.split("@", 1)[0].lower().startswith("slow") for rcpt in envelope.rcpt_tos):
            await asyncio.sleep(3)
        return await super().handle_DATA(server, session, envelope)
