"""The chat tab: ask in Japanese or English, watch the draft stream, read the verified answer, open
each source (full text, document, version date, official URL), filter, and add files to the corpus.

    with gr.Tab("チャット"):
        parts = build_tab(ws)          # the components the language toggle relabels
"""
from __future__ import annotations

import html
import logging
import queue
import re
import threading

from ruleassist.answer import MARKER, ask, sources
from ruleassist.errors import RuleAssistError
from ruleassist.ui.uploads import add_upload

log = logging.getLogger(__name__)

TEXT = {
    "ja": {"question": "質問", "placeholder": "例: レベル4の自動運転バスを走らせるには誰の許可が要るか",
           "send": "送信", "clear": "クリア", "chat": "回答（引用は検証済みのものだけを表示）",
           "sources": "出典", "filters": "絞り込み", "jurisdiction": "法域", "documents": "文書",
           "as_of": "時点（YYYY-MM-DD）", "upload": "文書の追加（PDF / XML / HTML）", "collection": "コレクション名",
           "file": "ファイル", "add": "追加して索引を更新", "checking": "（引用を検証中…）", "all": "すべて",
           "refused": "⚠ 資料からは分かりません。近い条文を右に示します。", "dropped": "⚠ 根拠を確認できなかった文を削除しました:",
           "no_sources": "出典はまだありません。", "version": "版", "document": "文書", "url": "公式URL",
           "error": "⚠ エラー: ", "internal": "⚠ 内部エラーが発生しました。管理者に連絡してください。",
           "closest": "近い条文（回答の根拠ではありません）", "waiting": "順番を待っています…"},
    "en": {"question": "Question", "placeholder": "e.g. Who must approve a level 4 autonomous bus service?",
           "send": "Send", "clear": "Clear", "chat": "Answers (only verified citations are shown)",
           "sources": "Sources", "filters": "Filters", "jurisdiction": "Jurisdiction", "documents": "Documents",
           "as_of": "As of (YYYY-MM-DD)", "upload": "Add a document (PDF / XML / HTML)", "collection": "Collection name",
           "file": "File", "add": "Add and update the index", "checking": "(checking citations…)", "all": "All",
           "refused": "⚠ The sources do not say. The closest provisions are listed on the right.",
           "dropped": "⚠ Sentences removed because their sources did not support them:",
           "no_sources": "No sources yet.", "version": "version", "document": "document", "url": "official URL",
           "error": "⚠ Error: ", "internal": "⚠ Internal error; please tell the administrator.",
           "closest": "Closest provisions (not the basis of an answer)", "waiting": "Waiting for a free slot…"},
}
JURISDICTIONS = {"ja": [("すべて", ""), ("日本", "JP"), ("EU", "EU"), ("国際規格", "INTL")],
                 "en": [("All", ""), ("Japan", "JP"), ("EU", "EU"), ("International", "INTL")]}


def lang_of(choice: str) -> str:
    return "en" if choice == "English" else "ja"


# ------------------------------------------------------------------------------------ rendering

def draft_view(text: str, lang: str) -> str:
    """The streaming draft without markers: nothing looks cited before it has been checked."""
    return MARKER.sub("", text).strip() + f"\n\n*{TEXT[lang]['checking']}*"


def sources_html(answer, store, lang: str) -> str:
    """Each source as a <details> element: citation, then document, version, official URL and full text."""
    t = TEXT[lang]
    shown = sources(answer) if not answer.abstained else [h.provision for h in answer.hits]
    if not shown:
        return f"<p>{t['no_sources']}</p>"
    head = f"<h4>{t['closest'] if answer.abstained else t['sources']}</h4>"
    return head + "".join(_source(i, p, store, t, answer.abstained) for i, p in enumerate(shown, start=1))


def _source(n: int, p, store, t: dict, closest: bool) -> str:
    doc = store.document(p.doc_id, p.version)
    url = doc.official_url if doc is not None else ""
    link = f'<a href="{html.escape(url)}" target="_blank" rel="noopener">{html.escape(url)}</a>' if url else "—"
    label = html.escape(p.citation) + (f" {html.escape(p.caption)}" if p.caption else "")
    mark = "・" if closest else f"[{n}]"
    return (f'<details class="ra-source" data-id="{html.escape(p.id)}"><summary>{mark} {label}</summary>'
            f"<div class='ra-meta'>{t['document']}: {html.escape(p.title)} ({html.escape(p.doc_id)}) · "
            f"{t['version']}: {html.escape(p.version or '—')} · {t['url']}: {link}</div>"
            f"<div class='ra-text' style='white-space: pre-wrap'>{html.escape(p.text)}</div></details>")


def notice_md(answer, lang: str) -> str:
    t = TEXT[lang]
    lines = [t["refused"]] if answer.abstained else []
    dropped = [c.text for c in answer.claims if not c.supported]
    if dropped:
        lines.append(t["dropped"])
        lines += [f"- ~~{html.escape(s)}~~" for s in dropped]
    lines += [f"> {html.escape(n)}" for n in answer.notices]
    return "\n".join(lines)


def message(answer, lang: str) -> str:
    cited = sources(answer)
    tail = "".join(f"\n[{i}] {p.citation}" for i, p in enumerate(cited, start=1))
    return answer.text + (f"\n\n**{TEXT[lang]['sources']}**{tail}" if tail else "")


# ------------------------------------------------------------------------------------ streaming

