"""The web app's behaviour, one module per part of the page; app.py lays them out and wires events.

    page.py     the header and every list, from the index served now (on load, and after any action once it changed)
    choices.py  what a selector pick means: 全部, a place in any written form, a year as typed
    render.py   answers, passages, sections and whole plans as escaped HTML, and answers as plain text
    chat.py     one chat turn: follow-ups, the city selector, the citation picker
    targets.py  the targets tab: table, chart, CSV/Excel downloads
    plans.py    the plans tab: the plan list, uploads, edits, removal and restore, the administrator sign-in
    api.py      what programs get, as plain dicts: an answer, the targets, the plans (the Gradio API names use them)
    jsonapi.py  the JSON API at /api/v1 (ask, targets, plans, health; HTTP statuses; docs at /api/docs)
    server.py   `rag serve`: the JSON API alone, in N forked processes sharing one loaded index
    gradio_import.py  importing Gradio without rewriting its editor stubs (half of the app's start-up)
    page.css, page.js  styles (phones too) and the page's own behaviour in the browser

Nothing here imports gradio, so tests reach all of it without a browser. All corpus text and all
user text goes through `html.escape` before any markup is added.
"""
