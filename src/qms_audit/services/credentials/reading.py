"""Reading a credential file as it is issued: JSON or JSON-LD (unsigned, with an embedded proof, or wrapped in
a JWS JSON serialisation as Europass seals it), or a compact JWT whose payload is the credential.

Everything is bounded: the file's size, the number of JSON objects, lists and values (so a file of many
tiny values cannot fill memory), and the nesting depth (the parser stops at Python's recursion limit).
Signatures are described, never verified: qms-audit says whether a credential is signed and by which key, and
states that it did not check the signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qms_audit.infra.errors import InvalidFile
from qms_audit.infra.files import MIB, decode_text, read_bytes_bounded

MAX_CREDENTIAL_BYTES = 16 * MIB  # a Europass credential with its page images is about 0.5 MB
MAX_OBJECTS = 100_000  # JSON objects and lists in one file; a credential has a few hundred
MAX_VALUES = 500_000  # values in one file (counted by their separators); a credential has a few thousand
NOT_VERIFIED = "qms-audit did not verify the signature"

ELM = "Europass EDC (European Learning Model)"
OB3 = "Open Badges 3.0"


@dataclass
class Loaded:
    """A credential read from a file: its data, where that sits in the file, and what signs it."""

    data: dict[str, Any]
    format: str  # ELM or OB3
    wrapper: str | None  # "JWT payload", "JWS payload", "JWT payload, claim vc": what the paths are relative to
    signature: str


class NotACredential(InvalidFile):
    """Valid JSON that is no credential of a known model: in a folder it is passed over, not an error."""


def parse_json(text: str, *, shown: str, what: str = "the file") -> Any:
    """JSON text parsed within bounds; every failure is one line naming the file and the place."""
    # Counted before parsing, on the text (brackets and commas inside strings count too, which only errs on the
    # safe side): a file of millions of tiny values would take many times its size in memory once parsed
    if text.count("{") + text.count("[") > MAX_OBJECTS or text.count(",") > MAX_VALUES:
        raise InvalidFile(f"{shown}: {what} holds more than {MAX_OBJECTS:,} JSON objects or lists, or "
                          f"{MAX_VALUES:,} values; a credential has a few thousand (check that this is a credential)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFile(f"{shown}: {what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
                          "(fix the syntax there, or export the credential again)") from None
    except RecursionError:
        raise InvalidFile(f"{shown}: {what} is JSON nested too deeply to be a credential") from None


def load_credential(path: Path, *, shown: str) -> Loaded:
    data = read_bytes_bounded(path, max_bytes=MAX_CREDENTIAL_BYTES, what="credential", shown=shown)
    text = decode_text(data, shown=shown)
    if not text.strip():
        raise InvalidFile(f"{shown}: the file is empty (expected a credential as JSON or a JWT)")
    stripped = text.strip()
    if path.suffix.lower() == ".jwt" or (not stripped.startswith(("{", "[")) and stripped.count(".") == 2):
        return _from_jwt(stripped, shown)
    parsed = parse_json(text, shown=shown)
    if not isinstance(parsed, dict):
        raise InvalidFile(f"{shown}: the JSON is a {type(parsed).__name__}, not a credential object")
    if isinstance(parsed.get("payload"), str) and isinstance(parsed.get("signatures") or parsed.get("signature"),
                                                             list | str):
        return _from_jws_json(parsed, shown)
    return _credential(parsed, shown, wrapper=None, signature=_embedded_proof(parsed))


# --- JWT --------------------------------------------------------------------------------------------------------

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _b64url(part: str, *, shown: str, what: str) -> bytes:
    if not _BASE64URL.match(part):
        bad = next(i for i, c in enumerate(part) if not (c.isalnum() and c.isascii()) and c not in "-_")
        raise InvalidFile(f"{shown}: the JWT's {what} is not base64url: character {part[bad]!r} at position "
                          f"{bad + 1} (a JWT is header.payload.signature, each part base64url-encoded)")
    if len(part) % 4 == 1:
        raise InvalidFile(f"{shown}: the JWT's {what} is not base64url: its length ({len(part)}) cannot be "
                          "encoded data (the part is cut short)")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise InvalidFile(f"{shown}: the JWT's {what} is not base64url") from None


def _b64_json(part: str, *, shown: str, what: str) -> dict[str, Any]:
    raw = _b64url(part, shown=shown, what=what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidFile(f"{shown}: the JWT's {what} is not UTF-8 text once decoded") from None
    value = parse_json(text, shown=shown, what=f"the JWT's {what}")
    if not isinstance(value, dict):
        raise InvalidFile(f"{shown}: the JWT's {what} is not a JSON object")
    return value


def _from_jwt(text: str, shown: str) -> Loaded:
    parts = text.split(".")
    if len(parts) != 3:
        raise InvalidFile(f"{shown}: not a JWT: a JWT is three base64url parts, header.payload.signature, separated "
                          f"by dots; this has {len(parts)} part{'s' if len(parts) != 1 else ''}")
    header = _b64_json(parts[0], shown=shown, what="header")
    payload = _b64_json(parts[1], shown=shown, what="payload")
    if parts[2]:
        _b64url(parts[2], shown=shown, what="signature")
    signature = _jose_signature("JWT", header, has_signature=bool(parts[2]))
    if isinstance(payload.get("vc"), dict):  # a VC-JWT of the VC Data Model 1.1: the credential is the vc claim
        return _credential(payload["vc"], shown, wrapper="JWT payload, claim vc", signature=signature)
    return _credential(payload, shown, wrapper="JWT payload", signature=signature)


def _key_of(header: dict[str, Any]) -> str:
    if isinstance(header.get("kid"), str) and header["kid"]:
        return f"key id '{header['kid']}'"
    jwk = header.get("jwk")
    if isinstance(jwk, dict):
        kind = " ".join(str(jwk[k]) for k in ("kty", "crv") if isinstance(jwk.get(k), str))
        return f"the public key in its header (jwk{', ' + kind if kind else ''})"
    if isinstance(header.get("x5c"), list):
        return "the certificate chain in its header (x5c)"
    return "no key id (no kid, jwk or x5c in its header)"


def _jose_signature(kind: str, header: dict[str, Any], *, has_signature: bool) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        return f"{kind} not signed (alg '{alg}'); no signature to rely on"
    if not has_signature:
        return f"{kind} header names {alg} but the signature part is empty: not signed"
    return f"{kind} signed with {alg}, {_key_of(header)}; {NOT_VERIFIED}"


# --- JWS JSON serialisation (Europass seals) ---------------------------------------------------------------------


def _from_jws_json(envelope: dict[str, Any], shown: str) -> Loaded:
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list):
        signatures = [{"protected": envelope.get("protected"), "signature": envelope.get("signature")}]
    first = signatures[0] if signatures and isinstance(signatures[0], dict) else {}
    header: dict[str, Any] = {}
    if isinstance(first.get("protected"), str):
        header = _b64_json(first["protected"], shown=shown, what="protected header")
    if isinstance(first.get("header"), dict):
        header = {**first["header"], **header}
    payload_text = envelope["payload"]
    if header.get("b64") is not False:  # the payload is base64url unless the header says b64: false (RFC 7797)
        raw = _b64url(payload_text, shown=shown, what="payload")
        try:
            payload_text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidFile(f"{shown}: the JWS payload is not UTF-8 text once decoded") from None
    payload = parse_json(payload_text, shown=shown, what="the JWS payload")
    if not isinstance(payload, dict):
        raise InvalidFile(f"{shown}: the JWS payload is not a JSON object")
    count = f" ({len(signatures)} signatures, the first described)" if len(signatures) > 1 else ""
    signature = _jose_signature("JWS", header, has_signature=bool(first.get("signature"))) + count
    return _credential(payload, shown, wrapper="JWS payload", signature=signature)


# --- embedded proofs -------------------------------------------------------------------------------------------


def _embedded_proof(data: dict[str, Any]) -> str:
    proof = data.get("proof")
    if isinstance(proof, list) and proof:
        proof = proof[0]
    if not isinstance(proof, dict):
        return "not signed: no embedded proof, and not wrapped in a JWS or JWT"
    kind = ", ".join(str(proof[k]) for k in ("type", "cryptosuite") if isinstance(proof.get(k), str)) or "proof"
    method = proof.get("verificationMethod")
    by = f" by verification method '{method}'" if isinstance(method, str) else " naming no verification method"
    if not isinstance(proof.get("proofValue") or proof.get("jws") or proof.get("signatureValue"), str):
        return f"embedded proof ({kind}){by} carries no proof value: not signed"
    return f"embedded proof ({kind}){by}; {NOT_VERIFIED}"


# --- which data model --------------------------------------------------------------------------------------------


def _types(data: dict[str, Any]) -> set[str]:
    value = data.get("type", data.get("@type"))
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


def _contexts(data: dict[str, Any]) -> list[str]:
    value = data.get("@context")
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _credential(data: dict[str, Any], shown: str, *, wrapper: str | None, signature: str) -> Loaded:
    types = _types(data)
    contexts = _contexts(data)
    if types & {"OpenBadgeCredential", "AchievementCredential"}:
        return Loaded(data, OB3, wrapper, signature)
    if types & {"EuropeanDigitalCredential", "EuropassCredential"} or any("data.europa.eu/snb" in c
                                                                          for c in contexts):
        return Loaded(data, ELM, wrapper, signature)
    if "Assertion" in types or any("w3id.org/openbadges/v2" in c for c in contexts):
        raise InvalidFile(f"{shown}: an Open Badges 2.0 assertion; only Open Badges 3.0 credentials are checked "
                          "(issue or export the badge as Open Badges 3.0)")
    named = ", ".join(sorted(types)) or "none"
    raise NotACredential(f"{shown}: not a Europass (ELM) or Open Badges 3.0 credential (its types: {named}; expected "
                      "EuropeanDigitalCredential or OpenBadgeCredential)")
