"""A fake D-Bus service for tests: ``python fake_dbus_service.py BUS_NAME JSON``.

JSON maps method names to ``[signature, value]`` answers (e.g. ``{"GetIdletime": ["t", 5000]}``; signature
"" for a method that returns nothing), or
``METHOD:LAST_ARG`` for a call whose last string argument must match (``Get:PlaybackStatus``); a stdin
line ``METHOD JSON_VALUE`` changes an answer. Other calls get UnknownMethod. Prints "ready" when the name
is owned, "set METHOD" after each change. An optional third argument names a file that gets one line
``METHOD JSON_ARGS`` per call received.
"""

from __future__ import annotations

import json
import sys
import threading

from jeepney import HeaderFields, MessageType, message_bus, new_error, new_method_return
from jeepney.io.blocking import open_dbus_connection


def main() -> int:
    name, answers = sys.argv[1], {k: tuple(v) for k, v in json.loads(sys.argv[2]).items()}
    call_log = sys.argv[3] if len(sys.argv) > 3 else None
    conn = open_dbus_connection(bus="SESSION")
    if conn.send_and_get_reply(message_bus.RequestName(name)).body[0] != 1:
        return 1

    def read_stdin() -> None:
        for line in sys.stdin:
            method, value = line.split(" ", 1)
            answers[method] = (answers[method][0], json.loads(value))
            print(f"set {method}", flush=True)

    threading.Thread(target=read_stdin, daemon=True).start()
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type != MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        if call_log:
            with open(call_log, "a", encoding="utf-8") as handle:
                handle.write(f"{member} {json.dumps(list(msg.body))}\n")
        if msg.body and isinstance(msg.body[-1], str) and f"{member}:{msg.body[-1]}" in answers:
            member = f"{member}:{msg.body[-1]}"
        if member in answers:
            signature, value = answers[member]
            if signature.startswith("a(") and isinstance(value, list):   # JSON has no tuples: structs arrive as lists
                value = [tuple(item) for item in value]
            conn.send(new_method_return(msg, signature, (value,)) if signature else new_method_return(msg))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no {member}",)))


if __name__ == "__main__":
    sys.exit(main())
