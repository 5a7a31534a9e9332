"""The local web app (``gamegan app``): a Gradio page over :mod:`gamegan.generate`.

Nothing is imported here, so ``import gamegan.app`` stays cheap; the page lives in
:mod:`gamegan.app.gradio_app`, which imports Gradio only when a page is built; the models it
offers come from :mod:`gamegan.app.models` and its safety rules (what it serves, request and
output limits) live in :mod:`gamegan.app.safety`.
"""
