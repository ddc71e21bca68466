"""Gradio tabs, one module per feature; each exposes `build_tab(ws)`, called inside `with gr.Tab(...)`.

chat.py (the officials' chat) and uploads.py (adding files to the corpus) make the first tab;
friction.py, comments.py and gaps.py the report tabs. `app.py` assembles them. Importing this
package imports nothing heavy: Gradio is imported inside the builders.
"""
