#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for crier's integration tests.

usage: smtp_server.py --dir OUT [--tempfail ADDR:N]... [--reject ADDR]... [--drop MSGNO]...
                      [--idle SECONDS]

Listens on 127.0.0.1 on a free port and prints "PORT <n>" once ready. Every accepted message
is saved as OUT/<n>.eml, and a JSON line {"n", "from", "to", "message_id"} is appended to
OUT/index.jsonl. --tempfail ADDR:N answers 451 to the first N RCPT TO for ADDR; --reject ADDR
answers 550 5.1.1 (no such user); --drop MSGNO closes the connection in the middle of the
MSGNO-th DATA (1-based) without accepting it. Stops by itself after --idle seconds without
activity (default 30), and on SIGTERM.
"""
import argparse
import asyncio
import json
import os
import re
import signal
import socket
import sys
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, args):
        self.dir = args.dir
        self.tempfail = {}
        for item in args.tempfail:
            addr, n = item.rsplit(":", 1)
            self.tempfail[addr.lower()] = int(n)
        self.reject = {a.lower() for a in args.reject}
        self.drop = set(args.drop)
        self.data_count = 0
        self.saved = 0
        self.last = time.monotonic()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.last = time.monotonic()
        key = address.lower()
        if key in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        if self.tempfail.get(key, 0) > 0:
            self.tempfail[key] -= 1
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.last = time.monotonic()
        self.data_count += 1
        if self.data_count in self.drop:
            server.transport.close()
            return "421 4.4.2 connection dropped by test server"
        self.saved += 1
        n = self.saved
        data = envelope.original_content or envelope.content
        with open(os.path.join(self.dir, "%06d.eml" % n), "wb") as f:
            f.write(data)
        match = re.search(rb"^Message-ID:\s*(<[^>]+>)", data, re.M | re.I)
        line = {
            "n": n,
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "message_id": match.group(1).decode() if match else None,
        }
        with open(os.path.join(self.dir, "index.jsonl"), "a") as f:
            f.write(json.dumps(line) + "\n")
        return "250 2.0.0 Ok: queued as %d" % n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tempfail", action="append", default=[])
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--drop", action="append", type=int, default=[])
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Handler(args)
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=33554432)
    controller.start()
    print("PORT %d" % port, flush=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        while not stop["now"] and time.monotonic() - handler.last < args.idle:
            time.sleep(0.1)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
