"""A service's OpenAPI description is written when first read; a failure to write it is never half an answer."""

import pytest
from flask import Flask
from flask_smorest import Blueprint

from shared.web import ServiceApi


class _Undescribable(Blueprint):
    def register_views_in_doc(self, *args, **kwargs):
        raise RuntimeError("apispec cannot describe this schema")


def _app(*blueprints: Blueprint) -> tuple[Flask, ServiceApi]:
    app = Flask("sentra.test")
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/")
    api = ServiceApi(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    return app, api


def test_views_answer_before_the_description_is_written_and_it_holds_them_once_read():
    blp = Blueprint("things", __name__, url_prefix="/things", description="Things")

    @blp.route("/")
    def things():
        return {"things": []}

    app, api = _app(blp)
    assert api._undocumented  # nothing written yet
    assert app.test_client().get("/things/").json == {"things": []}
    spec = api.spec.to_dict()
    assert "/things/" in spec["paths"] and {"name": "things", "description": "Things"} in spec["tags"]
    assert api._undocumented == []


def test_a_description_that_cannot_be_written_fails_every_read_not_only_the_first():
    _, api = _app(_Undescribable("broken", __name__, url_prefix="/broken"))
    for _ in range(2):
        with pytest.raises(RuntimeError, match="cannot describe"):
            api.spec  # noqa: B018  (reading the property is the test)
