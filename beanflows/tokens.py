"""Access tokens and signed URLs for the gated ``data/pro/`` files (format: docs/tokens.md).

The Cloudflare Worker (workers/src/token.js) verifies exactly this format with Web Crypto;
tests/vectors/tokens.json holds tokens both sides must judge the same way. Standard library
only (hmac, hashlib, base64, json) so any subscriber-facing service can mint without extras.

Command line (the secret comes from the environment, never from argv)::

    BEANFLOWS_TOKEN_SECRET=... python -m beanflows.tokens mint --sub cust_42 --plan pro
    BEANFLOWS_TOKEN_SECRET=... python -m beanflows.tokens sign-url /data/pro/x.parquet --sub c1
    BEANFLOWS_TOKEN_SECRET=... python -m beanflows.tokens verify TOKEN
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qs, quote, urlencode

PLANS = ("free", "starter", "pro")
PAID_PLANS = ("starter", "pro")
GATED_PREFIX = "data/pro/"
REQUIRED_SCOPE = "data:read"
MAX_TOKEN_LENGTH = 4096
HEADER = {"alg": "HS256", "typ": "JWT"}
URL_DOMAIN = "BF-URL-1"
SECRET_ENV = "BEANFLOWS_TOKEN_SECRET"
MAX_SAFE_INT = 2**53 - 1

_SUBJECT = re.compile(r"[A-Za-z0-9._:@+-]{1,128}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_EXP_TEXT = re.compile(r"[0-9]{1,12}")


class TokenError(ValueError):
    """A refused credential; ``reason`` is the same code the Worker reports."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Strict base64url: no padding and canonical trailing bits, so a token has one spelling."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return data if b64url_encode(data) == text else None


def _canonical_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def _mac(secret: str, message: str) -> bytes:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def _signed_by_any(secrets: Sequence[str], message: str, sig: bytes) -> bool:
    """Constant-time check against every secret (no early exit: timing reveals no key)."""
    ok = False
    for secret in secrets:
        ok = hmac.compare_digest(_mac(secret, message), sig) | ok
    return ok


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # NaN / Infinity are not JSON (JSON.parse refuses them too)


