"""The Gradio app in a real browser (Debian's headless Chromium driven by Playwright), and 8 users at once.

The app is the real one (app.py: chat tab, sources panel, report tabs) on a free localhost port,
over a small real store and FAISS index. The LLM is the deterministic fake, scripted to answer
with one sentence that its source supports and one that it does not: what is tested here is
what the browser shows (a streamed answer, an expandable verified citation, a notice for the
dropped sentence), not the model's wording (tests/test_answer.py runs the real models).
"""
from __future__ import annotations

import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ruleassist.backends.fake import FakeBackend

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_answer import QUESTION, make_workspace  # noqa: E402

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
REPLY = ("特定自動運行を行おうとする者は、公安委員会の許可を受けなければならない[1]。"
         "許可の有効期間は三年である[1]。")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import importlib.util
    from dataclasses import replace

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("ruleassist_app", root / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    ws = make_workspace(tmp_path_factory.mktemp("app"))
    ws.cfg = replace(ws.cfg, port=free_port())
    ws._backend = FakeBackend(ws.cfg, replies=[REPLY])
    demo = app.build_app(ws)
    app.launch(demo, ws.cfg, block=False)
    url = f"http://127.0.0.1:{ws.cfg.port}/"
    yield url
    demo.close()


def test_the_app_binds_to_localhost_only(server):
    assert server.startswith("http://127.0.0.1:")


def test_a_question_in_the_chat_gets_an_answer_with_an_expandable_verified_citation(server):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: bash scripts/setup.sh --browser (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto(server, timeout=60_000)
        page.locator("#ra-question textarea").fill(QUESTION)
        page.locator("#ra-send").click()
        source = page.locator("#ra-sources details.ra-source").first
        expect(source).to_be_visible(timeout=120_000)
        expect(source.locator("summary")).to_contain_text("道路交通法第七十五条の十二")
        text = source.locator(".ra-text")
        expect(text).to_be_hidden()
        source.locator("summary").click()                          # expands to the full provision
        expect(text).to_contain_text("公安委員会の許可を受けなければならない")
        expect(source.locator(".ra-meta")).to_contain_text("2025-06-01")
        expect(source.locator(".ra-meta a")).to_have_attribute("href", "https://laws.e-gov.go.jp/law/335AC0000000105")
        chat = page.locator("#ra-chat")
        expect(chat).to_contain_text("公安委員会の許可を受けなければならない[1]")
        expect(chat).not_to_contain_text("三年")                     # the unsupported sentence is not shown…
        expect(page.locator("#ra-notice")).to_contain_text("三年")   # …but named in the notice
        page.get_by_text("English", exact=True).click()             # the English toggle relabels the chat
        expect(page.locator("#ra-send")).to_have_text("Send")
        browser.close()


def test_eight_users_asking_at_once_are_all_answered(server):
    from gradio_client import Client

    def one(i: int) -> tuple[str, float]:
        client = Client(server, verbose=False)
        start = time.perf_counter()
        history, panel, _ = client.predict(f"{QUESTION}（{i}）", [], "", [], "", api_name="/ask")
        return history[-1]["content"][0]["text"], time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    assert len(results) == 8
    assert all("公安委員会の許可を受けなければならない[1]" in text for text, _ in results)


def test_the_friction_tab_makes_a_report_in_the_browser(server):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: bash scripts/setup.sh --browser (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    plan = "過疎地の町で、運転者が乗車しない自動運転バス（レベル4）を公道で運行し、住民から運賃を受け取る。"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto(server, timeout=60_000)
        page.get_by_role("tab", name="規制摩擦レポート / Friction report").click()
        page.get_by_label("Plan (Japanese or English) / 計画").fill(plan)
        page.get_by_label("Confirm weakly cued activities with the LLM (yes/no)").uncheck()
        page.get_by_role("button", name="Make friction report").click()
        # The table keeps a hidden measuring copy of each cell, so check that the row is in the page.
        expect(page.get_by_text("道路交通法第七十五条の十二").first).to_be_attached(timeout=180_000)
        expect(page.get_by_text("公安委員会").first).to_be_attached()
        browser.close()


def test_the_comments_tab_drafts_the_template_in_the_browser(server):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: bash scripts/setup.sh --browser (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    from conftest import EVAL

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto(server, timeout=60_000)
        page.get_by_role("tab", name="ISO/IEC 投票コメント / Ballot comments").click()
        page.locator("input[type=file]").first.set_input_files(str(EVAL / "comments/dev-draft-iso-cd-39712-1.pdf"))
        page.get_by_label("Write the provisions' gists with the LLM").uncheck()
        page.get_by_role("button", name="Draft comments").click()
        expect(page.get_by_text("JP-001").first).to_be_attached(timeout=180_000)
        browser.close()

