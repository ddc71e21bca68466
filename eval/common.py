"""Shared pieces of the evaluations: lawqa_jp items, their gold articles, and ranking metrics.

    items = load_items(Path("../shared/eval/lawqa_jp/selection.json"))
    gold = resolve_gold(items, store)          # per item: the gold (doc_id, article) pairs in the corpus
    metrics(ranked, gold.articles)             # recall@1/5/10/20, all@10, mrr@10

Gold for retrieval is the law (## heading) and article (### 第N条 heading) of each item's
コンテキスト. Guidelines, Q&As and supervisory manuals named by ## headings are not in the
corpus: an item whose gold lies only there is counted apart ("outside"), never scored as a miss.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ruleassist.numerals import number_key

DEFAULT_LAWQA = ROOT.parent / "shared" / "eval" / "lawqa_jp" / "selection.json"
ARTICLE_HEADING = re.compile(r"^(附則)?第([0-9０-９〇一二三四五六七八九十百千]+条(?:の[0-9０-９〇一二三四五六七八九十百千]+)*)")
KS = (1, 5, 10, 20)


@dataclass
class Item:
    id: str
    question: str
    choices: str
    context: str
    gold: list[tuple[str, str]] = field(default_factory=list)   # (law name, article address "a27-5")
    laws: list[str] = field(default_factory=list)               # every ## heading, in order

    @property
    def pasted(self) -> str:
        """The item as a user would paste it: the question, then the choices."""
        return f"{self.question}\n{self.choices}"


def gold_articles(context: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(law names, (law, article address) pairs) from the ## / ### headings of a コンテキスト."""
    laws, gold, law = [], [], ""
    for line in context.splitlines():
        if line.startswith("## "):
            law = line[3:].strip()
            laws.append(law)
        elif line.startswith("### ") and law:
            m = ARTICLE_HEADING.match(line[4:].strip())
            if m:
                address = "a" + number_key(m.group(2))
                gold.append((law, f"suppl/{address}" if m.group(1) else address))
    return laws, list(dict.fromkeys(gold))


def load_items(path: Path) -> list[Item]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    samples = data["samples"] if isinstance(data, dict) else data
    items = []
    for s in samples:
        laws, gold = gold_articles(s["コンテキスト"])
        items.append(Item(s["ファイル名"], s["問題文"].strip(), s["選択肢"].strip(), s["コンテキスト"], gold, laws))
    return items


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


@dataclass
class Gold:
    articles: list[set[tuple[str, str]]]       # per item: (doc_id, article address) in the corpus
    outside: list[str]                         # ids of items whose gold is only outside the corpus
    missing_laws: set[str]                     # ## headings that name no document in the store


def resolve_gold(items: list[Item], aliases: dict[str, str]) -> Gold:
    """Map gold law names to store documents (by title or short name)."""
    by_name = {_norm(name): doc_id for name, doc_id in aliases.items()}
    articles, outside, missing = [], [], set()
    for item in items:
        found = set()
        for law, address in item.gold:
            doc_id = by_name.get(_norm(law))
            if doc_id:
                found.add((doc_id, address))
        missing |= {law for law in item.laws if _norm(law) not in by_name}
        articles.append(found)
        if not found:
            outside.append(item.id)
    return Gold(articles, outside, missing)


def article_of(doc_id: str, address: str) -> tuple[str, str]:
    """A hit at any depth, cut to its article: ('jp:…', 'a13/p5') -> ('jp:…', 'a13')."""
    parts = address.split("/")
    keep = 2 if parts[0] == "suppl" and len(parts) > 1 else 1
    return doc_id, "/".join(parts[:keep])


def ranked_articles(hits) -> list[tuple[str, str]]:
    """Hits as a ranked list of distinct articles (an article and its paragraph count once)."""
    out = []
    for h in hits:
        key = article_of(h.provision.doc_id, h.provision.address)
        if key not in out:
            out.append(key)
    return out


def metrics(ranked: list[list[tuple[str, str]]], gold: list[set[tuple[str, str]]]) -> dict[str, float]:
    """recall@k (any gold article in the top k), all@10 (every gold article in the top 10), mrr@10."""
    pairs = [(r, g) for r, g in zip(ranked, gold) if g]
    n = len(pairs) or 1
    out = {f"recall@{k}": sum(bool(set(r[:k]) & g) for r, g in pairs) / n for k in KS}
    out["all@10"] = sum(g <= set(r[:10]) for r, g in pairs) / n
    out["mrr@10"] = sum(next((1 / i for i, a in enumerate(r[:10], 1) if a in g), 0.0) for r, g in pairs) / n
    return {k: round(v, 3) for k, v in out.items()}


def latency(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"latency_p50_ms": 0.0, "latency_p95_ms": 0.0}
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {"latency_p50_ms": round(statistics.median(ms), 1), "latency_p95_ms": round(p95, 1)}


def markdown_table(rows: dict[str, dict[str, float]], columns: list[str]) -> str:
    lines = ["| " + " | ".join(["system", *columns]) + " |", "|" + "---|" * (len(columns) + 1)]
    for name, row in rows.items():
        lines.append("| " + " | ".join([name, *(str(row.get(c, "")) for c in columns)]) + " |")
    return "\n".join(lines)