def _parse_object(data: bytes) -> dict | None:
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _is_int(value: object) -> bool:
    """An integer as JavaScript sees one: 5 and 5.0 alike, never a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    return 0 <= value <= MAX_SAFE_INT


def mint_token(
    secret: str,
    sub: str,
    plan: str,
    scopes: Iterable[str] = (REQUIRED_SCOPE,),
    exp: int | None = None,
    *,
    ttl: int = 3600,
    iat: int | None = None,
    nbf: int | None = None,
) -> str:
    """Mint a token; ``exp`` defaults to ``iat + ttl`` (``iat`` defaults to now)."""
    if not _SUBJECT.fullmatch(sub):
        raise ValueError(f"subject must match {_SUBJECT.pattern}: {sub!r}")
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {PLANS}: {plan!r}")
    if exp is None:
        exp = (int(time.time()) if iat is None else iat) + ttl
    claims: dict[str, object] = {"sub": sub, "plan": plan, "scopes": list(scopes), "exp": exp}
    if iat is not None:
        claims["iat"] = iat
    if nbf is not None:
        claims["nbf"] = nbf
    signing_input = (
        f"{b64url_encode(_canonical_json(HEADER))}.{b64url_encode(_canonical_json(claims))}"
    )
    return f"{signing_input}.{b64url_encode(_mac(secret, signing_input))}"


def _claims_problem(c: dict, now: int) -> str | None:
    if not isinstance(c.get("sub"), str) or not _SUBJECT.fullmatch(c["sub"]):
        return "bad_claims"
    if c.get("plan") not in PLANS:
        return "bad_claims"
    scopes = c.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return "bad_claims"
    if not _is_int(c.get("exp")):
        return "bad_claims"
    for optional in ("nbf", "iat"):
        if optional in c and not _is_int(c[optional]):
            return "bad_claims"
    if now >= c["exp"]:
        return "expired"
    if "nbf" in c and now < c["nbf"]:
        return "not_yet_valid"
    return None


def verify_token(token: str, secrets: Sequence[str], *, now: int | None = None) -> dict:
    """Return the claims of a valid token or raise TokenError (checks in the Worker's order)."""
    now = int(time.time()) if now is None else now
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("malformed")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed")
    header_b, payload_b, sig = (b64url_decode(p) for p in parts)
    if header_b is None or payload_b is None or sig is None:
        raise TokenError("malformed")
    header = _parse_object(header_b)
    if header is None:
        raise TokenError("malformed")
    if (
        header.get("alg") != "HS256"
        or header.get("typ", "JWT") != "JWT"
        or set(header) - set(HEADER)
    ):
        raise TokenError("bad_header")
    if len(sig) != 32 or not _signed_by_any(secrets, f"{parts[0]}.{parts[1]}", sig):
        raise TokenError("bad_signature")
    claims = _parse_object(payload_b)
    if claims is None:
        raise TokenError("bad_claims")
    problem = _claims_problem(claims, now)
    if problem:
        raise TokenError(problem)
    return claims


def url_message(path: str, sub: str, plan: str, exp: int | str) -> str:
    """The exact text a signed URL's signature covers (``path``: decoded, leading slash)."""
    return f"{URL_DOMAIN}\n{path}\n{sub}\n{plan}\n{exp}"


def sign_url(
    secret: str, path: str, sub: str, plan: str = "pro", exp: int | None = None, *, ttl: int = 3600
) -> str:
    """Return ``path?sub=..&plan=..&exp=..&sig=..`` granting GET/HEAD on that one file."""
    if not path.startswith("/"):
        raise ValueError("path must start with '/' (a site path such as /data/pro/x.parquet)")
    if not _SUBJECT.fullmatch(sub) or plan not in PLANS:
        raise ValueError("bad subject or plan")
    exp = int(time.time()) + ttl if exp is None else exp
    sig = b64url_encode(_mac(secret, url_message(path, sub, plan, exp)))
    query = urlencode({"sub": sub, "plan": plan, "exp": str(exp), "sig": sig})
    return f"{quote(path, safe='/')}?{query}"


def verify_signed_url(
    path: str,
    query: str | Mapping[str, list[str]],
    secrets: Sequence[str],
    *,
    now: int | None = None,
) -> dict:
    """Claims of a valid signed URL for ``path`` (decoded, leading slash) or raise TokenError."""
    now = int(time.time()) if now is None else now
    params = parse_qs(query, keep_blank_values=True) if isinstance(query, str) else query
    values = {}
    for name in ("sub", "plan", "exp", "sig"):
        got = params.get(name, [])
        if len(got) != 1:
            raise TokenError("malformed")
        values[name] = got[0]
    if (
        not _SUBJECT.fullmatch(values["sub"])
        or values["plan"] not in PLANS
        or not _EXP_TEXT.fullmatch(values["exp"])
    ):
        raise TokenError("malformed")
    sig = b64url_decode(values["sig"])
    if sig is None or len(sig) != 32:
        raise TokenError("malformed")
    message = url_message(path, values["sub"], values["plan"], values["exp"])
    if not _signed_by_any(secrets, message, sig):
        raise TokenError("bad_signature")
    if now >= int(values["exp"]):
        raise TokenError("expired")
    return {
        "sub": values["sub"],
        "plan": values["plan"],
        "scopes": [REQUIRED_SCOPE],
        "exp": int(values["exp"]),
    }


def authorize(claims: Mapping, path: str) -> None:
    """The Worker's policy for a site path: gated files need a paid plan and ``data:read``."""
    if not (path == GATED_PREFIX.rstrip("/") or path.startswith(GATED_PREFIX)):
        return
    if claims.get("plan") not in PAID_PLANS:
        raise TokenError("plan")
    if REQUIRED_SCOPE not in claims.get("scopes", []):
        raise TokenError("scope")


def _secret() -> str:
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        sys.exit(f"set {SECRET_ENV} to the Worker's TOKEN_SECRET")
    return secret


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m beanflows.tokens``: mint / sign-url / verify from the command line."""
    parser = argparse.ArgumentParser(prog="python -m beanflows.tokens", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    mint = sub.add_parser("mint", help="mint an access token")
    url = sub.add_parser("sign-url", help="sign one file path")
    url.add_argument("path")
    for p in (mint, url):
        p.add_argument("--sub", required=True)
        p.add_argument("--plan", choices=PLANS, default="pro")
        p.add_argument("--ttl", type=int, default=3600, help="seconds of validity")
    mint.add_argument("--scope", action="append", default=None, help=f"default {REQUIRED_SCOPE}")
    check = sub.add_parser("verify", help="verify a token and print its claims")
    check.add_argument("token")
    args = parser.parse_args(argv)
    if args.command == "mint":
        print(
            mint_token(
                _secret(),
                args.sub,
                args.plan,
                args.scope or [REQUIRED_SCOPE],
                ttl=args.ttl,
                iat=int(time.time()),
            )
        )
    elif args.command == "sign-url":
        print(sign_url(_secret(), args.path, args.sub, args.plan, ttl=args.ttl))
    else:
        secrets = [_secret(), os.environ.get(SECRET_ENV + "_PREVIOUS", "")]
        try:
            print(json.dumps(verify_token(args.token, [s for s in secrets if s]), indent=2))
        except TokenError as err:
            print(f"invalid: {err.reason}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
