"""The API's JSON parser (`REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`). A module of its own:
DRF imports it while `rest_framework.views` loads, so it may import nothing that imports
that."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 what it would let through to a 500: nesting
    deeper than Python's recursion limit (`[[[[…` ten kilobytes long) and lone UTF-16
    surrogates (`"\\ud800"`, valid JSON), which no UTF-8 answer can repeat back in an error
    message and no database column can store."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            _surrogates_refuse(data)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        return data


def _surrogates_refuse(data: Any) -> None:
    """Raise ParseError if any string in `data` (keys included) holds a lone surrogate. Walks
    with a list, not recursion: the document may be as deep as the parser allowed."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise exceptions.ParseError(
                        "JSON parse error - a string holds an unpaired surrogate (\\ud800–"
                        "\\udfff); send text as UTF-8."
                    ) from exc
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
