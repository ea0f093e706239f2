"""The API's JSON parser (`REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`). A module of its own:
DRF imports it while `rest_framework.views` loads, so it may import nothing that imports
that."""

from __future__ import annotations

import codecs
from typing import IO, Any, cast

from rest_framework import exceptions, parsers
from rest_framework.utils import json


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 what it would let through to a 500: nesting
    deeper than Python's recursion limit (`[[[[…` ten kilobytes long) and lone UTF-16
    surrogates (`"\\ud800"`, valid JSON), which no UTF-8 answer can repeat back in an error
    message and no database column can store; and, naming it, a key sent twice in one object,
    which DRF took the last of while a proxy or a log may well read the first."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        _content_encoding_refuse(parser_context)
        # DRF's check of the charset, which refuses decompressing ones like bz2_codec.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            # DRF's own parse, plus the object_pairs_hook.
            data = json.load(
                cast(IO[str], codecs.getreader(encoding)(stream)),
                parse_constant=json.strict_constant if self.strict else None,
                object_pairs_hook=_object_without_duplicate_keys,
            )
            _surrogates_refuse(data)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        return data


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) == len(pairs):
        return data
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            _surrogates_refuse(key)  # the error below repeats the key
            raise exceptions.ValidationError({key: ["Sent more than once in one object."]})
        seen.add(key)
    return data  # not reached: some key was seen twice


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


def _content_encoding_refuse(parser_context: Any) -> None:
    """Raise UnsupportedMediaType for a body sent compressed (`Content-Encoding: gzip`).
    Nothing here inflates it, so it reached the JSON decoder as binary and came back as a
    puzzling "parse error - 'utf-8' codec can't decode byte 0x8b"; RFC 7694 answers an
    unsupported content coding with a 415 that says so."""
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", None) or {}
    encoding = meta.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding and encoding != "identity":
        raise exceptions.UnsupportedMediaType(
            encoding,
            detail="Content-Encoding is not supported: send the request body uncompressed.",
        )
