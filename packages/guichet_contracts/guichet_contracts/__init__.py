"""Contracts between Guichet services.

Only what two services must agree on lives here: how an access token is verified, the event
envelope, the error body of the public API and how an email is rendered and sent. Each module
imports its heavy dependencies lazily so that a service pays only for what a route uses.
"""
