"""Key anti-leech signing: each algorithm against published examples, against a CDN that
checks it independently, and the removal of a pasted URL's signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr

from bot.config import ConfigError, UrlAuth, load_settings
from bot.vod.url_auth import UrlSigner, sign_a, sign_b, sign_c, sign_d, unsign, url_signer
from tests.fakes.cdn_server import KEYS, FakeCdn
from tests.fakes.vod_server import FakeVod
from tests.snapshot_attacks import ASSET, GOOD

ALGORITHMS = [UrlAuth.A, UrlAuth.B, UrlAuth.C, UrlAuth.D]


def test_a_matches_huaweis_worked_example() -> None:
    # Huawei Cloud's "Key防盗链: 鉴权方式A" example (the same md5 string as VOD's A).
    signed = sign_a("http://test-play.example.com/livetest/huawei1.flv",
                    "GCTbw44s6MPLh4GqgDpnfuFHgy25Enly", timestamp=1592639100,
                    rand="477b3bbc253f467b8def6711128c7bec")
    assert signed == ("http://test-play.example.com/livetest/huawei1.flv?auth_key=1592639100-"
                      "477b3bbc253f467b8def6711128c7bec-0-dd1b5ffa00cf26acec0c169ae1cfabea")


@pytest.mark.parametrize(("key", "minute", "path", "md5"), [
    # The published examples of the same scheme (Alibaba Cloud CDN, Tencent EdgeOne).
    ("aliyuncdnexp1234", datetime(2015, 8, 15, 8, 0, tzinfo=UTC),
     "/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3", "9044548ef1527deadafa49a890a377f0"),
    ("DvYmqE81E1F9R791H6lmht", datetime(2024, 7, 15, 15, 33, tzinfo=UTC), "/foo.jpg",
     "d1f0b51c6894231fc12e054fcc7f0b3e"),
])
def test_b_matches_published_examples(key: str, minute: datetime, path: str, md5: str) -> None:
    signed = sign_b(f"https://cdn.example.com{path}", key, when=minute + timedelta(seconds=59))
    assert signed == f"https://cdn.example.com/{minute:%Y%m%d%H%M}/{md5}{path}"


def test_b_writes_the_time_in_utc() -> None:
    beijing = datetime(2015, 8, 15, 16, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert "/201508151600/" in sign_b("https://h/x.jpg", "k", when=beijing)


def test_c_matches_the_published_example() -> None:
    # Tencent EdgeOne's method C example: md5(key + path + hex time), hex time 6694d30a.
    signed = sign_c("https://www.example.com/foo.jpg", "DvYmqE81E1F9R791H6lmht",
                    timestamp=0x6694D30A)
    assert signed == ("https://www.example.com/6688749e8906a726c12fe1be3aacd016/6694d30a/"
                      "foo.jpg")


def test_d_matches_an_openssl_vector() -> None:
    # The page gives no ciphertext; this one is from `openssl enc -aes-128-cbc -base64
    # -K 30313233343536373839616263646566 -iv 000102030405060708090a0b0c0d0e0f` over
    # the URL-encoded "/asset/32237c8f68fcc6071a2d8e3421eee20d/play_video/$20200611090807"
    # (the directory of VOD's D example, a fixed time).
    url = ("https://1.cdn.myhuaweicloud.com/asset/32237c8f68fcc6071a2d8e3421eee20d/"
           "play_video/index.m3u8")
    sealed = ("uc/t4a6W3qWg181V/pacbwL0+K+b0HQhJJmyeDLERFDK4Ag6I690Hsf7ALpUgEHnV68/bzRzRXkl3"
              "OUWOOdiRDqSIOu46jQuZtPuKQBoOVU=")
    signed = sign_d(url, "0123456789abcdef", when=datetime(2020, 6, 11, 9, 8, 7, tzinfo=UTC),
                    iv=bytes(range(16)))
    assert signed == f"{url}?auth_info={quote(sealed, safe='')}.000102030405060708090a0b0c0d0e0f"


def test_the_prefix_before_asset_is_signed_as_the_cdn_sees_it() -> None:
    signed = sign_c(GOOD, "k", timestamp=0x10)
    assert signed.endswith(f"/10/shield/asset/{ASSET}/snapshot/sample/0.jpg")
    assert signed == sign_c(GOOD, "k", timestamp=0x10)  # deterministic for fixed inputs
    assert sign_c(GOOD.replace("/shield", ""), "k", timestamp=0x10).split("/")[3] != \
        signed.split("/")[3]  # the prefix is part of what is hashed


def signer(algorithm: UrlAuth, key: str | None = None) -> UrlSigner:
    return UrlSigner(algorithm, SecretStr(key or KEYS[algorithm]))


def fetch(url: str) -> int:
    return httpx.get(url, timeout=5).status_code


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_cdn_serves_a_signed_url_and_refuses_the_rest(
    fake_cdn: FakeCdn, algorithm: UrlAuth
) -> None:
    plain = fake_cdn.snapshot_url(ASSET, "sample", 0, b"jpeg bytes")
    fake_cdn.protect(algorithm)
    signed = signer(algorithm).sign(plain)
    assert signed != plain
    response = httpx.get(signed, timeout=5)
    assert (response.status_code, response.content) == (200, b"jpeg bytes")
    assert fetch(plain) == 403  # missing
    assert fetch(signer(algorithm, "another-key-0016").sign(plain)) == 403  # wrong key
    stale = signer(algorithm).sign(plain, now=datetime.now(UTC) - timedelta(hours=3))
    assert fetch(stale) == 403  # expired (the window is 120 minutes)
    fake_cdn.snapshot_url(ASSET, "dots", 1)
    assert fetch(signed.replace("/sample/0.jpg", "/dots/1.jpg")) == 403  # another file's


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_signed_url_unsigns_to_the_plain_one(algorithm: UrlAuth) -> None:
    signed = signer(algorithm).sign(GOOD)
    assert signed != GOOD
    assert unsign(signed) == GOOD
    assert unsign(f"  {signed}\n") == GOOD  # as pasted
    assert signer(algorithm).unsign(signed) == GOOD


@pytest.mark.parametrize("text", [
    GOOD, f"{GOOD}?x=1", f"{GOOD}?auth_key=1-2-0-{'a' * 32}&x=1", f"{GOOD}?auth_key=1-2-0-abc",
    f"{GOOD}?auth_key=1-2-0-{'a' * 32}#f", f"{GOOD}?auth_info=abc.{'0' * 31}",
    f"https://355.cdn-vod.huaweicloud.com/20240101120/{'a' * 32}/asset/x/snapshot/s/0.jpg",
    f"https://355.cdn-vod.huaweicloud.com/{'a' * 31}/10/asset/x/snapshot/s/0.jpg",
    "not a url", "",
])
def test_anything_else_is_left_for_the_strict_parse(text: str) -> None:
    assert unsign(text) == text


def test_off_signs_nothing(fake_vod: FakeVod) -> None:
    off = url_signer(fake_vod.settings())
    assert off.algorithm is UrlAuth.OFF
    assert off.sign(GOOD) == off(GOOD) == GOOD


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_signer_comes_from_settings_and_never_shows_its_key(
    fake_vod: FakeVod, algorithm: UrlAuth
) -> None:
    key = KEYS[algorithm]
    settings = fake_vod.settings(vod_url_auth=algorithm.lower(), vod_url_auth_key=key)
    made = url_signer(settings)
    assert made.algorithm is algorithm
    assert unsign(made(GOOD)) == GOOD
    assert key not in repr(made) + str(made) + repr(settings)


@pytest.mark.parametrize(("values", "says"), [
    ({"vod_url_auth": "D", "vod_url_auth_key": "fifteen-chars-k"}, "exactly 16 characters"),
    ({"vod_url_auth": "D", "vod_url_auth_key": "seventeen-chars-k"}, "exactly 16 characters"),
    ({"vod_url_auth": "A"}, "required with VOD_URL_AUTH=A"),
    ({"vod_url_auth_key": "some-key"}, "only used with VOD_URL_AUTH"),
])
def test_bad_settings_are_refused_naming_the_setting(
    fake_vod: FakeVod, values: dict[str, str], says: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        fake_vod.settings(**values)
    assert says in raised.value.problems["VOD_URL_AUTH_KEY"]
    assert "chars-k" not in str(raised.value)  # the key itself is never repeated


def test_an_unknown_algorithm_is_refused(fake_vod: FakeVod) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None, **{k.lower(): v for k, v in
                                         fake_vod.settings_env().items()}, vod_url_auth="E")
    assert "VOD_URL_AUTH" in raised.value.problems
