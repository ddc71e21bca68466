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
from contextlib import contextmanager
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


@contextmanager
def browser_page(url: str):
    """A page of the app at `url` in headless Chromium (the test is skipped where Chromium is missing)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: bash scripts/setup.sh --browser (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto(url, timeout=60_000)
        yield page
        browser.close()


def load_app(root: Path):
    """app.py as a module (it is a script at the project root, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ruleassist_app", root / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    return app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dataclasses import replace

    root = Path(__file__).resolve().parent.parent
    app = load_app(root)
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
    from playwright.sync_api import expect

    with browser_page(server) as page:
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
    from playwright.sync_api import expect

    plan = "過疎地の町で、運転者が乗車しない自動運転バス（レベル4）を公道で運行し、住民から運賃を受け取る。"
    with browser_page(server) as page:
        page.get_by_role("tab", name="規制摩擦レポート / Friction report").click()
        page.get_by_label("Plan (Japanese or English) / 計画").fill(plan)
        page.get_by_label("Confirm weakly cued activities with the LLM (yes/no)").uncheck()
        page.get_by_role("button", name="Make friction report").click()
        # The table keeps a hidden measuring copy of each cell, so check that the row is in the page.
        expect(page.get_by_text("道路交通法第七十五条の十二").first).to_be_attached(timeout=180_000)
        expect(page.get_by_text("公安委員会").first).to_be_attached()


def test_the_comments_tab_drafts_the_template_in_the_browser(server):
    from playwright.sync_api import expect

    from conftest import EVAL

    with browser_page(server) as page:
        page.get_by_role("tab", name="ISO/IEC 投票コメント / Ballot comments").click()
        page.locator("input[type=file]").first.set_input_files(str(EVAL / "comments/dev-draft-iso-cd-39712-1.pdf"))
        page.get_by_label("Write the provisions' gists with the LLM").uncheck()
        page.get_by_role("button", name="Draft comments").click()
        expect(page.get_by_text("JP-001").first).to_be_attached(timeout=180_000)



@pytest.fixture(scope="module")
def gap_server(tmp_path_factory):
    """The app over 温対法, GX推進法 and CBAM, with a BM25 index and a fake LLM that says yes."""
    from test_gaps import CBAM_JSON, GX, ONDANKA, YES, _store

    from ruleassist.config import load_config
    from ruleassist.index import build_index
    from ruleassist.workspace import Workspace

    root = Path(__file__).resolve().parent.parent
    folder = tmp_path_factory.mktemp("gap-app")
    store = _store(folder / "corpus", [ONDANKA, GX, CBAM_JSON])
    cfg = load_config(cache_dir=folder / "cache", index_dir=folder / "indexes", reports_dir=folder / "reports",
                      corpora_dir=root / "corpora", embedder="none", llm_backend="fake", port=free_port(), env={})
    build_index(cfg, store, progress=False)
    ws = Workspace.open(cfg, store.path)
    ws._backend = FakeBackend(cfg, scores=YES)
    app = load_app(root)
    demo = app.build_app(ws)
    app.launch(demo, cfg, block=False)
    yield f"http://127.0.0.1:{cfg.port}/"
    demo.close()


def test_the_gap_tab_runs_cbam_and_offers_the_reports(gap_server):
    from playwright.sync_api import expect

    with browser_page(gap_server) as page:
        page.get_by_role("tab", name="EU・日本ギャップ / Gap report").click()
        page.get_by_role("button", name="Make gap report").click()
        # The table renders only the rows in view: check the summary, the first rows and the downloads.
        expect(page.get_by_text("Regulation (EU) 2023/956 (CBAM):").first).to_be_visible(timeout=300_000)
        expect(page.get_by_text("Regulation (EU) 2023/956, Article 5(1)").first).to_be_attached()
        for name in ("CBAM-gaps.xlsx", "CBAM-gaps.html", "CBAM-gaps.md"):
            expect(page.get_by_role("cell", name=name)).to_be_visible()
        xlsx = page.get_by_role("link").filter(has_text="KB").first.get_attribute("href")
        assert xlsx.endswith("CBAM-gaps.xlsx") and page.request.get(xlsx).body()[:2] == b"PK"    # a real workbook
        page.get_by_label("Show / 表示").click()
        page.get_by_role("option", name="partial").click()
        # Article 4 (authorised declarants) is a gap: it leaves the table when only partial rows are shown.
        expect(page.get_by_text("Regulation (EU) 2023/956, Article 4", exact=True)).to_have_count(0, timeout=30_000)
        expect(page.get_by_text("Regulation (EU) 2023/956, Article 5(1)").first).not_to_be_attached()
