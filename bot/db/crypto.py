"""People's words encrypted at rest: a keyring from DATA_KEY, and column types that use it.

A stored value looks like `enc:v1:<key id>:<Fernet token>`. Fernet is AES-128-CBC with an
HMAC-SHA256 over the whole token, so a wrong key or a changed byte fails loudly instead of
decrypting to garbage. The key id is the first 8 hex digits of SHA-256 of the key: it names the
key that decrypts a value, and tells `python -m bot keys rotate` which rows still need
re-encrypting. It reveals nothing about the key.

DATA_KEY is either a Fernet key (44 characters of URL-safe base64, as printed by
`python -m bot keys new`), used as it is, or any other string of at least 32 characters, from
which HKDF-SHA256 derives the key (no commas: DATA_KEYS_OLD is a comma-separated list). HKDF
does not stretch: such a string must be random (a password manager's 32+ random characters),
not a memorable phrase.

Values written before a key was set are plain text; they read back as they are, so switching
encryption on never breaks old rows (`keys rotate` encrypts them). Without DATA_KEY values are
stored as given and start-up warns once. Empty strings stay empty: emptiness is all they tell.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
# Without a key, a value that merely looks encrypted (a child could type one) is stored with
# this mark, so that reading it back never tries to decrypt it.
ESCAPE = "raw:"
MIN_PASSPHRASE = 32
_SALT = b"xinqiao/data-key/v1"


class CryptoError(Exception):
    """A stored value cannot be decrypted with the configured keys."""


class UnknownKeyError(CryptoError):
    """The value names a key that is neither DATA_KEY nor one of DATA_KEYS_OLD."""


@dataclass(frozen=True)
class DataKey:
    id: str
    fernet: Fernet


def derive_key(secret: str) -> bytes:
    """The Fernet key for a DATA_KEY value (see the module docstring for the two forms)."""
    text = secret.strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(text) == 44 and len(raw) == 32:
        return text.encode("ascii")
    if "," in text:
        raise ValueError("a key cannot contain a comma (DATA_KEYS_OLD is comma-separated)")
    if len(text) < MIN_PASSPHRASE:
        raise ValueError(
            f"expected a Fernet key (python -m bot keys new) or at least {MIN_PASSPHRASE} "
            "random characters"
        )
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(text.encode("utf-8")))


def make_key(secret: str) -> DataKey:
    key = derive_key(secret)
    kid = hashlib.sha256(base64.urlsafe_b64decode(key)).hexdigest()[:8]
    return DataKey(kid, Fernet(key))


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def key_id_of(stored: str) -> str | None:
    """The id of the key a stored value is encrypted under; None for plain text."""
    if not stored.startswith(PREFIX):
        return None
    kid, sep, _ = stored[len(PREFIX) :].partition(":")
    return kid if sep else None


class Keyring:
    """The current key encrypts; it and the old keys decrypt. No current key: plain text."""

    def __init__(self, current: str | None = None, old: Iterable[str] = ()) -> None:
        self.current = make_key(current) if current else None
        self.keys: dict[str, DataKey] = {}
        for secret in old:
            key = make_key(secret)
            self.keys[key.id] = key
        if self.current is not None:
            self.keys[self.current.id] = self.current

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """DATA_KEY and DATA_KEYS_OLD (comma-separated); a malformed key is a ConfigError."""
        current = settings.data_key.get_secret_value().strip() if settings.data_key else ""
        old = settings.data_keys_old.get_secret_value() if settings.data_keys_old else ""
        olds = [s for s in (p.strip() for p in old.split(",")) if s]
        for name, secrets in (("DATA_KEY", [current] if current else []), ("DATA_KEYS_OLD", olds)):
            for secret in secrets:
                try:
                    derive_key(secret)
                except ValueError as exc:
                    raise ConfigError(f"{name}: {exc}") from None
        return cls(current or None, olds)

    @property
    def enabled(self) -> bool:
        return self.current is not None

    @property
    def current_id(self) -> str | None:
        return self.current.id if self.current else None

    def encrypt(self, plain: str) -> str:
        if plain == "":
            return plain
        if self.current is None:
            return ESCAPE + plain if plain.startswith((PREFIX, ESCAPE)) else plain
        token = self.current.fernet.encrypt(plain.encode("utf-8")).decode("ascii")
        return f"{PREFIX}{self.current.id}:{token}"

    def decrypt(self, stored: str) -> str:
        if stored.startswith(ESCAPE):
            return stored[len(ESCAPE) :]
        kid = key_id_of(stored)
        if kid is None:
            return stored  # written before encryption was switched on
        key = self.keys.get(kid)
        if key is None:
            raise UnknownKeyError(
                f"a value is encrypted under key {kid}, which is neither DATA_KEY nor in "
                "DATA_KEYS_OLD: configure that key (see `python -m bot keys status`)"
            )
        token = stored[len(PREFIX) + len(kid) + 1 :]
        try:
            return key.fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise CryptoError(
                f"a value under key {kid} does not authenticate: it was altered or truncated"
            ) from exc


class _Installed:
    """The process-wide keyring the column types use (a TypeDecorator gets no context)."""

    keyring = Keyring()
    warned = False


def install(keyring: Keyring) -> Keyring:
    """Make `keyring` the one the column types use; returns the previous one (tests put it
    back). Warns once per process when nothing will be encrypted."""
    previous, _Installed.keyring = _Installed.keyring, keyring
    if not keyring.enabled and not _Installed.warned:
        _Installed.warned = True
        log.warning("DATA_KEY is not set: messages and notes are stored unencrypted")
    return previous


def installed() -> Keyring:
    return _Installed.keyring


def encrypt(plain: str) -> str:
    return _Installed.keyring.encrypt(plain)


def decrypt(stored: str) -> str:
    return _Installed.keyring.decrypt(stored)


class SecretText(TypeDecorator[str]):
    """Text encrypted on the way in and decrypted on the way out with the installed keyring."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class SecretJSON(TypeDecorator[Any]):
    """A JSON document stored as encrypted text. Nothing may query inside it in SQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(decrypt(value))
