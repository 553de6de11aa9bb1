"""A fake MPRIS media player on the D-Bus session bus (for tests): ``python fake_mpris.py NAME STATUS``.

It owns ``org.mpris.MediaPlayer2.NAME`` and answers ``Properties.Get(…Player, "PlaybackStatus")``; a line
on stdin ("Playing", "Paused", "Stopped") changes the status. Prints "ready" once the name is owned.
"""

from __future__ import annotations

import sys
import threading

from jeepney import HeaderFields, MessageType, message_bus, new_error, new_method_return
from jeepney.io.blocking import open_dbus_connection


def main() -> int:
    name, status = sys.argv[1], [sys.argv[2]]
    conn = open_dbus_connection(bus="SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(f"org.mpris.MediaPlayer2.{name}"))
    if reply.body[0] != 1:
        print(f"name not owned: {reply.body}", flush=True)
        return 1

    def read_stdin() -> None:
        for line in sys.stdin:
            status[0] = line.strip()
            print(f"status {status[0]}", flush=True)

    threading.Thread(target=read_stdin, daemon=True).start()
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type != MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        if member == "Get" and msg.body[1] == "PlaybackStatus":
            conn.send(new_method_return(msg, "v", (("s", status[0]),)))
        elif member == "GetAll":
            conn.send(new_method_return(msg, "a{sv}", ({"PlaybackStatus": ("s", status[0])},)))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no {member}",)))


if __name__ == "__main__":
    sys.exit(main())
