from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """JSON answers serialised by orjson: exact decimal strings in, same strings out."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
