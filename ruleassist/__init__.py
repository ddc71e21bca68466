"""ruleassist: regulatory texts as citable provisions, hybrid search, grounded answers and reports.

The public API; the CLI (`ruleassist.cli`) and the Gradio app (`app.py`) call only these.
"""
from ruleassist.citations import parse_citation, parse_citations, render
from ruleassist.config import Config, load_config
from ruleassist.errors import RuleAssistError
from ruleassist.ingest import ingest
from ruleassist.records import Answer, Citation, Claim, Document, Hit, Provision
from ruleassist.store import Store

__all__ = ["Answer", "Citation", "Claim", "Config", "Document", "Hit", "Provision", "RuleAssistError", "Store",
           "ingest", "load_config", "parse_citation", "parse_citations", "render"]
__version__ = "0.1.0"
