"""The auth service: accounts, logins, sessions and the contacts of a customer; machine clients
and their webhooks. Wiring only."""

from aws_lambda_powertools import Logger
from chalice import Chalice
from chalicelib.api import api
from chalicelib.events import handlers
from chalicelib.jobs import jobs
from chalicelib.operator_api import operator_api
from chalicelib.privacy_api import privacy_api
from chalicelib.webhook_api import webhook_api
from guichet_contracts import observability, web

app = Chalice(app_name="guichet-auth")

logger = Logger(service="auth")
web.install(app, logger, credentials=True)  # the session cookie (chalicelib/session_cookie.py)
observability.install(app, logger)
app.register_blueprint(api)
app.register_blueprint(operator_api)
app.register_blueprint(jobs)
app.register_blueprint(handlers)
app.register_blueprint(webhook_api)
app.register_blueprint(privacy_api)
