"""The invoices service: invoices and their PDFs, payments, refunds, payment schedules, bank details."""

from aws_lambda_powertools import Logger
from chalice import Chalice
from chalicelib.api import api
from chalicelib.events import handlers
from chalicelib.operator_api import operator_api
from guichet_contracts import observability, web

app = Chalice(app_name="guichet-invoices")
logger = Logger(service="invoices")
web.install(app, logger)
observability.install(app, logger)
app.register_blueprint(api)
app.register_blueprint(operator_api)
app.register_blueprint(handlers)
