"""The interface speaks English, Chinese and Korean: every word in all three, the same
placeholders in each, and every key the templates and the code use is defined."""

from __future__ import annotations

import ast
import re
import string
from importlib import resources
from pathlib import Path

from thermaudit.web.i18n import LANGUAGES, WORDS, accepted, translate

WEB = Path(str(resources.files("thermaudit.web")))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_word_in_three_languages_with_the_same_placeholders() -> None:
    assert LANGUAGES == ("en", "zh", "ko")
    for key, words in WORDS.items():
        assert len(words) == 3 and all(w.strip() for w in words), key
        assert _fields(words[1]) == _fields(words[0]) == _fields(words[2]), key
    # Korean is Korean, not a copy of the English (keys whose words are symbols aside)
    same = [k for k, (en, _zh, ko) in WORDS.items() if en == ko]
    assert set(same) <= {"a", "b", "delta"}, same


def _keys(node: ast.AST) -> set[str]:
    """i18n keys in code: translate("key", …), key="…" and {"key": "…"} (stored reasons)."""
    found: list[ast.expr] = []
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "translate" and node.args:
        found.append(node.args[0])
    if isinstance(node, ast.keyword) and node.arg == "key":
        found.append(node.value)
    if isinstance(node, ast.Dict):
        found += [v for k, v in zip(node.keys, node.values, strict=True) if _const(k) == "key"]
    return {v for v in map(_const, found) if v}


def _const(node: ast.expr | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def test_every_key_used_by_templates_and_code_exists() -> None:
    used: set[str] = set()
    for html in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+)'", html.read_text("utf-8")))
    assert "sign_in" in used
    for py in WEB.glob("*.py"):
        for node in ast.walk(ast.parse(py.read_text("utf-8"))):
            used |= _keys(node)
    missing = sorted(k for k in used if k not in WORDS)
    assert not missing, missing
    assert len(used) > 50


def test_language_from_accept_language() -> None:
    assert accepted("ko-KR,ko;q=0.9,en;q=0.8") == "ko"
    assert accepted("zh-CN,zh;q=0.9") == "zh"
    assert accepted("fr-FR, de;q=0.5") == "en"
    assert accepted("fr, zh-TW;q=0.5") == "zh"
    assert (
        translate("too_many", "ko", s=7)
        == "로그인 실패가 너무 많습니다. 7초 후에 다시 시도하십시오."
    )
    assert translate("too_many", "xx", s=7).startswith("Too many")


def test_report_languages_offered_are_the_report_packages() -> None:
    """The web form and the API offer every report language, Korean and its pairs too."""
    import typing

    from thermaudit.report.labels import LANGS
    from thermaudit.web import api, services

    assert set(services.LANGS) == set(LANGS) and services.LANGS[0] == "zh+en"
    offered = typing.get_args(api.AssessIn.model_fields["lang"].annotation)
    assert set(offered) == set(LANGS)
    assert api.AssessIn(lang="zh+ko").lang == "zh+ko"
