"""The authenticated-encryption helper (``core/encryption.py``): what it seals opens only
unaltered, under the right key, in the place it was sealed for; no nonce repeats."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threshold.core.encryption import SealedValueError, SecretBox
from threshold.core.errors import ConfigurationError

KEY = "k" * 32
OTHER_KEY = "o" * 32


def _box(material: str = KEY, *retired: str) -> SecretBox:
    return SecretBox(material, retired=retired, purpose="tests")


@given(st.text(max_size=2000), st.text(max_size=100))
def test_sealed_values_round_trip(plaintext: str, context: str) -> None:
    box = _box()
    sealed = box.seal(plaintext, context=context)
    assert sealed.startswith(f"v1.{box.key_id}.")
    assert box.open(sealed, context=context) == plaintext


def _flip(sealed: str, index: int) -> str:
    head, key_id, body = sealed.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[index] ^= 0x01
    return f"{head}.{key_id}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "index", [0, 11, 12, 20, -1], ids=["nonce", "nonce-end", "body", "mid", "tag"]
)
def test_any_flipped_bit_is_detected(index: int) -> None:
    box = _box()
    sealed = box.seal("ya29.access-token-of-some-length", context="access_token:eac_1")
    with pytest.raises(SealedValueError):
        box.open(_flip(sealed, index), context="access_token:eac_1")


def test_a_value_does_not_open_in_another_place() -> None:
    box = _box()
    sealed = box.seal("secret", context="access_token:eac_1")
    for other in ("access_token:eac_2", "refresh_token:eac_1", ""):
        with pytest.raises(SealedValueError):
            box.open(sealed, context=other)


def test_a_value_does_not_open_under_another_key_or_purpose() -> None:
    sealed = _box().seal("secret", context="c")
    with pytest.raises(SealedValueError):
        _box(OTHER_KEY).open(sealed, context="c")
    with pytest.raises(SealedValueError):
        SecretBox(KEY, purpose="totp").open(sealed, context="c")
    # Same key id forged onto another key's output: the tag still fails.
    forged = _box(OTHER_KEY).seal("secret", context="c").split(".")
    forged[1] = _box().key_id
    with pytest.raises(SealedValueError):
        _box().open(".".join(forged), context="c")


@pytest.mark.parametrize(
    "value",
    ["", "v1", "v2.abcdefgh.AAAA", "v1.nokey.AAAA", "v1.{kid}.not+base64", "v1.{kid}.AAAA"],
)
def test_malformed_values_are_refused(value: str) -> None:
    box = _box()
    with pytest.raises(SealedValueError) as caught:
        box.open(value.format(kid=box.key_id), context="c")
    assert caught.value.code == "sealed_value_invalid"


def test_nonces_never_repeat() -> None:
    box = _box()
    nonces = set()
    for _ in range(5000):
        body = box.seal("same plaintext", context="same place").split(".")[2]
        nonces.add(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))[:12])
    assert len(nonces) == 5000


def test_retired_keys_open_and_the_current_one_seals() -> None:
    old = _box(OTHER_KEY).seal("old secret", context="c")
    rotated = _box(KEY, OTHER_KEY)
    assert rotated.open(old, context="c") == "old secret"
    assert rotated.needs_resealing(old)
    fresh = rotated.seal("new secret", context="c")
    assert not rotated.needs_resealing(fresh)
    assert fresh.split(".")[1] == _box().key_id
    with pytest.raises(SealedValueError):
        _box(OTHER_KEY).open(fresh, context="c")


def test_short_key_material_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        SecretBox("x" * 31, purpose="tests")
    assert SecretBox(b"\x00" * 32, purpose="tests").key_id != _box().key_id
