"""beanflows.tokens against the shared vectors (tests/vectors/tokens.json).

The same vectors are replayed against the Worker over HTTP in test_worker_gate.py, so the
two implementations of docs/tokens.md cannot drift apart silently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from beanflows import tokens

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokens.json").read_text())
SECRETS = [VECTORS["secrets"]["current"], VECTORS["secrets"]["previous"]]
ALL_SECRETS = {**VECTORS["secrets"], "unknown": VECTORS["unknown_secret"]}
NOW = VECTORS["now"]
GATED = VECTORS["gated_path"]


def _judge_token(token: str) -> str:
    try:
        claims = tokens.verify_token(token, SECRETS, now=NOW)
        tokens.authorize(claims, GATED)
    except tokens.TokenError as err:
        return err.reason
    return "ok"


def _judge_url(path: str, query: str) -> str:
    try:
        claims = tokens.verify_signed_url(path, query, SECRETS, now=NOW)
        tokens.authorize(claims, path.lstrip("/"))
    except tokens.TokenError as err:
        return err.reason
    return "ok"


def test_vectors_cover_the_bypass_families() -> None:
    names = {v["name"] for v in VECTORS["tokens"]}
    for family in (
        "tampered_payload",
        "tampered_signature",
        "expired",
        "not_yet_valid",
        "free_plan",
        "alg_none",
        "alg_HS512",
        "valid_previous_key",
        "unknown_key",
    ):
        assert any(n.startswith(family) for n in names), family
    assert sum(v["expect"] == "ok" for v in VECTORS["tokens"]) >= 3
    assert sum(v["expect"] != "ok" for v in VECTORS["tokens"]) >= 25


@pytest.mark.parametrize("vector", VECTORS["tokens"], ids=lambda v: v["name"])
def test_token_vector(vector: dict) -> None:
    assert _judge_token(vector["token"]) == vector["expect"]
    assert (vector["status"] == 200) == (vector["expect"] == "ok")


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS["tokens"] if "mint" in v], ids=lambda v: v["name"]
)
def test_mint_reproduces_vector(vector: dict) -> None:
    m = vector["mint"]
    c = m["claims"]
    token = tokens.mint_token(
        ALL_SECRETS[m["secret"]],
        c["sub"],
        c["plan"],
        c["scopes"],
        c["exp"],
        iat=c.get("iat"),
        nbf=c.get("nbf"),
    )
    assert token == vector["token"]


def test_reference_token_is_plain_hs256_jwt() -> None:
    """Independent of tokens.py: a JWT HS256 over header.payload with the current secret."""
    token = VECTORS["tokens"][0]["token"]
    signing_input, _, sig = token.rpartition(".")
    mac = hmac.new(SECRETS[0].encode(), signing_input.encode(), hashlib.sha256).digest()
    assert tokens.b64url_encode(mac) == sig
    header = json.loads(tokens.b64url_decode(signing_input.split(".")[0]))
    assert header == {"alg": "HS256", "typ": "JWT"}


@pytest.mark.parametrize("vector", VECTORS["signed_urls"], ids=lambda v: v["name"])
def test_signed_url_vector(vector: dict) -> None:
    assert _judge_url(vector["path"], vector["query"]) == vector["expect"]
    if "mint" in vector:
        m = vector["mint"]
        url = tokens.sign_url(ALL_SECRETS[m["secret"]], m["path"], m["sub"], m["plan"], m["exp"])
        assert url == m["url"]
        assert url == f"{vector['path']}?{vector['query']}"


def test_roundtrip_and_rotation() -> None:
    cur, prev = SECRETS
    old = tokens.mint_token(prev, "cust_1", "starter", ["data:read"], ttl=60)
    assert tokens.verify_token(old, [cur, prev])["sub"] == "cust_1"
    with pytest.raises(tokens.TokenError) as err:
        tokens.verify_token(old, [cur])  # rotation finished: the previous key is gone
    assert err.value.reason == "bad_signature"


def test_expiry_boundary_is_exclusive() -> None:
    token = tokens.mint_token(SECRETS[0], "c", "pro", exp=1000)
    assert tokens.verify_token(token, SECRETS, now=999)["exp"] == 1000
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.verify_token(token, SECRETS, now=1000)


def test_signed_url_encodes_path_and_subject() -> None:
    url = tokens.sign_url(SECRETS[0], "/data/pro/coffee prices.csv", "a+b@x", "pro", 4102444800)
    parts = urlsplit(url)
    assert parts.path == "/data/pro/coffee%20prices.csv"
    assert parse_qs(parts.query)["sub"] == ["a+b@x"]
    claims = tokens.verify_signed_url("/data/pro/coffee prices.csv", parts.query, SECRETS, now=NOW)
    assert claims["plan"] == "pro"


def test_mint_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        tokens.mint_token("s", "bad subject", "pro")
    with pytest.raises(ValueError):
        tokens.mint_token("s", "ok", "gold")


def test_public_paths_need_no_plan() -> None:
    tokens.authorize({"plan": "free", "scopes": []}, "data/free/x.csv")
    with pytest.raises(tokens.TokenError, match="plan"):
        tokens.authorize({"plan": "free", "scopes": ["data:read"]}, "data/pro/x.csv")


def test_cli_mint_and_verify(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv(tokens.SECRET_ENV, SECRETS[0])
    assert tokens.main(["mint", "--sub", "cust_9", "--plan", "starter", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    assert tokens.main(["verify", token]) == 0
    assert json.loads(capsys.readouterr().out)["plan"] == "starter"
    assert tokens.main(["verify", token[:-4] + "AAAA"]) == 1
