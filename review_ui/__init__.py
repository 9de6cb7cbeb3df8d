"""The review web app: reviewers correct records, clerks watch books, registrars look up.

``review_ui.app.create_app`` builds the FastAPI app; ``review_ui.cli`` adds
``dangan serve`` and ``dangan user …`` to the command line.
"""
