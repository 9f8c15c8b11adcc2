"""Every way issue 8 got a URL that is not the asset's snapshot to VOD's `PUT /asset/cover`.

The parse, the command grammar, the Slack app, the served bot and the command line are
each tested against the same lists.
"""

from __future__ import annotations

from tests.fakes.vod_server import snapshot_url

HOSTS = ["*.cdn-vod.huaweicloud.com"]
ASSET = "6e76f92034ceae2fcdcef9413221511f"
OTHER = "41cff636d5b12a51e7eb2838bbf45201"
HOST = "355.cdn-vod.huaweicloud.com"
PATH = f"/shield/asset/{ASSET}/snapshot/sample/0.jpg"
GOOD = f"https://{HOST}{PATH}"

#: (id, URL, what the refusal names), each failing the parse. Each would pass a looser
#: check: an allowed host somewhere, `/asset/<id>/snapshot/` somewhere.
ATTACKS: list[tuple[str, str, str]] = [
    ("dot-dot", f"https://{HOST}/shield/asset/{ASSET}/snapshot/../sample/0.jpg", "dot segment"),
    ("dot", f"https://{HOST}/shield/./asset/{ASSET}/snapshot/sample/0.jpg", "dot segment"),
    ("climb-to-other-asset",
     f"https://{HOST}/shield/asset/{ASSET}/snapshot/../../{OTHER}/snapshot/sample/0.jpg",
     "dot segment"),
    ("encoded-dot-dot", f"https://{HOST}/shield/asset/{ASSET}/snapshot/%2e%2e/sample/0.jpg",
     "percent-encoding"),
    ("encoded-dot-dot-upper", f"https://{HOST}/shield/asset/{ASSET}/snapshot/%2E%2E/0.jpg",
     "percent-encoding"),
    ("half-encoded-dot-dot", f"https://{HOST}/shield/asset/{ASSET}/snapshot/.%2e/0.jpg",
     "percent-encoding"),
    ("encoded-slash-in-path", f"https://{HOST}/shield/asset/{ASSET}%2fsnapshot/sample/0.jpg",
     "percent-encoding"),
    ("port", f"https://{HOST}:8443{PATH}", "port"),
    ("port-444", f"https://{HOST}:444{PATH}", "port"),
    ("port-0443", f"https://{HOST}:0443{PATH}", "port"),
    ("empty-port", f"https://{HOST}:{PATH}", "port"),
    ("backslash-host", f"https://evil.com\\.{HOST}{PATH}", "backslash"),
    ("backslash-path", f"https://{HOST}/shield\\asset/{ASSET}/snapshot/sample/0.jpg",
     "backslash"),
    ("encoded-slash-host", f"https://evil.com%2f.{HOST}{PATH}", "percent-encoding"),
    ("encoded-host", f"https://%33{HOST[1:]}{PATH}", "percent-encoding"),
    ("uppercase-scheme", f"HTTPS://{HOST}{PATH}", "lowercase"),
    ("mixed-case-scheme", f"Https://{HOST}{PATH}", "lowercase"),
    ("http", f"http://{HOST}{PATH}", "https://"),
    ("http-with-port", f"http://{HOST}:8080{PATH}", "https://"),
    ("http-loopback-lookalike", f"http://127.0.0.1.{HOST}:8080{PATH}", "https://"),
    ("scheme-relative", f"//{HOST}{PATH}", "https://"),
    ("one-slash", f"https:/{HOST}{PATH}", "https://"),
    ("empty-userinfo", f"https://@{HOST}{PATH}", "user name"),
    ("userinfo", f"https://evil.com@{HOST}{PATH}", "user name"),
    ("user-password", f"https://user:pw@{HOST}{PATH}", "user name"),
    ("query", f"{GOOD}?x=1", "query"),
    ("empty-query", f"{GOOD}?", "query"),
    ("fragment", f"{GOOD}#x", "fragment"),
    ("empty-fragment", f"{GOOD}#", "fragment"),
    ("trailing-slash", f"{GOOD}/", "empty path segment"),
    ("trailing-path", f"{GOOD}/x.jpg", "nothing after the file name"),
    ("trailing-extension", f"{GOOD}.png", "nothing after the file name"),
    ("trailing-letters", f"{GOOD}x", "nothing after the file name"),
    ("trailing-semicolon", f"{GOOD};x", "character other than"),
    ("trailing-nul", f"{GOOD}\x00", "U+0000"),
    ("inner-newline", f"https://{HOST}/shield\n/asset/{ASSET}/snapshot/sample/0.jpg", "U+000A"),
    ("inner-tab", f"https://{HOST}/shield/\tasset/{ASSET}/snapshot/sample/0.jpg", "U+0009"),
    ("inner-space", f"https://{HOST}/shield /asset/{ASSET}/snapshot/sample/0.jpg", "a space"),
    ("delete", f"https://{HOST}/\x7fshield/asset/{ASSET}/snapshot/sample/0.jpg", "U+007F"),
    ("escape", f"https://{HOST}/\x1b[2Jshield/asset/{ASSET}/snapshot/sample/0.jpg", "U+001B"),
    ("zero-width-space", f"{GOOD}\u200b", "ZERO WIDTH SPACE"),
    ("soft-hyphen", f"https://{HOST}/shi\u00adeld/asset/{ASSET}/snapshot/sample/0.jpg",
     "SOFT HYPHEN"),
    ("byte-order-mark", f"\ufeff{GOOD}", "ZERO WIDTH NO-BREAK SPACE"),
    ("word-joiner", f"https://{HOST}\u2060{PATH}", "WORD JOINER"),
    ("right-to-left-override", f"https://{HOST}/shield/asset/{ASSET}/snapshot/sample/\u202e0.jpg",
     "RIGHT-TO-LEFT OVERRIDE"),
    ("cyrillic-o-in-host", f"https://355.cdn-v\u043ed.huaweicloud.com{PATH}", "CYRILLIC"),
    ("fullwidth-dot-in-host", f"https://355\uff0ecdn-vod.huaweicloud.com{PATH}", "FULLWIDTH"),
    ("division-slash", f"https://{HOST}/shield\u2215asset/{ASSET}/snapshot/sample/0.jpg",
     "DIVISION SLASH"),
    ("fullwidth-letters", f"https://{HOST}/shield/asset/{ASSET}/snapshot/sample/0.\uff4apg",
     "FULLWIDTH"),
    ("non-breaking-space", f"https://{HOST}{PATH}\u00a0", "NO-BREAK SPACE"),
    ("trailing-dot-host", f"https://{HOST}.{PATH}", "DNS labels"),
    ("empty-label", f"https://355..cdn-vod.huaweicloud.com{PATH}", "DNS labels"),
    ("underscore-host", f"https://3_5.cdn-vod.huaweicloud.com{PATH}", "DNS labels"),
    ("ipv6-host", f"https://[::1]{PATH}", "DNS labels"),
    ("no-host", f"https://{PATH}", "DNS labels"),
    ("suffix-host", f"https://{HOST}.evil.com{PATH}", "not a snapshot host"),
    ("bare-domain", f"https://cdn-vod.huaweicloud.com{PATH}", "not a snapshot host"),
    ("other-host", f"https://evil.example.com{PATH}", "not a snapshot host"),
    ("ip-host", f"https://169.254.169.254{PATH}", "not a snapshot host"),
    ("double-slash", f"https://{HOST}//asset/{ASSET}/snapshot/sample/0.jpg", "empty path"),
    ("not-a-snapshot", f"https://{HOST}/shield/asset/{ASSET}/cover/Cover0.jpg",
     "not a snapshot URL"),
    ("no-asset-id", f"https://{HOST}/asset/snapshot/sample/0.jpg", "not a snapshot URL"),
    ("no-kind", f"https://{HOST}/asset/{ASSET}/snapshot/0.jpg", "not a snapshot URL"),
    ("too-long", f"https://{HOST}/{'p' * 1024}/asset/{ASSET}/snapshot/sample/0.jpg",
     "at most 1024"),
]


KEYNOTE, AVATAR = ASSET, OTHER  # as the fake VOD seeds them

#: (id, URL, what the refusal names): URLs that pass the parse but are not a snapshot VOD
#: lists for KEYNOTE (the last one is AVATAR's, sent by a KEYNOTE picker's button).
NOT_LISTED = [
    ("unlisted", snapshot_url(KEYNOTE, "sample", 99), "not one of the snapshots VOD lists"),
    ("current-cover-path", snapshot_url(KEYNOTE, "sample", 0).replace("/asset/", "/x/asset/"),
     "not one of the snapshots VOD lists"),
    ("other-assets-snapshot-claimed-for-keynote", snapshot_url(AVATAR, "sample", 0),
     f"belongs to asset `{AVATAR}`, not to `{KEYNOTE}`"),
]


