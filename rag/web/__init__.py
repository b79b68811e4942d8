"""The web app's behaviour, one module per part of the page; app.py lays them out and wires events.

    choices.py  what the selectors offer (places, years, plans of the index served now) and what a pick means
    render.py   answers, passages, sections and whole plans as escaped HTML, and answers as plain text
    chat.py     one chat turn: follow-ups, the city selector, the citation picker
    targets.py  the targets tab: table, chart, CSV/Excel downloads
    plans.py    the plans tab: the plan list, uploads, edits, removal and restore, the administrator sign-in
    api.py      the API endpoints /ask, /targets, /plans as plain dicts

Nothing here imports gradio, so tests reach all of it without a browser. All corpus text and all
user text goes through `html.escape` before any markup is added.
"""
