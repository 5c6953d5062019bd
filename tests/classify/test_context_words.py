"""The key vocabulary: what object keys announce, checked as data and through the documented lookup.

The lookup below follows the contract stated in ``gateway.classify.context_words`` (whole key joined, then word
pairs, then single words with a plural ``s`` stripped; pairs in NOT_CONTEXT_PAIRS use up their words and announce
nothing; Chinese substrings add theirs). It is restated here so that the tables are tested against the contract,
not against whichever scanner version is in the tree.
"""

from __future__ import annotations

import re

import pytest

from gateway.classify.attributes import is_credential, is_health, is_person_name
from gateway.classify.context_words import (
    CONTEXT_CJK,
    CONTEXT_WORDS,
    DETECTOR_IDS,
    NOT_CONTEXT_CJK,
    NOT_CONTEXT_PAIRS,
)
from gateway.classify.scanner import key_detectors

# The detector ids of the classifier's contract, as the brief lists them.
CONTRACT_IDS = frozenset(
    {
        "cn_resident_id", "cn_uscc", "cn_mobile", "cn_landline", "cn_passport", "cn_mainland_travel_permit",
        "sg_nric_fin", "sg_uen", "sg_mobile", "sg_passport", "bank_card", "iban", "email", "ip_address",
        "mac_address", "geo_coordinates", "date_of_birth", "person_name", "postal_address", "health", "biometric",
        "religion", "credential", "cn_plate",
    }
)  # fmt: skip
PHONE = frozenset({"cn_mobile", "sg_mobile", "cn_landline"})


def announced(key: str) -> frozenset[str]:
    """What a key announces: the scanner's own lookup (whole key, pairs, words, Chinese substrings less the
    cancelled ones)."""
    return key_detectors(key)


def test_detector_ids_are_the_contract() -> None:
    assert DETECTOR_IDS == CONTRACT_IDS


def test_every_announced_id_is_a_contract_id() -> None:
    used = set().union(*CONTEXT_WORDS.values(), *(ids for _, ids in CONTEXT_CJK))
    assert used <= CONTRACT_IDS


def test_every_contract_id_is_announced_by_an_english_or_pinyin_word() -> None:
    assert set().union(*CONTEXT_WORDS.values()) == CONTRACT_IDS


def test_words_are_normalised() -> None:
    """Keys are looked up lowercased with separators removed: an entry in another form could never match."""
    for word in CONTEXT_WORDS.keys() | NOT_CONTEXT_PAIRS:
        assert re.fullmatch(r"[a-z0-9]+", word), word


def test_no_word_is_both_announcing_and_excluded() -> None:
    assert not CONTEXT_WORDS.keys() & NOT_CONTEXT_PAIRS


def test_no_word_announces_nothing() -> None:
    assert all(CONTEXT_WORDS.values())
    assert all(ids for _, ids in CONTEXT_CJK)


def test_cjk_entries_are_unique_and_cancellations_name_a_cjk_word() -> None:
    words = [w for w, _ in CONTEXT_CJK]
    assert len(words) == len(set(words))
    for phrase in NOT_CONTEXT_CJK:
        assert any(word in phrase for word in words), phrase


@pytest.mark.parametrize(
    ("word", "detector"),
    [
        ("xingming", "person_name"),
        ("xm", "person_name"),
        ("shoujihao", "cn_mobile"),
        ("sjh", "cn_mobile"),
        ("sfzh", "cn_resident_id"),
        ("sfz", "cn_resident_id"),
        ("shenfenzheng", "cn_resident_id"),
        ("dianhua", "cn_landline"),
        ("dizhi", "postal_address"),
        ("chushengriqi", "date_of_birth"),
        ("csrq", "date_of_birth"),
        ("zongjiao", "religion"),
        ("jiankang", "health"),
        ("bingli", "health"),
        ("zhenduan", "health"),
        ("mima", "credential"),
        ("youxiang", "email"),
        ("yinhangka", "bank_card"),
        ("yhk", "bank_card"),
        ("huzhao", "cn_passport"),
        ("chepai", "cn_plate"),
        ("cph", "cn_plate"),
        ("weizhi", "geo_coordinates"),
        ("jingdu", "geo_coordinates"),
        ("latitude", "geo_coordinates"),
        ("uscc", "cn_uscc"),
        ("uen", "sg_uen"),
        ("iban", "iban"),
        ("mac", "mac_address"),
        ("ip", "ip_address"),
        ("nric", "sg_nric_fin"),
        ("passport", "sg_passport"),
        ("huixiangzheng", "cn_mainland_travel_permit"),
        ("dob", "date_of_birth"),
        ("fingerprint", "biometric"),
        ("faceimage", "biometric"),
        ("diagnosis", "health"),
        ("religion", "religion"),
        ("password", "credential"),
        ("apikey", "credential"),
    ],
)
def test_word_announces(word: str, detector: str) -> None:
    assert detector in CONTEXT_WORDS[word]


