"""The statute articles letters may cite, read from the vendored texts.

A letter cites an article by key (for example ``"条例-35"``). Its wording is
read from the statute file in `law/`, so only articles present in the
reference texts can ever be quoted; an unknown key raises KeyError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cn2an

LAW_DIR = Path(__file__).resolve().parent / "law"

# key prefix -> (file name, statute name as cited in a letter)
STATUTES = {
    "条例": (
        "非银行支付机构监督管理条例(2023-12-09).md",
        "《非银行支付机构监督管理条例》",
    ),
    "暂行办法": (
        "市场监督管理投诉举报处理暂行办法(2022-03-24).md",
        "《市场监督管理投诉举报处理暂行办法》",
    ),
    "仲裁法": ("仲裁法(2017-09-01).md", "《中华人民共和国仲裁法》"),
    "民事诉讼法": ("民事诉讼法(2023-09-01).md", "《中华人民共和国民事诉讼法》"),
    "民法典总则": ("民法典-总则.md", "《中华人民共和国民法典》"),
    "民法典合同编": ("民法典-合同编.md", "《中华人民共和国民法典》"),
    "消保法": ("消费者权益保护法(2013-10-25).md", "《中华人民共和国消费者权益保护法》"),
}

_ARTICLE = re.compile(r"^第([零一二三四五六七八九十百千]+)条\s")


@dataclass(frozen=True)
class Article:
    key: str
    statute: str  # 《中华人民共和国民法典》
    number: int
    label: str  # 第一百九十五条
    text: str  # the article's wording, paragraphs joined by newlines

    @property
    def citation(self) -> str:
        return f"{self.statute}{self.label}"


@cache
def _articles(file_name: str) -> dict[int, tuple[str, str]]:
    """Article number -> (label, text) for one statute file."""
    articles: dict[int, tuple[str, str]] = {}
    current: int | None = None
    for raw in (LAW_DIR / file_name).read_text(encoding="utf-8").splitlines():
        # Some files put zero-width spaces on otherwise empty lines.
        line = raw.strip(" \t\u200b\ufeff\u3000")
        if not line:
            continue
        match = _ARTICLE.match(line)
        if match:
            current = int(cn2an.cn2an(match.group(1), "normal"))
            label = f"第{match.group(1)}条"
            articles[current] = (label, line[match.end() :].strip())
        elif line.startswith("#") or line.startswith("<!--"):
            current = None
        elif current is not None:
            label, text = articles[current]
            articles[current] = (label, f"{text}\n{line}")
    return articles


def article(key: str) -> Article:
    """The article for a key such as ``"民法典总则-195"`` (KeyError if absent)."""
    prefix, _, number = key.rpartition("-")
    file_name, statute = STATUTES[prefix]
    label, text = _articles(file_name)[int(number)]
    return Article(key, statute, int(number), label, text)


def articles(keys) -> list[Article]:
    return [article(key) for key in keys]
