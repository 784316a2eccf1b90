"""The subscriptions service: catalog, subscriptions, orders, renewals, documents, appointments."""

from aws_lambda_powertools import Logger
from chalice import Chalice
from chalicelib.api import api
from chalicelib.catalog_api import catalog_api
from chalicelib.contract_import_api import contract_import_api
from chalicelib.events import handlers
from chalicelib.operator_api import operator_api
from guichet_contracts import observability, web

app = Chalice(app_name="guichet-subscriptions")
logger = Logger(service="subscriptions")
web.install(app, logger)
observability.install(app, logger)
app.register_blueprint(api)
app.register_blueprint(operator_api)
app.register_blueprint(contract_import_api)
app.register_blueprint(catalog_api)
app.register_blueprint(handlers)
