"""The invoices service: invoices and their PDFs, payments, refunds, payment schedules, bank details."""

from aws_lambda_powertools import Logger
from chalice import Chalice
from chalicelib.api import api
from chalicelib.events import handlers
from chalicelib.operator_api import operator_api
from guichet_contracts import observability, web

app = Chalice(app_name="guichet-invoices")
# the provider's invoice PDFs come in as they are (operator_api.provider_invoice_pdf): API Gateway
# passes them base64-encoded instead of reading them as text
app.api.binary_types.append("application/pdf")
logger = Logger(service="invoices")
web.install(app, logger)
observability.install(app, logger)
app.register_blueprint(api)
app.register_blueprint(operator_api)
app.register_blueprint(handlers)
