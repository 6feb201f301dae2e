"""The link protocol of src/core/seal.h, from the outside: a Python peer
that knows (or does not know) the chat's secret, and a relay that sits in
the middle of a link and tampers with it.  Used by test_08_security.py."""
import hashlib
import os
import socket
import struct
import threading

from nacl.pwhash import argon2id
from nacl.bindings import (crypto_aead_chacha20poly1305_ietf_decrypt,
                           crypto_aead_chacha20poly1305_ietf_encrypt,
                           crypto_scalarmult, crypto_scalarmult_base)

MAGIC = b"CHORUS-1"
CONFIRM = b"confirm1"


def psk(secret):
    return argon2id.kdf(32, secret.encode(), b"chorus secret v1", opslimit=2,
                        memlimit=8 * 1024 * 1024)


def nonce(n):
    return b"\0" * 4 + struct.pack("<Q", n)


def read_unit(sock):
    head = recv_exact(sock, 4)
    return recv_exact(sock, struct.unpack(">I", head)[0])


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def unit(data):
    return struct.pack(">I", len(data)) + data


class Sealed:
    """A peer that runs the handshake with the secret it is given."""

    def __init__(self, addr, secret):
        host, port = addr.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        sk = os.urandom(32)
        pk = crypto_scalarmult_base(sk)
        self.sock.sendall(unit(MAGIC + pk))
        hello = read_unit(self.sock)
        assert hello[:8] == MAGIC
        peer = hello[8:]
        lo, hi = sorted([pk, peer])
        keys = hashlib.blake2b(crypto_scalarmult(sk, peer) + lo + hi, digest_size=64,
                               key=psk(secret)).digest()
        self.tx, self.rx = (keys[:32], keys[32:]) if pk < peer else (keys[32:], keys[:32])
        self.tx_n = self.rx_n = 0
        self.send_record(CONFIRM)

    def send_record(self, plain):
        c = crypto_aead_chacha20poly1305_ietf_encrypt(plain, None, nonce(self.tx_n), self.tx)
        self.tx_n += 1
        self.sock.sendall(unit(c))

    def recv_record(self):
        c = read_unit(self.sock)
        p = crypto_aead_chacha20poly1305_ietf_decrypt(c, None, nonce(self.rx_n), self.rx)
        self.rx_n += 1
        return p

    def confirmed(self):
        """The peer's CONFIRM opens: it knows our secret."""
        return self.recv_record() == CONFIRM

    def close(self):
        self.sock.close()


class Relay:
    """A TCP relay on 127.0.0.1 in front of `target`.  After the handshake
    (two units each way) it passes records along, and on request alters
    the next record from the connecting side: "flip" changes one byte of
    it, "replay" sends it twice."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.addr = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.mode = None
        self.done = threading.Event()   # the requested tampering happened
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def tamper(self, mode):
        self.done.clear()
        self.mode = mode

    def _accept(self):
        try:
            while True:
                a, _ = self.listener.accept()
                host, port = self.target.split(":")
                b = socket.create_connection((host, int(port)))
                self.socks += [a, b]
                threading.Thread(target=self._pump, args=(a, b, True), daemon=True).start()
                threading.Thread(target=self._pump, args=(b, a, False), daemon=True).start()
        except OSError:
            pass

    def _pump(self, src, dst, from_client):
        seen = 0
        try:
            while True:
                u = read_unit(src)
                seen += 1
                out = unit(u)
                if from_client and seen > 2 and self.mode:
                    if self.mode == "flip":
                        body = bytearray(u)
                        body[len(body) // 2] ^= 0x01
                        out = unit(bytes(body))
                    elif self.mode == "replay":
                        out = unit(u) + unit(u)
                    self.mode = None
                    self.done.set()
                dst.sendall(out)
        except (OSError, ConnectionError):
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self):
        self.listener.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
