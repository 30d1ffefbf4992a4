"""What a button means: a small frozen record per kind of press, kept server-side.

A journey declares its buttons as frozen dataclasses deriving from `Button` with a short tag
(`class ReviewDo(Button, tag="rv.do")`). The dialog stores each option's record, encoded, with
the question it belongs to; the channel only ever carries an opaque key. A press is decoded
back into its record and routed by the record's type. Decoding checks every field against its
declared type, so a value that does not fit (an old version's shape) is a stale button, never
an exception.

A few buttons live outside any question (the one-tap unsubscribe on a reminder): they are
`static`, carried on the wire as `<tag>:<value>` of their single text field.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any, ClassVar, TypeVar, Union

__all__ = ["Button", "Unsubscribe", "decode", "encode", "from_static", "static_data"]

_TAGS: dict[str, type[Button]] = {}
B = TypeVar("B", bound="Button")


@dataclass(frozen=True)
class Button:
    """The meaning of one option; subclasses are frozen dataclasses (no slots) with a tag."""

    TAG: ClassVar[str] = ""
    STATIC: ClassVar[bool] = False

    def __init_subclass__(cls, *, tag: str = "", static: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not tag:
            raise TypeError(f"{cls.__name__} needs a tag")
        if tag in _TAGS:
            raise TypeError(f"button tag {tag!r} is taken by {_TAGS[tag].__name__}")
        cls.TAG, cls.STATIC = tag, static
        _TAGS[tag] = cls


# Per kind of button: its field names in order, the same as a set, their declared types.
_SHAPES: dict[type[Button], tuple[tuple[str, ...], frozenset[str], dict[str, Any]]] = {}
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _shape(cls: type[Button]) -> tuple[tuple[str, ...], frozenset[str], dict[str, Any]]:
    """A kind of button's field names and their declared types, worked out once per kind."""
    shape = _SHAPES.get(cls)
    if shape is None:
        names = tuple(f.name for f in fields(cls))
        shape = _SHAPES[cls] = (names, frozenset(names), typing.get_type_hints(cls))
    return shape


def encode(button: Button) -> str:
    """The record as stored with the question: '["tag", {field: value}]'."""
    # Every field holds a plain value (a str, int, bool, None or enum: what decoding accepts).
    values = {}
    for name in _shape(type(button))[0]:
        value = getattr(button, name)
        values[name] = value.value if isinstance(value, Enum) else value
    return _ENCODER.encode([button.TAG, values])


def _fits(value: Any, hint: Any) -> tuple[bool, Any]:
    """Whether a decoded JSON value fits a field's type; the value converted (enums)."""
    if hint is Any:
        return True, value
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        for option in typing.get_args(hint):
            ok, converted = _fits(value, option)
            if ok:
                return True, converted
        return False, None
    if hint is type(None):
        return value is None, None
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return True, hint(value)
        except ValueError:
            return False, None
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is str:
        return isinstance(value, str), value
    return False, None


def _build(cls: type[B], values: dict[str, Any]) -> B | None:
    _, names, hints = _shape(cls)
    if values.keys() != names:
        return None
    kwargs: dict[str, Any] = {}
    for name in names:
        ok, converted = _fits(values[name], hints[name])
        if not ok:
            return None
        kwargs[name] = converted
    return cls(**kwargs)


def decode(raw: str) -> Button | None:
    """The record stored for an option, or None when it is not one this version knows."""
    try:
        tag, values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    cls = _TAGS.get(tag) if isinstance(tag, str) else None
    if cls is None or not isinstance(values, dict):
        return None
    return _build(cls, values)


def static_data(button: Button) -> str:
    """The wire form of a static button: '<tag>:<its one field>'."""
    if not button.STATIC:
        raise ValueError(f"{type(button).__name__} is not a static button")
    (value,) = (v.value if isinstance(v, Enum) else v for v in asdict(button).values())
    return f"{button.TAG}:{value}"


def from_static(data: str) -> Button | None:
    """A static button from its wire form, or None."""
    tag, sep, value = data.partition(":")
    cls = _TAGS.get(tag)
    if not sep or cls is None or not cls.STATIC:
        return None
    (name,) = (f.name for f in fields(cls))
    return _build(cls, {name: value})


@dataclass(frozen=True)
class Unsubscribe(Button, tag="unsub", static=True):
    """The one-tap 'stop these' on a reminder or broadcast: acts only for the one pressing."""

    topic: str
