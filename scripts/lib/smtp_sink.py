"""A real SMTP server for the test suite (aiosmtpd), writing each message it accepts to a directory.

    smtp_sink.py PORT DIR

Each accepted message becomes DIR/<n>.eml (the raw message as received) and DIR/<n>.json
(envelope and decoded To, Subject and plain-text body), written atomically. Magic recipients
exercise the client's error handling:
    rifiuta@...    -> 550 (permanent: the sender must not retry)
    occupato@...   -> 451 (transient: the sender should retry later)
"""

import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "rifiuta":
            return "550 5.1.1 Mailbox unavailable"
        if local == "occupato":
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        decoded = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "to": str(message["To"]),
            "from": str(message["From"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "content_type": message.get_content_type(),
            "charset": message.get_content_charset(),
            "text": body.get_content() if body is not None else None,
        }
        n = f"{os.getpid()}-{next(self.counter)}"
        for suffix, data in ((".eml", raw), (".json", json.dumps(decoded).encode())):
            path = os.path.join(self.directory, n + suffix)
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}, writing to {directory}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