def respond(ws, question: str, history: list, lang: str, jurisdiction: str, documents, as_of: str):
    """Generator for Gradio: (history, sources HTML, notice) while the draft streams, then the answer."""
    t = TEXT[lang]
    history = list(history or []) + [{"role": "user", "content": question or ""},
                                     {"role": "assistant", "content": t["waiting"]}]
    yield history, "", ""
    pieces: queue.Queue = queue.Queue()
    result: dict = {}

    def work() -> None:
        try:
            result["answer"] = ask(ws, question or "", jurisdiction=jurisdiction or None,
                                   doc_ids=list(documents or []) or None, as_of=(as_of or "").strip() or None,
                                   on_token=pieces.put)
        except RuleAssistError as exc:
            result["error"] = t["error"] + str(exc)
        except Exception:                     # the app stays up; the log has the traceback
            log.exception("answering %r failed", question)
            result["error"] = t["internal"]
        finally:
            pieces.put(None)

    threading.Thread(target=work, daemon=True).start()
    draft = ""
    while (piece := pieces.get()) is not None:
        draft += piece
        history[-1] = {"role": "assistant", "content": draft_view(draft, lang)}
        yield history, "", ""
    if "error" in result:
        history[-1] = {"role": "assistant", "content": result["error"]}
        yield history, "", result["error"]
        return
    answer = result["answer"]
    history[-1] = {"role": "assistant", "content": message(answer, lang)}
    yield history, sources_html(answer, ws.store, lang), notice_md(answer, lang)


# ------------------------------------------------------------------------------------ the tab

def document_choices(store) -> list[tuple[str, str]]:
    return [(f"{d['title']} ({d['version'] or '—'})", d["doc_id"]) for d in store.documents()]


def build_tab(ws, lang_choice=None) -> dict:
    """The chat tab's components; `lang_choice` (a gr.Radio) relabels them when it changes."""
    import gradio as gr

    t = TEXT["ja"]
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label=t["chat"], height=460, elem_id="ra-chat")
            box = gr.Textbox(label=t["question"], placeholder=t["placeholder"], lines=2, elem_id="ra-question")
            with gr.Row():
                send = gr.Button(t["send"], variant="primary", elem_id="ra-send")
                clear = gr.Button(t["clear"])
            notice = gr.Markdown(elem_id="ra-notice")
        with gr.Column(scale=2):
            panel = gr.HTML(f"<p>{t['no_sources']}</p>", elem_id="ra-sources")
            with gr.Accordion(t["filters"], open=False) as filters:
                jurisdiction = gr.Dropdown(JURISDICTIONS["ja"], value="", label=t["jurisdiction"])
                documents = gr.Dropdown(document_choices(ws.store), multiselect=True, label=t["documents"])
                as_of = gr.Textbox(label=t["as_of"], max_lines=1)
            with gr.Accordion(t["upload"], open=False) as upload_box:
                collection = gr.Textbox(label=t["collection"], value="uploads", max_lines=1)
                upload = gr.File(label=t["file"], file_types=[".pdf", ".xml", ".html", ".htm"], type="filepath")
                add = gr.Button(t["add"])
                upload_status = gr.Markdown()
    lang = gr.State("ja")

    def _respond(question, history, lang_value, j, docs, when):
        yield from respond(ws, question, history, lang_value, j, docs, when)

    inputs = [box, chat, lang, jurisdiction, documents, as_of]
    for trigger in (send.click, box.submit):
        trigger(_respond, inputs, [chat, panel, notice], api_name="ask" if trigger == send.click else False) \
            .then(lambda: "", None, box)
    clear.click(lambda: ([], f"<p>{TEXT['ja']['no_sources']}</p>", ""), None, [chat, panel, notice])

    def _add(file, name, lang_value, progress=gr.Progress()):  # noqa: B008 - Gradio injects the tracker
        try:
            text = add_upload(ws, file, name, lang_value, progress=lambda f, m: progress(f, desc=m))
        except RuleAssistError as exc:
            return f"⚠ {exc}", gr.update()
        return text, gr.update(choices=document_choices(ws.store))

    add.click(_add, [upload, collection, lang], [upload_status, documents], concurrency_limit=1)
    parts = {"chat": chat, "box": box, "send": send, "clear": clear, "filters": filters, "jurisdiction": jurisdiction,
             "documents": documents, "as_of": as_of, "upload_box": upload_box, "collection": collection,
             "upload": upload, "add": add, "lang": lang}
    if lang_choice is not None:
        lang_choice.change(relabel, lang_choice, [parts[k] for k in RELABELLED] + [lang])
    return parts


RELABELLED = ("chat", "box", "send", "clear", "filters", "jurisdiction", "documents", "as_of", "upload_box",
              "collection", "upload", "add")


def relabel(choice: str):
    import gradio as gr
    lang = lang_of(choice)
    t = TEXT[lang]
    return [gr.update(label=t["chat"]), gr.update(label=t["question"], placeholder=t["placeholder"]),
            gr.update(value=t["send"]), gr.update(value=t["clear"]), gr.update(label=t["filters"]),
            gr.update(label=t["jurisdiction"], choices=JURISDICTIONS[lang]), gr.update(label=t["documents"]),
            gr.update(label=t["as_of"]), gr.update(label=t["upload"]), gr.update(label=t["collection"]),
            gr.update(label=t["file"]), gr.update(value=t["add"]), lang]


__all__ = ["build_tab", "draft_view", "notice_md", "re", "relabel", "respond", "sources_html"]
