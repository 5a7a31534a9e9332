"""The local web app (``gamegan app``): a Gradio page over :mod:`gamegan.generate`.

Nothing is imported here, so ``import gamegan.app`` stays cheap; the page lives in
:mod:`gamegan.app.gradio_app`, which imports Gradio only when a page is built.
"""
