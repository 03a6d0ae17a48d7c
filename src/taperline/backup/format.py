"""The encrypted backup file, with no database in sight.

Layout: a magic line, a length-prefixed JSON manifest (readable without the key, but bound to
the contents: it is the associated data of every chunk), then the payload in chunks of up to
1 MiB, each sealed with AES-256-GCM under the clinic's key. A chunk's nonce is a random
8-byte prefix (one per file) and its 4-byte index; its associated data is the manifest's hash,
its index and whether it is the last chunk. So a reordered, dropped, truncated or altered chunk,
a changed manifest and a wrong key are each refused, and the whole payload is also checked
against the manifest's SHA-256 (the STREAM construction of Hoang, Reyhanitabar, Rogaway and
Vizár, 2015)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"TAPERLINE-BACKUP 1\n"
CHUNK = 1 << 20
_TAG = 16
_MAX_MANIFEST = 1 << 20


class BackupError(Exception):
    """A backup cannot be written or read; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    format: int
    dialect: str  # sqlite or postgresql
    schema_revision: str | None
    created_at: str  # ISO 8601, UTC
    taperline_version: str
    row_counts: dict[str, int]
    payload_bytes: int
    payload_sha256: str
    tool: str  # how the payload was made: "sqlite3 backup API", "pg_dump 15.x -Fc"

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(raw)
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError):
            raise BackupError(
                "this file's manifest is damaged; it is not a usable backup"
            ) from None


def parse_key(text: str) -> bytes:
    """A 32-byte key, written as URL-safe base64 (as `taperline backup keygen` prints it)."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            "backup_key: give a 32-byte key in URL-safe base64 (run `taperline backup keygen`)"
        )
    return key


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _aad(manifest_hash: bytes, index: int, last: bool) -> bytes:
    return manifest_hash + struct.pack(">I?", index, last)


def _chunks(source: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    current = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def seal(manifest: Manifest, payload: IO[bytes], out: IO[bytes], key: bytes) -> None:
    """Write the backup file: header, manifest, then the encrypted chunks of `payload`."""
    cipher = AESGCM(key)
    raw = manifest.to_bytes()
    manifest_hash = hashlib.sha256(raw).digest()
    prefix = os.urandom(8)
    out.write(MAGIC)
    out.write(struct.pack(">I", len(raw)))
    out.write(raw)
    out.write(prefix)
    for index, (plain, last) in enumerate(_chunks(payload)):
        nonce = prefix + struct.pack(">I", index)
        sealed = cipher.encrypt(nonce, plain, _aad(manifest_hash, index, last))
        out.write(struct.pack(">I", len(sealed)))
        out.write(sealed)


def read_manifest(source: IO[bytes]) -> Manifest:
    """The manifest at the start of a backup file (no key needed); leaves `source` after it."""
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("this is not a Taperline backup file (or it is from another format)")
    header = source.read(4)
    if len(header) != 4:
        raise BackupError("this backup file is truncated: it ends inside its header")
    (length,) = struct.unpack(">I", header)
    if length > _MAX_MANIFEST:
        raise BackupError("this backup file's header is damaged")
    raw = source.read(length)
    if len(raw) != length:
        raise BackupError("this backup file is truncated: it ends inside its manifest")
    return Manifest.from_bytes(raw)


def open_sealed(source: IO[bytes], out: IO[bytes], key: bytes) -> Manifest:
    """Check and decrypt a backup into `out`. Raises BackupError (and writes nothing more)
    on a wrong key, a damaged or truncated file, or a payload that does not match."""
    manifest = read_manifest(source)
    manifest_hash = hashlib.sha256(manifest.to_bytes()).digest()
    prefix = source.read(8)
    if len(prefix) != 8:
        raise BackupError("this backup file is truncated: it ends before its contents")
    cipher = AESGCM(key)
    digest = hashlib.sha256()
    size = 0
    index = 0
    while True:
        header = source.read(4)
        if not header:
            raise BackupError(
                "this backup file is truncated: its last part is missing. Use a complete copy"
            )
        if len(header) != 4:
            raise BackupError("this backup file is truncated inside a part")
        (length,) = struct.unpack(">I", header)
        if length < _TAG or length > CHUNK + _TAG:
            raise BackupError("this backup file is damaged (a part has an impossible size)")
        sealed = source.read(length)
        if len(sealed) != length:
            raise BackupError("this backup file is truncated inside a part")
        nonce = prefix + struct.pack(">I", index)
        plain = None
        for last in (False, True):
            try:
                plain = cipher.decrypt(nonce, sealed, _aad(manifest_hash, index, last))
            except InvalidTag:
                continue
            break
        if plain is None:
            raise BackupError(
                "cannot open this backup: the key is wrong, or the file was changed or damaged"
                if index == 0
                else "this backup file is damaged: a part does not match (changed or reordered)"
            )
        digest.update(plain)
        size += len(plain)
        out.write(plain)
        index += 1
        if last:
            break
    if source.read(1):
        raise BackupError("this backup file has extra data after its end; it is not trusted")
    if size != manifest.payload_bytes or digest.hexdigest() != manifest.payload_sha256:
        raise BackupError("this backup's contents do not match its manifest; it is not trusted")
    return manifest
