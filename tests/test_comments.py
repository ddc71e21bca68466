"""Ballot comments: draft reading, each drafting check, the template round trip, grounded technical
comments and the drop of unsupported ones.

The dev draft is the real PDF in ../shared/eval/comments; small drafts are written here into
tmp_path, each with one planted drafting error; technical comments run on a real store of two
laws from ../shared/corpora with a real (BM25) index.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPORA, EVAL

from ruleassist.drafts import read_draft
from ruleassist.errors import ParseError
from ruleassist.reports.editorial import check_draft
from ruleassist.reports.template import (
    COLUMNS,
    Comment,
    CommentSheet,
    docx_problems,
    merge,
    number_comments,
    read_sheet,
    row_problems,
    write_sheet,
)

DEV = EVAL / "comments" / "dev-draft-iso-cd-39712-1.pdf"

HEAD = """Committee Draft — ISO/TC 999 — ISO/CD 12345-1
1 Scope
This document specifies requirements for the operation of delivery robots.
2 Normative references
The following documents are referred to in the text in such a way that some or all of their content
constitutes requirements of this document.
ISO 13482:2014, Robots and robotic devices — Safety requirements for personal care robots
3 Terms and definitions
3.1 delivery robot
mobile robot that carries goods on public sidewalks
3.2 remote operator
person who supervises a delivery robot from a remote location
4 Operation
4.1 General
The remote operator shall stop the delivery robot when a pedestrian is in its path.
The delivery robot shall meet the requirements of ISO 13482.
"""


def draft(tmp_path: Path, extra: str = "", head: str = HEAD) -> Path:
    path = tmp_path / "draft.txt"
    path.write_text(head + extra, encoding="utf-8")
    return path


def findings(tmp_path: Path, extra: str = "", head: str = HEAD) -> list[Comment]:
    return check_draft(read_draft(draft(tmp_path, extra, head)))


# -- reading drafts -------------------------------------------------------------------------------


def test_dev_pdf_gives_reference_stage_clauses_and_printed_lines():
    d = read_draft(DEV)
    assert (d.reference, d.stage, d.date) == ("ISO/CD 39712-1", "CD", "2026-10-15")
    labels = [c.label for c in d.clauses]
    assert labels[:6] == ["1", "2", "3", "3.1", "3.2", "3.3"] and "5.5" in labels and "5.4" not in labels
    assert labels[-1] == "Annex A" and d.clause("Annex A").informative and not d.clause("5.2").informative
    assert d.clause("5.2").line == 35 and d.clause("3.1").title == "remote monitoring operator"
    assert [(s.line, s.last) for s in d.clause("5.2").sentences()] == [(36, 38), (39, 40)]
    note = d.clause("5.3").blocks[0]
    assert (note.kind, [line.number for line in note.lines]) == ("note", [44, 45])
    assert [s.kind for s in d.clause("Annex A").sentences()] == ["example"]
    assert d.clause_at(47).label == "5.5"


def test_text_draft_with_margin_numbers_keeps_them(tmp_path):
    path = tmp_path / "numbered.txt"
    path.write_text("Committee Draft ISO/DIS 2222\n1 1 Scope\n2 This document applies to drones.\n"
                    "7 2 Requirements\n8 The pilot shall hold a licence.\n9 The pilot shall log flights.\n",
                    encoding="utf-8")
    d = read_draft(path)
    assert d.stage == "DIS" and d.clause("2").line == 7 and d.clause("2").sentences()[0].line == 8


def test_docx_draft_numbers_word_headings(tmp_path):
    import docx
    document = docx.Document()
    document.add_paragraph("ISO/WD 4444 Working Draft")
    document.add_heading("Scope", level=1)
    document.add_paragraph("This document specifies requirements.")
    document.add_heading("Requirements", level=1)
    document.add_heading("Flight", level=2)
    document.add_paragraph("NOTE The pilot should rest.")
    document.save(tmp_path / "d.docx")
    d = read_draft(tmp_path / "d.docx")
    assert [c.label for c in d.clauses] == ["1", "2", "2.1"] and d.reference == "ISO/WD 4444"
    assert [c.rule for c in check_draft(d)] == ["should-in-note"]


@pytest.mark.parametrize("make, message", [
    ("scanned", r"no text layer .*ocrmypdf"),
    ("password", r"password-protected PDF: remove the password"),
    ("unnumbered", r"no clause numbering found .*is this a standard draft"),
])
def test_unusable_drafts_say_what_to_do(tmp_path, make, message):
    import pypdf
    path = tmp_path / "bad.pdf"
    if make == "unnumbered":
        path = tmp_path / "letter.txt"
        path.write_text("Dear colleagues,\nplease find the draft attached.\nBest regards\n", encoding="utf-8")
    else:
        writer = pypdf.PdfWriter(clone_from=DEV) if make == "password" else pypdf.PdfWriter()
        if make == "scanned":
            writer.add_blank_page(595, 842)
        else:
            writer.encrypt(user_password="secret", algorithm="RC4-128")
        with open(path, "wb") as fh:
            writer.write(fh)
    with pytest.raises(ParseError, match=message):
        read_draft(path)


# -- drafting checks, one planted error each ------------------------------------------------------


def test_clean_draft_has_no_findings(tmp_path):
    assert findings(tmp_path) == []


@pytest.mark.parametrize("extra, rule, kind, phrase", [
    ("NOTE The remote operator should log each stop.\n", "should-in-note", "ed", "recommendation"),
    ("NOTE The remote operator shall log each\nstop.\n", "shall-in-note", "te", "requirement"),
    ("EXAMPLE A delivery robot shall stop at a crossing.\n", "shall-in-example", "te", "EXAMPLE"),
    ("The remote operator must log each stop.\n", "must", "ed", "'must'"),
    ("The fleet manager shall keep a log.\nThe fleet manager shall review the log.\n", "undefined-term", "ed",
     "'fleet manager'"),
    ("The delivery robot shall keep to the DDT limits.\n", "abbreviation", "ed", "'DDT'"),
    ("The delivery robot shall meet ISO 23482-2.\n", "reference-missing", "ed", "ISO 23482-2"),
    ("The delivery robot shall meet ISO 13482-1.\n", "reference-mismatch", "ed", "does not match"),
    ("4.3 Charging\nThe delivery robot shall be charged indoors.\n", "numbering", "ed", "skips 4.2"),
])
def test_each_drafting_rule_finds_its_planted_error(tmp_path, extra, rule, kind, phrase):
    found = findings(tmp_path, extra)
    assert [c.rule for c in found] == [rule], found
    c = found[0]
    assert c.type == kind and phrase in c.comment and c.proposed and not row_problems(c)
    assert c.line == len(HEAD.splitlines()) + 1


def test_listed_but_never_cited_reference_points_at_its_entry(tmp_path):
    head = HEAD.replace("The delivery robot shall meet the requirements of ISO 13482.\n", "")
    c, = findings(tmp_path, head=head)
    assert (c.rule, c.line, c.clause) == ("reference-uncited", 7, "2")


def test_duplicated_clause_number_is_found(tmp_path):
    c, = findings(tmp_path, "4.1 Charging\nThe delivery robot shall be charged indoors.\n")
    assert c.rule == "numbering" and "used twice" in c.comment and c.line == 17


def test_abbreviation_expansion_is_proposed_from_the_draft(tmp_path):
    c, = findings(tmp_path, "The remote operator shall watch the sidewalk risk zone.\nEach SRZ shall be mapped.\n")
    assert c.rule == "abbreviation" and '"sidewalk risk zone (SRZ)"' in c.proposed


def test_dev_draft_editorial_findings_match_the_gold_lines():
    import json
    gold = json.loads((EVAL / "comments" / "dev-draft-iso-cd-39712-1.gold.json").read_text(encoding="utf-8"))
    found = check_draft(read_draft(DEV))
    hit = [g for g in gold["editorial"] if any(g["lines"][0] - 1 <= c.line <= g["lines"][1] + 1 for c in found)]
    assert len(hit) >= 0.9 * len(gold["editorial"]) and len(found) <= len(gold["editorial"]) / 0.8


# -- the template ---------------------------------------------------------------------------------


def sheet() -> CommentSheet:
    rows = (Comment(12, "5.2", "", "te", "Conflicts with Japanese law.", "Replace with: ...", citations=("x",)),
            Comment(3, "2", "", "ed", "Entry never cited.", "Delete the entry."),
            Comment(None, "General", "", "ge", "The scope is too wide.", ""),
            Comment(30, "Annex A", "EXAMPLE", "ed", "'shall' in an EXAMPLE.", "Reword."))
    return number_comments(CommentSheet("ISO/CD 12345-1", "ISO 12345-1", "2026-11-27", rows))


def test_ids_follow_clause_then_line_order():
    s = sheet()
    assert [(c.id, c.clause) for c in s.comments] == [("JP-001", "General"), ("JP-002", "2"), ("JP-003", "5.2"),
                                                       ("JP-004", "Annex A")]


def test_docx_reopens_with_one_eight_column_table_and_round_trips(tmp_path):
    import docx
    path = write_sheet(sheet(), tmp_path / "c.docx")
    document = docx.Document(str(path))
    assert len(document.tables) == 1 and tuple(c.text for c in document.tables[0].rows[0].cells) == COLUMNS
    assert docx_problems(path) == []
    assert [p.text for p in document.paragraphs[:3]] == ["Date: 2026-11-27", "Document: ISO/CD 12345-1",
                                                          "Project: ISO 12345-1"]
    back = read_sheet(path)
    assert back.document == "ISO/CD 12345-1" and len(back.comments) == 4
    assert [(c.id, c.line, c.clause, c.type, c.comment) for c in back.comments] == \
        [(c.id, c.line, c.clause, c.type, c.comment) for c in sheet().comments]
    assert all(not row_problems(c) for c in back.comments)


def test_xlsx_and_csv_keep_the_column_order(tmp_path):
    back = read_sheet(write_sheet(sheet(), tmp_path / "c.xlsx"))
    assert back.project == "ISO 12345-1" and [c.id for c in back.comments] == ["JP-001", "JP-002", "JP-003", "JP-004"]
    csv_path = write_sheet(sheet(), tmp_path / "c.csv")
    assert csv_path.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(COLUMNS)


def test_merge_keeps_the_experts_rows_and_drops_duplicates(tmp_path):
    mine = number_comments(CommentSheet("ISO/CD 12345-1", "ISO 12345-1", "2026-11-27",
                                        (Comment(3, "2", "", "ed", "Entry never cited here.", "Delete the entry."),
                                         Comment(40, "6.1", "", "te", "Fees need a permit.", "Add a permit."))))
    theirs = read_sheet(write_sheet(mine, tmp_path / "expert.docx"))
    merged = merge(sheet(), theirs)
    assert len(merged.comments) == 5                  # 4 drafted + 2 theirs - 1 duplicate
    assert [c.id for c in merged.comments] == [f"JP-{i:03d}" for i in range(1, 6)]
    assert "Entry never cited here." in [c.comment for c in merged.comments]


def test_a_docx_that_is_not_a_comment_template_is_refused(tmp_path):
    import docx
    document = docx.Document()
    document.add_paragraph("Minutes of the meeting")
    document.add_table(rows=2, cols=3)
    document.save(tmp_path / "minutes.docx")
    with pytest.raises(ParseError, match="not an ISO/IEC comment sheet: no table with the columns MB/NC"):
        read_sheet(tmp_path / "minutes.docx")


def test_cli_refuses_a_bad_merge_sheet_before_writing_anything(tmp_path):
    import docx
    from typer.testing import CliRunner

    from ruleassist.cli import app
    docx.Document().save(tmp_path / "empty.docx")
    out = tmp_path / "comments.docx"
    result = CliRunner().invoke(app, ["comments", str(DEV), "--editorial-only", "--out", str(out),
                                      "--merge", str(tmp_path / "empty.docx")])
    assert result.exit_code == 2 and "not an ISO/IEC comment sheet" in result.output and not out.exists()
    result = CliRunner().invoke(app, ["comments", str(DEV), "--editorial-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert docx_problems(out) == [] and len(read_sheet(out).comments) == 11


# -- technical comments ---------------------------------------------------------------------------

CAMERA_DRAFT = """Committee Draft — ISO/IEC JTC 1/SC 99 — ISO/IEC CD 55555
1 Scope
This document specifies requirements for smart-home cameras.
2 Normative references
There are no normative references in this document.
3 Terms and definitions
3.1 camera operator
organization that operates smart-home cameras
4 Data handling
4.1 Recording
The camera operator shall record video only inside the home.
4.2 Sharing
The camera operator may provide recorded video of visitors to third parties without the consent of the visitors.
"""


@pytest.fixture(scope="module")
def data_ws(tmp_path_factory):
    from ruleassist.config import load_config
    from ruleassist.index import build_index, open_index
    from ruleassist.ingest import ingest
    from ruleassist.store import Store
    from ruleassist.workspace import Workspace

    tmp = tmp_path_factory.mktemp("ballot")
    cfg = load_config(store_path=tmp / "store.sqlite", index_dir=tmp / "indexes", embedder="none")
    store = Store(cfg.store_path)
    report = ingest(store, [CORPORA / "jp/markdown/acts/415AC0000000057.md",       # 個人情報の保護に関する法律
                            CORPORA / "jp/markdown/acts/406AC0000000085.md"])      # 製造物責任法
    assert not report.failed
    build_index(cfg, store, progress=False)
    ws = Workspace(cfg, store)
    ws._index = open_index(cfg, store=store)
    return ws


def test_a_waived_consent_gets_a_comment_citing_the_japanese_article(data_ws, tmp_path):
    from ruleassist.reports.ballot import technical_comments
    path = tmp_path / "camera.txt"
    path.write_text(CAMERA_DRAFT, encoding="utf-8")
    steps = []
    found = technical_comments(data_ws, read_draft(path), use_llm=False, dense=False,
                               progress=lambda f, m: steps.append(f))
    assert len(found) == 1, found
    c = found[0]
    assert (c.clause, c.line, c.type) == ("4.2", 13, "te") and not row_problems(c)
    assert 1 <= len(c.citations) <= 3 and c.citations[0].startswith("個人情報の保護に関する法律第27条")
    assert "consent" in c.comment and "only with the consent" in c.proposed
    assert steps and steps == sorted(steps)


def test_an_index_without_vectors_drafts_the_same_comment_through_the_whole_sheet(data_ws, tmp_path):
    """The default path (dense=None) must not judge with vectors the index does not have."""
    from ruleassist.reports.ballot import ballot_comments, multilingual
    path = tmp_path / "camera.txt"
    path.write_text(CAMERA_DRAFT, encoding="utf-8")
    assert not multilingual(data_ws.index())
    sheet = ballot_comments(data_ws, path, use_llm=False)
    assert [c.citations[0][:len("個人情報の保護に関する法律第27条")] for c in sheet.comments if c.type == "te"] == \
        ["個人情報の保護に関する法律第27条"]


def test_a_comment_whose_citation_does_not_support_it_is_dropped(data_ws, tmp_path):
    from ruleassist.reports.ballot import (
        Grounds,
        glossary_judge,
        technical_comments,
        verify_grounds,
    )
    from ruleassist.verify import verify_citation_text
    store = data_ws.store
    right = verify_citation_text(store, "個人情報の保護に関する法律第27条")
    wrong = verify_citation_text(store, "製造物責任法第3条")
    claim = "requires consent before personal data is provided to a third party."
    sentence = "The operator may provide video of visitors to third parties without their consent."
    kept = verify_grounds([Grounds(right, "第27条", claim, 1.0), Grounds(wrong, "第3条", claim, 1.0)], sentence,
                          glossary_judge)
    assert [g.provision.id for g in kept] == [right.id]
    path = tmp_path / "camera.txt"
    path.write_text(CAMERA_DRAFT, encoding="utf-8")
    # A judge that finds no support anywhere: the comment has no grounds left and is not drafted.
    assert technical_comments(data_ws, read_draft(path), use_llm=False, dense=False, judge=lambda claim, p: 0.0) == []


def test_position_papers_are_searched_with_the_law(data_ws, tmp_path):
    from ruleassist.reports.ballot import technical_comments
    path = tmp_path / "camera.txt"
    path.write_text(CAMERA_DRAFT, encoding="utf-8")
    paper = tmp_path / "jp-position-camera-video.md"
    paper.write_text("# 防犯カメラ映像に関する日本の立場\n\n来訪者の映像を第三者に提供するときは、"
                     "あらかじめ本人の同意を得なければならない。\n", encoding="utf-8")
    c, = technical_comments(data_ws, read_draft(path), position_papers=[paper], use_llm=False, dense=False)
    assert any("防犯カメラ映像" in cite for cite in c.citations), c.citations


def test_the_tab_writes_only_accepted_rows_with_edits(tmp_path):
    from ruleassist.ui.comments import rows_sheet, sheet_rows
    rows = sheet_rows(sheet())
    rows[1][0] = False                              # rejected in the table
    rows[2][7] = "Edited by the expert."
    header = {"document": "ISO/CD 12345-1", "project": "ISO 12345-1", "date": "2026-11-27", "mb": "JP"}
    edited = rows_sheet(rows, header)
    assert [c.id for c in edited.comments] == ["JP-001", "JP-002", "JP-003"]
    assert "Edited by the expert." in [c.comment for c in edited.comments]
    assert docx_problems(write_sheet(edited, tmp_path / "tab.docx")) == []


@pytest.mark.slow
def test_llm_gists_are_checked_and_fall_back_to_the_glossary(data_ws, tmp_path):
    """A real (tiny) model words the gist; whatever it writes must be supported by the provision,
    else the glossary gist stands in: the comment and its citation survive either way."""
    from dataclasses import replace as dc_replace

    from ruleassist.models import is_pulled
    from ruleassist.reports.ballot import technical_comments
    from ruleassist.workspace import Workspace
    cfg = dc_replace(data_ws.cfg, llm_backend="llama_cpp", llm_model="smollm2-135m")
    if not is_pulled(cfg.models_dir, "smollm2-135m"):
        pytest.skip("smollm2-135m is not pulled; run: ruleassist models pull smollm2-135m")
    ws = Workspace(cfg, data_ws.store, _index=data_ws.index())
    path = tmp_path / "camera.txt"
    path.write_text(CAMERA_DRAFT, encoding="utf-8")
    c, = technical_comments(ws, read_draft(path), use_llm=True, dense=False)
    assert c.citations[0].startswith("個人情報の保護に関する法律第27条") and "consent" in c.comment.lower()


def test_every_duty_label_names_its_own_duty():
    """Rule gists are worded from these labels and then verified through the same glossary."""
    from ruleassist.reports.glossary import DUTIES, duty_concepts
    for _, terms, label in DUTIES:
        assert terms in [t for _, t in duty_concepts(label)], label
