"""`parse`: read a request the way the edge will, JSON text for JSON bodies and text form
fields for multipart ones."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from lpgw.pipelines import Pipeline
from pydantic import BaseModel

Parse = Callable[[Pipeline[Any], dict[str, Any]], BaseModel]


def _parse(pipeline: Pipeline[Any], fields: dict[str, Any]) -> BaseModel:
    request: BaseModel
    if pipeline.body == "json":
        request = pipeline.request.model_validate_json(json.dumps(fields))
        return request
    form = {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in fields.items()
    }
    request = pipeline.request.model_validate(form)
    return request


@pytest.fixture
def parse() -> Parse:
    return _parse
