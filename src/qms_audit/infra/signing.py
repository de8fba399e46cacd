"""Electronic signatures: one Ed25519 key per person, made by the `cryptography` library, never by us.

The private key is created on the first signature, without an extra step, in the person's config folder
(`config_dir()`, or QMS_AUDIT_CONFIG_DIR), readable by its owner only; it never enters a workspace. What a
workspace holds is the list of trusted public keys (`services/signers.py`). A key is named by its id: the first
16 hex digits of the SHA-256 of its 32 raw public bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra.errors import BadInput, StorageError
from qms_audit.infra.files import atomic_write_bytes
from qms_audit.infra.locations import config_dir

KEY_FILE = "signing-key.pem"
PUBLIC_PREFIX = "ed25519:"


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @property
    def id(self) -> str:
        return key_id(self.raw)

    @property
    def text(self) -> str:
        """The form kept in a workspace's list of signers and typed by people: ed25519:BASE64."""
        return PUBLIC_PREFIX + base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        if not text.startswith(PUBLIC_PREFIX):
            raise BadInput(f"'{text[:40]}' is not a public key (expected {PUBLIC_PREFIX}BASE64, as "
                           "`qms-audit signers me` prints it)")
        try:
            raw = base64.b64decode(text[len(PUBLIC_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise BadInput(f"'{text[:40]}' is not an Ed25519 public key (32 bytes in base64)")
        return cls(raw)

    def verifies(self, signature: str, data: bytes) -> bool:
        """Whether `signature` (base64) is this key's signature of `data`."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(base64.b64decode(signature, validate=True), data)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


class SigningKey:
    """A person's private key, loaded from (or created in) their config folder."""

    def __init__(self, private: object, path: Path) -> None:
        self._private = private
        self.path = path

    @classmethod
    def own(cls) -> SigningKey:
        """This person's key; created on first use."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        path = config_dir() / KEY_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            private = Ed25519PrivateKey.generate()
            data = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                atomic_write_bytes(path, data, mode=0o600)
            except OSError as exc:
                raise StorageError(f"cannot keep a signing key in {path.parent} ({exc.strerror}); set "
                                   "QMS_AUDIT_CONFIG_DIR to a folder of your own") from None
            return cls(private, path)
        except OSError as exc:
            raise StorageError(f"{path}: cannot read your signing key ({exc.strerror})") from None
        try:
            loaded = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise BadInput(f"{path}: not a readable Ed25519 private key; move it aside and a new key is made on "
                           "the next signature (then ask for the new key to be trusted)") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise BadInput(f"{path}: not an Ed25519 key")
        return cls(loaded, path)

    @property
    def public(self) -> PublicKey:
        from cryptography.hazmat.primitives import serialization

        raw = self._private.public_key().public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKey(raw)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._private.sign(data)).decode("ascii")  # type: ignore[attr-defined]