def test_phone_words_announce_the_three_phone_detectors_together() -> None:
    for word in ("phone", "mobile", "tel", "telephone", "shoujihao", "sjh", "dianhua", "handphone", "msisdn"):
        assert CONTEXT_WORDS[word] >= PHONE, word
    for word, ids in CONTEXT_CJK:
        if word in ("手机", "电话"):
            assert ids >= PHONE


@pytest.mark.parametrize("word", ["id", "key", "no", "number", "code", "pass", "template", "value", "data", "type"])
def test_generic_words_announce_nothing(word: str) -> None:
    assert word not in CONTEXT_WORDS


def test_credential_vocabulary_is_precise() -> None:
    """credential accepts any non-placeholder under its key: none of its words may be a common English word
    with another meaning, and its CJK words name secrets only."""
    credential_words = {w for w, ids in CONTEXT_WORDS.items() if "credential" in ids}
    assert not credential_words & {"pass", "key", "code", "pin", "auth", "login", "session", "hash", "mm", "sign"}
    cjk = {w for w, ids in CONTEXT_CJK if "credential" in ids}
    assert cjk <= {"密码", "口令", "密钥", "私钥", "令牌"}


def test_person_name_cjk_words_exclude_things_with_names() -> None:
    cjk = {w for w, ids in CONTEXT_CJK if "person_name" in ids}
    assert "名" not in cjk
    assert "名称" not in cjk
    for key in ("用户名", "公司名称", "产品名称", "文件名", "签名"):
        assert "person_name" not in announced(key), key


# --- keys through the documented lookup --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "detector"),
    [
        ("name", "person_name"),
        ("customerName", "person_name"),
        ("first_name", "person_name"),
        ("contact-person", "person_name"),
        ("姓名", "person_name"),
        ("客户姓名", "person_name"),
        ("mobileNo", "sg_mobile"),
        ("contact_phone", "cn_landline"),
        ("联系电话", "cn_mobile"),
        ("id_card_no", "cn_resident_id"),
        ("身份证号码", "cn_resident_id"),
        ("home_address", "postal_address"),
        ("收货地址", "postal_address"),
        ("dateOfBirth", "date_of_birth"),
        ("出生日期", "date_of_birth"),
        ("diagnoses", "health"),
        ("宗教信仰", "religion"),
        ("face_image", "biometric"),
        ("人脸照片", "biometric"),
        ("password", "credential"),
        ("x-api-key", "credential"),
        ("clientSecret", "credential"),
        ("登录密码", "credential"),
        ("ipAddress", "ip_address"),
        ("mac_address", "mac_address"),
        ("emailAddress", "email"),
        ("车牌号", "cn_plate"),
        ("统一社会信用代码", "cn_uscc"),
        ("passports", "cn_passport"),
    ],
)
def test_key_announces(key: str, detector: str) -> None:
    assert detector in announced(key)


@pytest.mark.parametrize(
    ("key", "detector"),
    [
        ("companyName", "person_name"),
        ("product_name", "person_name"),
        ("fileName", "person_name"),
        ("username", "person_name"),
        ("hostName", "person_name"),
        ("dept_name", "person_name"),
        ("itemName", "person_name"),
        ("passwordPolicy", "credential"),
        ("password_expiry", "credential"),
        ("pageToken", "credential"),
        ("max_tokens", "credential"),
        ("token_type", "credential"),
        ("ipAddress", "postal_address"),
        ("macAddress", "postal_address"),
        ("emailAddress", "postal_address"),
        ("walletAddress", "postal_address"),
        ("birthPlace", "date_of_birth"),
        ("request_id", "cn_resident_id"),
        ("id", "sg_nric_fin"),
        ("user_id", "cn_resident_id"),
    ],
)
def test_key_does_not_announce(key: str, detector: str) -> None:
    assert detector not in announced(key)


def test_patient_name_key_announces_health_but_the_validator_has_the_final_say() -> None:
    """病人姓名 holds 病 (health) and 姓名 (name): both are asked, and only the name validator accepts a name."""
    kinds = announced("病人姓名")
    assert {"health", "person_name"} <= kinds
    assert is_person_name("张三")
    assert not is_health("张三")


def test_cancelled_cjk_credential_keys_hold_non_secrets() -> None:
    """What 密码强度 (password strength) holds would pass the credential validator: hence the cancellation list."""
    assert "密码强度" in NOT_CONTEXT_CJK
    assert is_credential("strong")
