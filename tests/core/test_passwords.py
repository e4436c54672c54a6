"""core.passwords: NIST-style policy and argon2id storage."""

from __future__ import annotations

import unicodedata

import bcrypt
import pytest

from threshold.core.errors import PasswordRejectedError, ValidationError
from threshold.core.passwords import PasswordHasher, PasswordPolicy, check_password

POLICY = PasswordPolicy()
FAST = PasswordHasher(memory_cost=8192, time_cost=1)


def test_length_counts_code_points_and_collapses_spaces() -> None:
    with pytest.raises(ValidationError) as info:
        check_password("abcdefg", POLICY)
    assert info.value.code == "form_password_length_too_short"
    with pytest.raises(ValidationError):
        check_password("😀😀😀😀abc", POLICY)  # 7 code points
    with pytest.raises(ValidationError):
        check_password("ab     cdefg", PasswordPolicy(reject_weak=False, min_length=9))
    assert check_password("zq8#vR2!", PasswordPolicy(reject_weak=False)) == "zq8#vR2!"


def test_long_passwords_accepted_and_huge_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_pw = "a river of quiet lanterns " * 3
    assert len(long_pw) > 64
    check_password(long_pw, POLICY)

    def no_work(*args: object) -> str:
        raise AssertionError("a 1 MB password reached normalization")

    monkeypatch.setattr("threshold.core.passwords.normalize_password", no_work)
    with pytest.raises(ValidationError) as info:
        check_password("x" * 1_000_000, POLICY)
    assert info.value.code == "form_password_length_too_long"


@pytest.mark.parametrize("password", ["password1234", "qwertyuiop", "iloveyou", "Password1"])
def test_common_passwords_refused_with_reason(password: str) -> None:
    with pytest.raises(PasswordRejectedError) as info:
        check_password(password, POLICY)
    assert info.value.message


def test_context_words_refused() -> None:
    with pytest.raises(PasswordRejectedError) as info:
        check_password("maryjones@example.com", POLICY, ["maryjones@example.com"])
    assert "email" in info.value.message


def test_passphrase_without_composition_rules_accepted() -> None:
    check_password("lowercase passphrase with no digits", POLICY)


def test_argon2id_parameters_and_salt() -> None:
    hasher = PasswordHasher()
    digest = hasher.hash("correct horse battery staple")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert digest != hasher.hash("correct horse battery staple")
    assert hasher.verify(digest, "correct horse battery staple")
    assert not hasher.verify(digest, "correct horse battery stapl")
    assert not hasher.needs_rehash(digest)
    assert PasswordHasher(memory_cost=65536).needs_rehash(digest)


def test_no_truncation_or_case_folding_and_nfkc() -> None:
    password = "Ω" + "p" * 99
    digest = FAST.hash(password)
    assert not FAST.verify(digest, password[:72])
    assert not FAST.verify(digest, password.upper())
    nfc = unicodedata.normalize("NFC", "café déjà vu passphrase")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd and FAST.verify(FAST.hash(nfc), nfd)


def test_imported_bcrypt_verifies_and_needs_rehash() -> None:
    digest = bcrypt.hashpw(b"imported password", bcrypt.gensalt(rounds=4)).decode()
    assert FAST.verify(digest, "imported password")
    assert not FAST.verify(digest, "wrong password")
    assert FAST.needs_rehash(digest)
    assert PasswordHasher.is_supported_digest("bcrypt", digest)
    assert not PasswordHasher.is_supported_digest("argon2id", digest)
    assert not FAST.verify("not a digest", "x")
