"""Unit tests of ``enclave.web.key_tokens``: a new token parses back to itself, only its SHA-256 is
compared (in constant time) and only the exact token matches it, and anything that is not exactly
``enc_<32 hex>_<12 hex>_<43 url-safe base64>`` parses to ``None`` without raising."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.web.key_tokens import KeyToken, new_token, parse_token

ORG = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-00000000000b")
SHAPE = re.compile(r"enc_[0-9a-f]{32}_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")

#: A well-formed token whose parts are easy to bend one at a time.
ORG_HEX = ORG.hex
PREFIX = "0123456789ab"
SECRET = "A" * 21 + "-_" + "z9" * 10
VALID = f"enc_{ORG_HEX}_{PREFIX}_{SECRET}"


class TestNewToken:
    def test_has_the_documented_shape_and_names_its_organization(self) -> None:
        token = new_token(ORG)
        assert SHAPE.fullmatch(token.value), token.value
        assert token.organization_id == ORG
        assert token.value.startswith(f"enc_{ORG.hex}_{token.prefix}_")

    def test_round_trips_through_parse_token(self) -> None:
        token = new_token(ORG)
        assert parse_token(token.value) == token

    @given(st.uuids())
    def test_round_trips_for_any_organization(self, organization_id: uuid.UUID) -> None:
        token = new_token(organization_id)
        parsed = parse_token(token.value)
        assert parsed is not None
        assert (parsed.organization_id, parsed.prefix, parsed.value) == (
            organization_id,
            token.prefix,
            token.value,
        )

    def test_every_token_is_new(self) -> None:
        made = [new_token(ORG) for _ in range(200)]
        assert len({t.value for t in made}) == len({t.prefix for t in made}) == 200


class TestDigest:
    def test_is_the_sha256_of_the_whole_token(self) -> None:
        token = new_token(ORG)
        assert token.digest == hashlib.sha256(token.value.encode()).digest()
        assert len(token.digest) == 32
        assert token.value.encode() not in token.digest

    def test_the_token_matches_its_own_digest(self) -> None:
        token = new_token(ORG)
        assert token.matches(token.digest)

    def test_another_token_does_not_match(self) -> None:
        token, other = new_token(ORG), new_token(ORG)
        assert not token.matches(other.digest)
        assert not other.matches(token.digest)

    def test_the_same_prefix_with_another_secret_does_not_match(self) -> None:
        token = new_token(ORG)
        forged = KeyToken(ORG, token.prefix, token.value[:-1] + ("A" if token.value[-1] != "A" else "B"))
        assert not forged.matches(token.digest)

    def test_the_same_secret_under_another_organization_does_not_match(self) -> None:
        token = new_token(ORG)
        moved = parse_token(token.value.replace(ORG.hex, OTHER_ORG.hex, 1))
        assert moved is not None
        assert moved.organization_id == OTHER_ORG
        assert not moved.matches(token.digest)

    @pytest.mark.parametrize(
        "stored", [b"", b"\x00" * 32, b"\x00" * 31, b"\xff" * 64], ids=["empty", "zeros", "short", "long"]
    )
    def test_a_wrong_or_truncated_digest_does_not_match(self, stored: bytes) -> None:
        assert not new_token(ORG).matches(stored)

    def test_a_truncated_copy_of_the_right_digest_does_not_match(self) -> None:
        token = new_token(ORG)
        assert not token.matches(token.digest[:16])
        assert not token.matches(token.digest + b"\x00")

    def test_compares_in_constant_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        compared: list[tuple[bytes, bytes]] = []
        real = hmac.compare_digest

        def spy(a: bytes, b: bytes) -> bool:
            compared.append((a, b))
            return real(a, b)

        monkeypatch.setattr(hmac, "compare_digest", spy)  # the module ``tokens`` calls it through
        token = new_token(ORG)
        assert token.matches(token.digest)
        assert compared == [(token.digest, token.digest)]


MALFORMED = {
    "empty": "",
    "just the scheme": "enc_",
    "bearer included": f"Bearer {VALID}",
    # the scheme
    "no scheme": VALID.removeprefix("enc_"),
    "upper-case scheme": "ENC" + VALID[3:],
    "another scheme": "enk" + VALID[3:],
    "scheme without separator": "enc" + VALID[4:],
    # the organization
    "org one short": f"enc_{ORG_HEX[:-1]}_{PREFIX}_{SECRET}",
    "org one long": f"enc_{ORG_HEX}0_{PREFIX}_{SECRET}",
    "org with dashes": f"enc_{ORG}_{PREFIX}_{SECRET}",
    "org not hex": f"enc_{'g' * 32}_{PREFIX}_{SECRET}",
    "org upper-case hex": f"enc_{'ABCDEF0123456789' * 2}_{PREFIX}_{SECRET}",
    "org empty": f"enc__{PREFIX}_{SECRET}",
    # the prefix
    "prefix one short": f"enc_{ORG_HEX}_{PREFIX[:-1]}_{SECRET}",
    "prefix one long": f"enc_{ORG_HEX}_{PREFIX}0_{SECRET}",
    "prefix not hex": f"enc_{ORG_HEX}_{'z' * 12}_{SECRET}",
    "prefix missing": f"enc_{ORG_HEX}_{SECRET}",
    # the secret
    "secret one short": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}",
    "secret one long": f"enc_{ORG_HEX}_{PREFIX}_{SECRET}A",
    "secret empty": f"enc_{ORG_HEX}_{PREFIX}_",
    "secret with padding": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}=",
    "secret with plus and slash": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-2]}+/",
    # extra parts
    "extra part after": f"{VALID}_extra",
    "extra part before": f"enc_x_{ORG_HEX}_{PREFIX}_{SECRET}",
    "doubled": VALID + VALID,
    # whitespace and control characters
    "leading space": f" {VALID}",
    "trailing space": f"{VALID} ",
    "trailing newline": f"{VALID}\n",
    "inner space": f"enc_{ORG_HEX} _{PREFIX}_{SECRET}",
    "tab in secret": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}\t",
    "nul in secret": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}\x00",
    # unicode that looks like, or is classified as, the allowed characters
    "fullwidth digit in org": "enc_\uff10" + f"{ORG_HEX[1:]}_{PREFIX}_{SECRET}",
    "arabic-indic digit in prefix": f"enc_{ORG_HEX}_" + "\u0660" + f"{PREFIX[1:]}_{SECRET}",
    "accented letter in secret": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}\u00e9",
    "cyrillic a in secret": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}\u0430",
    "zero-width space": f"enc_{ORG_HEX}_{PREFIX}\u200b_{SECRET}",
    "fullwidth underscore": f"enc\uff3f{ORG_HEX}_{PREFIX}_{SECRET}",
    "emoji": f"enc_{ORG_HEX}_{PREFIX}_{SECRET[:-1]}🔑",
}


class TestParseToken:
    def test_the_well_formed_example_parses(self) -> None:
        # The malformed cases below are each one change away from this one.
        token = parse_token(VALID)
        assert token == KeyToken(ORG, PREFIX, VALID)

    @pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
    def test_a_malformed_token_parses_to_none(self, value: str) -> None:
        assert parse_token(value) is None

    @given(st.text())
    def test_never_raises_on_any_text(self, value: str) -> None:
        result = parse_token(value)
        assert result is None or (result.value == value and SHAPE.fullmatch(value))

    @given(
        st.sampled_from(["enc", "ENC", "", "enc_enc"]),
        st.text(alphabet="0123456789abcdefABCDEFg-", max_size=40),
        st.text(alphabet="0123456789abcdefz", max_size=16),
        st.text(max_size=50),
        st.sampled_from(["_", "-", "", "__"]),
    )
    def test_never_raises_on_near_misses(
        self, scheme: str, org: str, prefix: str, secret: str, separator: str
    ) -> None:
        value = separator.join([scheme, org, prefix, secret])
        result = parse_token(value)
        if result is not None:
            assert SHAPE.fullmatch(value)
            assert result.organization_id == uuid.UUID(hex=org)
            assert (result.prefix, result.value) == (prefix, value)
