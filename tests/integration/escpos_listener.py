"""A stand-in for an ESC/POS network printer: a real TCP listener on a free port that keeps every job, and a
strict decoder of what arrived (text lines and commands)."""

from __future__ import annotations

import socket
import threading

ESC, GS = 0x1B, 0x1D
#: Argument bytes of every ESC/POS command the printer is allowed to receive (anything else fails the decoding).
ARGUMENTS = {
    (ESC, ord("@")): 0,
    (ESC, ord("!")): 1,
    (ESC, ord("{")): 1,
    (ESC, ord("E")): 1,
    (ESC, ord("-")): 1,
    (ESC, ord("M")): 1,
    (ESC, ord("a")): 1,
    (ESC, ord("t")): 1,
    (ESC, ord("d")): 1,
    (ESC, ord("p")): 3,
    (GS, ord("b")): 1,
    (GS, ord("B")): 1,
    (GS, ord("!")): 1,
    (GS, ord("V")): 1,
}
FULL_CUT = (GS, ord("V"), 0)
DRAWER_KICK_PIN_2 = (ESC, ord("p"), 0)


def decode(data: bytes) -> tuple[list[str], list[tuple[int, ...]]]:
    """Printed text lines and the commands, in order (a command is its bytes without the text)."""
    lines, commands, text, i = [], [], bytearray(), 0
    while i < len(data):
        byte = data[i]
        if byte in (ESC, GS):
            key = (byte, data[i + 1])
            assert key in ARGUMENTS, f"unexpected command {bytes(key)!r} at {i}"
            size = 2 + ARGUMENTS[key]
            commands.append(tuple(data[i : i + size]))
            i += size
        elif byte == 0x0A:
            lines.append(text.decode("latin-1"))
            text = bytearray()
            i += 1
        else:
            text.append(byte)
            i += 1
    assert not text, "text after the last line feed"
    return lines, commands


class FakePrinter:
    """A TCP listener on a free port that keeps everything each connection sends."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.done = threading.Semaphore(0)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            self.jobs.append(b"".join(chunks))
            self.done.release()

    def job(self) -> tuple[list[str], list[tuple[int, ...]]]:
        assert self.done.acquire(timeout=5), "nothing reached the printer"
        return decode(self.jobs[-1])

    def close(self):
        self.server.close()
