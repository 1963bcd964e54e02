"""The app serves its own CJK fonts: WOFF2 subsets of the shipped Noto Sans SC and KR that
hold every character of the interface and the common Chinese and Korean repertoires, built
once and cached under the data folder, with a long Cache-Control and an ETag, declared in
app.css under the Content-Security-Policy's ``font-src 'self'``."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from thermaudit.web import fonts
from thermaudit.web.i18n import WORDS

SC, KR = "noto-sans-sc.woff2", "noto-sans-kr.woff2"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    from fastapi.testclient import TestClient

    from thermaudit.web import Settings, create_app

    data = tmp_path_factory.mktemp("fonts-data")
    app = create_app(Settings(data_dir=data, worker=False))
    with TestClient(app, base_url="https://testserver") as c:
        yield c, data
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def served(client: tuple[Any, Path]) -> dict[str, Any]:
    c, _data = client
    return {name: c.get(f"/fonts/{name}") for name in (SC, KR)}


def _cmap(body: bytes) -> set[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(body))
    assert font.flavor == "woff2"
    return set(font.getBestCmap())


def test_the_subsets_hold_every_character_of_the_interface() -> None:
    zh = {ord(c) for _en, z, _ko in WORDS.values() for c in z if ord(c) > 0x7F}
    ko = {ord(c) for _en, _zh, k in WORDS.values() for c in k if 0xAC00 <= ord(c) <= 0xD7A3}
    assert len(zh) > 200 and len(ko) > 200  # the interface is written in both
    sc, kr = fonts.codepoints(SC), fonts.codepoints(KR)
    assert zh <= sc, sorted(chr(c) for c in zh - sc)
    assert ko <= kr, sorted(chr(c) for c in ko - kr)
    # and the common repertoires beyond it, for names in the data: GB 2312 level 1 ...
    assert {ord(c) for c in "铸造冶炼佛山顺德锻铝压"} <= sc
    assert len([c for c in sc if 0x4E00 <= c <= 0x9FFF]) >= 3755
    # ... and the 2 350 Hangul syllables of KS X 1001 (가 … 힝), but no Hangul in SC
    assert {ord(c) for c in "가힝각철강주조"} <= kr
    assert ord("똠") not in kr and ord("뷁") not in kr  # famously outside KS X 1001
    assert len([c for c in kr if 0xAC00 <= c <= 0xD7A3]) >= 2350
    assert not [c for c in sc if 0xAC00 <= c <= 0xD7A3]
    assert {ord(c) for c in "0123456789 ABCxyz，。、：（）％"} <= sc


def test_fonts_are_served_as_woff2_with_cache_headers(
    client: tuple[Any, Path], served: dict[str, Any]
) -> None:
    c, data = client
    for name, want in ((SC, "单位产品综合能耗"), (KR, "단위 제품 종합 에너지 소비")):
        r = served[name]
        assert r.status_code == 200, r.text[:200]
        assert r.headers["content-type"] == "font/woff2"
        assert r.content[:4] == b"wOF2"
        assert r.headers["cache-control"] == f"public, max-age={30 * 24 * 3600}"
        assert "no-store" not in r.headers["cache-control"]
        cmap = _cmap(r.content)
        assert {ord(ch) for ch in want if ch != " "} <= cmap, name
        assert cmap == set(fonts.codepoints(name))
        etag = r.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{16}"', etag), etag
        again = c.get(f"/fonts/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    # a subset, not the 17 MB font: SC about 1.1 MB, KR about 0.44 MB
    assert 300_000 < len(served[SC].content) < 1_600_000, len(served[SC].content)
    assert 100_000 < len(served[KR].content) < 600_000, len(served[KR].content)
    # built once, kept under the data folder by the digest of what it is made from
    files = sorted(p.name for p in (data / "fonts").iterdir())
    assert files == sorted(f"{Path(n).stem}-{fonts.digest(n)}.woff2" for n in (SC, KR))


def test_cached_subset_is_served_without_rebuilding(client: tuple[Any, Path]) -> None:
    """The second answer is the file on disk (a build takes seconds; this reads it)."""
    c, data = client
    path = fonts.cached(SC, data / "fonts")
    before = path.stat().st_mtime_ns
    r = c.get(f"/fonts/{SC}")
    assert r.status_code == 200 and r.content == path.read_bytes()
    assert path.stat().st_mtime_ns == before


def test_unknown_font_is_404(client: tuple[Any, Path]) -> None:
    c, _data = client
    for name in ("noto-sans-jp.woff2", "..%2Fsecret.key", "x"):
        assert c.get(f"/fonts/{name}").status_code == 404, name
    with pytest.raises(fonts.FontUnknown, match=r"noto-sans-kr\.woff2, noto-sans-sc\.woff2"):
        fonts.codepoints("noto-sans-jp.woff2")


def test_the_stylesheet_declares_the_served_fonts() -> None:
    """app.css's @font-face rules name each served file with its family and unicode-range
    (the one list, fonts.FONTS), and the pages' font list uses both families."""
    css = (resources.files("thermaudit.web") / "static" / "app.css").read_text("utf-8")
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) == len(fonts.FONTS)
    for face in faces:
        url = re.search(r'url\("/fonts/([^"]+)"\)', face)
        assert url, face
        f = fonts.FONTS[url.group(1)]
        assert f'font-family: "{f.family}"' in face
        assert f"unicode-range: {f.unicode_range};" in face
        assert "font-display: swap" in face and 'format("woff2")' in face
    body = re.search(r"body\s*{[^}]*font:([^;]*);", css)
    assert body and '"Noto Sans SC", "Noto Sans KR"' in body.group(1)


def test_font_src_self_allows_the_fonts(client: tuple[Any, Path]) -> None:
    c, _data = client
    csp = c.get("/login").headers["content-security-policy"]
    assert "font-src 'self'" in csp
