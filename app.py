"""The Gradio app: the officials' chat, and a tab for each report. `ruleassist serve` (or `python app.py`).

    demo = build_app(Workspace.open(load_config()))
    launch(demo, cfg)            # 127.0.0.1:7860 by default; cfg.auth "user:password" for shared use

Binds to cfg.host (127.0.0.1 unless changed). Several officials can ask at once: requests
queue, and as many run together as the LLM backend serves (one for llama.cpp on a CPU, whose
model is a single sequence; cfg.llm_concurrency for an OpenAI-compatible server). A tab whose
module is missing or fails to build shows a placeholder, so the app always starts.
"""
from __future__ import annotations

import importlib
import logging

import gradio as gr

from ruleassist.config import Config, load_config
from ruleassist.errors import ConfigError
from ruleassist.ui.chat import TEXT
from ruleassist.ui.chat import build_tab as build_chat
from ruleassist.workspace import Workspace

log = logging.getLogger("ruleassist.app")

FEATURE_TABS = (("friction", "規制摩擦レポート / Friction report"),
                ("comments", "ISO/IEC 投票コメント / Ballot comments"),
                ("gaps", "EU・日本ギャップ / Gap report"))
HEADER = {"ja": "## ruleassist — 法令・規格の調査アシスタント\n回答の各文には、検証済みの条文だけを引用します。",
          "en": "## ruleassist — research assistant for statutes and standards\n"
                "Every sentence of an answer cites only provisions it was verified against."}
CSS = ".ra-source summary { cursor: pointer; font-weight: 600 } .ra-meta { font-size: 0.85em; opacity: 0.8 }"


def concurrency(cfg: Config) -> int:
    """How many answers run at once: what the backend can serve in parallel."""
    return max(1, cfg.llm_concurrency) if cfg.llm_backend == "openai" else 1


def feature_tab(ws: Workspace, name: str) -> None:
    """The tab of ruleassist/ui/<name>.py, or a placeholder saying why it is not there."""
    try:
        module = importlib.import_module(f"ruleassist.ui.{name}")
    except ImportError as exc:
        gr.Markdown(f"*この機能はまだ利用できません / This feature is not available yet* "
                    f"(`ruleassist/ui/{name}.py`: {exc})")
        return
    try:
        module.build_tab(ws)
    except Exception as exc:                 # one broken tab must not take the chat down
        log.exception("the %s tab failed to build", name)
        gr.Markdown(f"*このタブを表示できません / This tab could not be built*: {exc}")


def build_app(ws: Workspace) -> gr.Blocks:
    with gr.Blocks(title="ruleassist") as demo:
        with gr.Row():
            header = gr.Markdown(HEADER["ja"])
            lang = gr.Radio(["日本語", "English"], value="日本語", show_label=False, elem_id="ra-lang", scale=0,
                            min_width=200)
        with gr.Tabs():
            with gr.Tab("チャット / Chat", id="chat"):
                build_chat(ws, lang_choice=lang)
            for name, title in FEATURE_TABS:
                with gr.Tab(title, id=name):
                    feature_tab(ws, name)
        lang.change(lambda c: HEADER["en" if c == "English" else "ja"], lang, header)
    demo.queue(default_concurrency_limit=concurrency(ws.cfg))
    return demo


def auth_pair(cfg: Config) -> tuple[str, str] | None:
    if not cfg.auth:
        return None
    user, sep, password = cfg.auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("auth must be \"user:password\" (RULEASSIST_AUTH or auth in ruleassist.toml)")
    return user, password


def launch(demo: gr.Blocks, cfg: Config, block: bool = True):
    """Serve on cfg.host:cfg.port; returns (app, local_url, share_url) when block is False."""
    return demo.launch(server_name=cfg.host, server_port=cfg.port, auth=auth_pair(cfg), share=False,
                       max_file_size=f"{cfg.upload_max_mb}mb", prevent_thread_lock=not block, ssr_mode=False,
                       show_error=False, quiet=not block, css=CSS, footer_links=["api", "settings"])


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = load_config()
    launch(build_app(Workspace.open(cfg)), cfg)


if __name__ == "__main__":
    main()

__all__ = ["TEXT", "build_app", "concurrency", "launch"]
