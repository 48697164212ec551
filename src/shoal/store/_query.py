r"""A small, safe expression language for selecting frames, compiled to DuckDB SQL.

Users filter frames by metadata and label statistics, for example::

    weather = 'rain' and num_labels > 3
    not is_night and (camera in ('front', 'rear') or uri startswith 's3://')
    has('cat') and count('dog', 'puppy') >= 2
    brightness < 0.2 and has('car', relative_area < 0.01)
    `camera id` is not null

:func:`compile_query` turns an expression into a :class:`CompiledQuery`: a ``WHERE``
clause with ``?`` placeholders and the values to bind to them. Every name comes from
the ``fields`` whitelist and is emitted double-quoted; every value the user wrote is a
parameter, never SQL text. Mistakes raise :class:`QueryError` (an
:class:`~shoal.errors.InputError`) naming the column of the expression, for example
``query: at column 14: unknown field 'wether' (did you mean 'weather'?)``.

Grammar (keywords are case-insensitive; see docs/queries.md)::

    query      := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "(" or_expr ")"
                | "has" "(" labels ")"
                | operand [tail]                    -- without a tail, a bool operand
    labels     := string ("," string)* ["," or_expr] | or_expr
                                    -- the or_expr is a label condition: its fields are
                                       class_name and the label metrics
    tail       := ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") operand
                | ["not"] "in" "(" [literal ("," literal)* [","]] ")"
                | "is" ["not"] "null"
                | ("contains" | "startswith" | "endswith") string
    operand    := field | literal | "count" "(" [labels] ")"
    field      := name | "`" any text, "``" for a backquote "`"
    literal    := string | ["-"] number | "true" | "false"
    string     := '...' | "..."   (escapes \\ \' \" \n \r \t \0 \uXXXX \UXXXXXXXX;
                                   a doubled quote also stands for itself)
    number     := digits ["." digits] [exponent] | "." digits [exponent]

Semantics are two-valued: every condition is true or false, never unknown. A
comparison, ``in``, ``contains``, ``startswith`` or ``endswith`` on a null value is
false; ``!=`` and ``not in`` are exactly the negations of ``=`` and ``in`` (so they are
true on null). Numbers compare as numbers whatever their type (int with float); strings
by code point; bools only with ``=``, ``!=`` and ``in``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NoReturn, TypeAlias, cast

from shoal.errors import InputError

__all__ = [
    "FIELD_TYPES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "CompiledQuery",
    "FieldType",
    "QueryError",
    "compile_query",
    "quote_identifier",
]

FieldType: TypeAlias = Literal["bool", "int", "float", "string"]
FIELD_TYPES: tuple[FieldType, ...] = ("bool", "int", "float", "string")

MAX_LENGTH = 4000
"""The longest expression accepted, in characters."""
MAX_DEPTH = 32
"""The deepest nesting of parentheses and ``not`` accepted."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_SQL_TYPES: dict[FieldType, str] = {
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "float": "DOUBLE",
    "string": "VARCHAR",
}
_LIKE_ESCAPE = "\\"
# The labels columns a label predicate reads (see shoal.tables.LABELS_SCHEMA).
_LABEL_FRAME = "frame_id"
_LABEL_CLASS = "class_name"
_FRAME_ID = "frame_id"


class QueryError(InputError):
    """A query that cannot be compiled. ``position`` is the 0-based offset of the
    problem in ``expression``; ``line`` and ``column`` (1-based) are where the message
    says it is."""

    def __init__(self, message: str, *, expression: str, position: int):
        self.expression = expression
        self.position = position
        self.line = expression.count("\n", 0, position) + 1
        self.column = position - (expression.rfind("\n", 0, position) + 1) + 1
        where = f"column {self.column}"
        if self.line > 1:
            where = f"line {self.line}, {where}"
        if position >= len(expression):
            where += " (end of input)"
        super().__init__(f"at {where}: {message}", source="query")


@dataclass(frozen=True)
class CompiledQuery:
    """A ``WHERE`` clause over the frames relation, with ``?`` placeholders bound in order
    to ``params``. ``fields`` are the field names the query reads; ``uses_labels`` tells
    whether it reads the labels relation."""

    sql: str
    params: list[object] = field(default_factory=list)
    fields: frozenset[str] = frozenset()
    uses_labels: bool = False


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier, embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- tokens

_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "null", "true", "false", "contains", "startswith", "endswith"}
)
_OPERATORS = ("<=", ">=", "!=", "<>", "==", "=", "<", ">", "(", ")", ",", "-")
_DIGITS = "0123456789"
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[^\W\d]\w*")
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "0": "\0",
}

TokenKind: TypeAlias = Literal["name", "quoted_name", "keyword", "string", "number", "op", "end"]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str  # the keyword (lowercased), operator, name, or decoded string
    position: int
    value: int | float | None = None  # numbers only


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the query"
    if token.kind == "string":
        return f"string {_show(token.text)}"
    if token.kind == "number":
        return f"number {token.text}"
    if token.kind == "quoted_name":
        return f"`{token.text}`"
    return repr(token.text)


def _show(text: str, limit: int = 40) -> str:
    shown = repr(text if len(text) <= limit else text[:limit] + "…")
    return shown


class _Tokenizer:
    def __init__(self, expression: str):
        self.expression = expression

    def error(self, message: str, position: int) -> NoReturn:
        raise QueryError(message, expression=self.expression, position=position)

    def tokens(self) -> list[_Token]:
        text = self.expression
        out: list[_Token] = []
        i = 0
        n = len(text)
        while i < n:
            char = text[i]
            if char.isspace():
                i += 1
                continue
            if char in "'\"":
                decoded, i_next = self.string(i)
                out.append(_Token("string", decoded, i))
                i = i_next
                continue
            if char == "`":
                name, i_next = self.quoted_name(i)
                out.append(_Token("quoted_name", name, i))
                i = i_next
                continue
            if char in _DIGITS or (char == "." and i + 1 < n and text[i + 1] in _DIGITS):
                match = _NUMBER.match(text, i)
                assert match is not None
                end = match.end()
                if end < n and (text[end].isalnum() or text[end] in "_."):
                    self.error(f"malformed number {_show(text[i : end + 1])}", i)
                literal = match.group()
                value: int | float
                if literal.isdigit():
                    value = int(literal)
                else:
                    value = float(literal)
                    if not math.isfinite(value):
                        self.error(f"number {_show(literal)} is out of range", i)
                out.append(_Token("number", literal, i, value))
                i = end
                continue
            match = _NAME.match(text, i)
            if match is not None:
                word = match.group()
                if word.lower() in _KEYWORDS:
                    out.append(_Token("keyword", word.lower(), i))
                else:
                    out.append(_Token("name", word, i))
                i = match.end()
                continue
            for op in _OPERATORS:
                if text.startswith(op, i):
                    out.append(_Token("op", "=" if op == "==" else op, i))
                    i += len(op)
                    break
            else:
                hint = " (strings take quotes: 'text')" if char in ";[]{}" else ""
                self.error(f"unexpected character {char!r}{hint}", i)
        out.append(_Token("end", "", n))
        return out

    def string(self, start: int) -> tuple[str, int]:
        text = self.expression
        quote = text[start]
        parts: list[str] = []
        i = start + 1
        n = len(text)
        while True:
            if i >= n:
                self.error("unterminated string (no closing quote)", start)
            char = text[i]
            if char == quote:
                if i + 1 < n and text[i + 1] == quote:  # a doubled quote stands for itself
                    parts.append(quote)
                    i += 2
                    continue
                return "".join(parts), i + 1
            if char == "\\":
                if i + 1 >= n:
                    self.error("unterminated string (no closing quote)", start)
                code = text[i + 1]
                if code in _SIMPLE_ESCAPES:
                    parts.append(_SIMPLE_ESCAPES[code])
                    i += 2
                    continue
                if code in "uU":
                    width = 4 if code == "u" else 8
                    digits = text[i + 2 : i + 2 + width]
                    if len(digits) != width or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                        self.error(
                            f"escape \\{code} takes {width} hex digits, got {_show(digits)}", i
                        )
                    point = int(digits, 16)
                    if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
                        self.error(f"escape \\{code}{digits} is not a unicode character", i)
                    parts.append(chr(point))
                    i += 2 + width
                    continue
                self.error(f"unknown escape \\{code} in a string (use \\\\ for a backslash)", i)
            parts.append(char)
            i += 1

    def quoted_name(self, start: int) -> tuple[str, int]:
        text = self.expression
        parts: list[str] = []
        i = start + 1
        while True:
            end = text.find("`", i)
            if end < 0:
                self.error("unterminated `name` (no closing backquote)", start)
            parts.append(text[i:end])
            if text.startswith("``", end):
                parts.append("`")
                i = end + 2
                continue
            return "".join(parts), end + 1


# --------------------------------------------------------------------------- compiling


# A typed SQL fragment: its text, its parameters, its type, and whether it can be null.
@dataclass(frozen=True)
class _Operand:
    sql: str
    params: tuple[object, ...]
    type: FieldType
    nullable: bool
    position: int
    label: str  # for messages: "int field 'width'", "string 'rain'"
    is_literal: bool = False


_NUMERIC = frozenset({"int", "float"})
_PartParser: TypeAlias = Callable[[], tuple[str, list[object]]]
_COMPARISONS = {"=": "=", "!=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Parser:
    def __init__(
        self,
        expression: str,
        fields: Mapping[str, FieldType],
        labels_relation: str | None,
        frames_alias: str | None,
        columns: Mapping[str, str],
        label_fields: Mapping[str, FieldType],
        label_columns: Mapping[str, str],
    ):
        self.expression = expression
        self.fields = fields
        self.columns = columns
        self.label_fields = label_fields
        # Inside a label condition a label field is a column of the labels subquery,
        # which renames them all (so that none shadows a frames column).
        self.label_columns = label_columns
        self.label_aliases = {name: f"__shoal_m{i}" for i, name in enumerate(label_fields)}
        self.in_label_condition = False
        self.labels_relation = labels_relation
        self.frames_alias = frames_alias
        self.tokens = _Tokenizer(expression).tokens()
        self.index = 0
        self.depth = 0
        self.used_fields: set[str] = set()
        self.uses_labels = False

    # token helpers
    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def peek(self) -> _Token:
        """The token after the current one (the end token at the end)."""
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: TokenKind, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def accept(self, kind: TokenKind, text: str) -> bool:
        if self.at(kind, text):
            self.advance()
            return True
        return False

    def expect(self, kind: TokenKind, text: str, what: str) -> _Token:
        if not self.at(kind, text):
            self.error(f"expected {what}, found {_describe(self.token)}", self.token.position)
        return self.advance()

    def error(self, message: str, position: int) -> NoReturn:
        raise QueryError(message, expression=self.expression, position=position)

    # grammar
    def query(self) -> tuple[str, list[object]]:
        if self.at("end"):
            self.error("empty query (write a condition, or 'true' for every frame)", 0)
        sql, params = self.or_expr()
        if not self.at("end"):
            token = self.token
            hint = ""
            if token.kind in ("name", "quoted_name", "string", "number", "keyword"):
                hint = " (missing 'and' / 'or'?)"
            self.error(f"unexpected {_describe(token)}{hint}", token.position)
        return sql, params

    def nested(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.error(f"the query nests deeper than {MAX_DEPTH} levels", position)

    def or_expr(self) -> tuple[str, list[object]]:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> tuple[str, list[object]]:
        return self.chain("and", self.not_expr)

    def chain(self, keyword: str, part: _PartParser) -> tuple[str, list[object]]:
        sql, params = part()
        if not self.at("keyword", keyword):
            return sql, params
        parts = [sql]
        while self.accept("keyword", keyword):
            more_sql, more_params = part()
            parts.append(more_sql)
            params.extend(more_params)
        return "(" + f" {keyword.upper()} ".join(parts) + ")", params

    def not_expr(self) -> tuple[str, list[object]]:
        if self.at("keyword", "not"):
            token = self.advance()
            self.nested(token.position)
            sql, params = self.not_expr()
            self.depth -= 1
            return f"(NOT {sql})", params
        return self.primary()

    def primary(self) -> tuple[str, list[object]]:
        token = self.token
        if self.accept("op", "("):
            self.nested(token.position)
            sql, params = self.or_expr()
            self.depth -= 1
            self.expect("op", ")", "')' to close the '(' at column " + str(token.position + 1))
            follows = self.token
            if (follows.kind == "op" and follows.text in _COMPARISONS) or (
                follows.kind == "keyword"
                and follows.text in ("in", "is", "contains", "startswith", "endswith")
            ):
                self.error(
                    "parentheses group conditions, not values: "
                    f"{_describe(self.token)} cannot follow them",
                    self.token.position,
                )
            return sql, params
        if self.is_call("has"):
            return self.has()
        left = self.operand()
        return self.tail(left)

    def not_nested(self, function: str) -> None:
        if self.in_label_condition:
            self.error(
                f"{function}() cannot be used inside a label condition (it reads the frame's "
                "labels itself)",
                self.token.position,
            )

    def is_call(self, name: str) -> bool:
        following = self.peek()
        return (
            self.at("name")
            and self.token.text.lower() == name
            and following.kind == "op"
            and following.text == "("
        )

    def label_arguments(self, function: str, *, allow_empty: bool) -> tuple[str, list[object], int]:
        """The arguments of has() or count(): class names, then optionally a label
        condition (``has('car', relative_area < 0.01)``). Returns the labels source
        (see ``labels_source``), its parameters and the function's position."""
        name = self.advance()
        self.advance()  # "("
        if self.labels_relation is None:
            self.error(f"{function}() needs labels, and this query has none", name.position)
        self.uses_labels = True
        classes: list[str] = []
        condition: tuple[str, list[object]] | None = None
        if not self.at("op", ")"):
            while True:
                if not self.at("string"):
                    condition = self.label_condition(function)
                    break
                classes.append(self.advance().text)
                if not self.accept("op", ","):
                    break
        self.expect("op", ")", f"')' to close {function}(")
        if not classes and condition is None and not allow_empty:
            self.error(
                f"{function}() takes at least one class name or a label condition, like "
                "has('cat') or has(relative_area < 0.01)",
                name.position,
            )
        source, params = self.labels_source(classes, condition)
        return source, params, name.position

    def label_condition(self, function: str) -> tuple[str, list[object]]:
        """A condition on each label, over the label fields (class_name, label metrics)."""
        start = self.token
        if start.kind == "end" or (
            start.kind in ("name", "quoted_name")
            and start.text not in self.label_fields
            and not (start.kind == "name" and self.peek().kind == "op" and self.peek().text == "(")
        ):
            hint = (
                f" ({_spell(start.text)} is a frame field; a label condition reads label fields)"
                if start.text in self.fields
                else self.suggest(start.text, self.label_fields)
                if start.kind != "end"
                else ""
            )
            self.error(
                f"{function}() takes class names as strings, found {_describe(start)}"
                f"{hint or ' (then, optionally, a condition on label fields)'}",
                start.position,
            )
        self.nested(start.position)
        self.in_label_condition = True
        try:
            return self.or_expr()
        finally:
            self.in_label_condition = False
            self.depth -= 1

    def labels_source(
        self, classes: Sequence[str], condition: tuple[str, list[object]] | None = None
    ) -> tuple[str, list[object]]:
        """A relation of the frame's matching labels: the labels relation with its columns
        renamed, so that the unqualified frame id refers to the outer frames relation."""
        assert self.labels_relation is not None
        frame, label_class = "__shoal_frame", "__shoal_class"
        selected = [
            f"{quote_identifier(_LABEL_FRAME)} AS {frame}",
            f"{quote_identifier(_LABEL_CLASS)} AS {label_class}",
        ]
        if condition is not None:
            selected += [
                f"{quote_identifier(self.label_columns.get(name, name))} AS {alias}"
                for name, alias in self.label_aliases.items()
                if name != _LABEL_CLASS
            ]
        inner = f"SELECT {', '.join(selected)} FROM {quote_identifier(self.labels_relation)}"
        where = f"{frame} = {self.frame_id()}"
        params: list[object] = []
        if classes:
            marks = ", ".join("CAST(? AS VARCHAR)" for _ in classes)
            where += f" AND {label_class} IN ({marks})"
            params.extend(classes)
        if condition is not None:
            where += f" AND {condition[0]}"
            params.extend(condition[1])
        return f"FROM ({inner}) WHERE {where}", params

    def frame_id(self) -> str:
        return self.column(_FRAME_ID)

    def column(self, name: str) -> str:
        column = quote_identifier(self.columns.get(name, name))
        if self.frames_alias is None:
            return column
        return f"{quote_identifier(self.frames_alias)}.{column}"

    def has(self) -> tuple[str, list[object]]:
        self.not_nested("has")
        source, params, _ = self.label_arguments("has", allow_empty=False)
        return f"EXISTS (SELECT 1 {source})", params

    def count(self) -> _Operand:
        self.not_nested("count")
        start = self.index
        source, params, position = self.label_arguments("count", allow_empty=True)
        end = self.tokens[self.index].position if self.index < len(self.tokens) else None
        shown = self.expression[self.tokens[start].position : end].strip()
        return _Operand(
            f"(SELECT count(*) {source})",
            tuple(params),
            "int",
            nullable=False,
            position=position,
            label=shown,
        )

    def operand(self) -> _Operand:
        token = self.token
        if self.is_call("count"):
            return self.count()
        if token.kind == "name" and self.peek().text == "(" and (self.peek().kind == "op"):
            self.error(
                f"unknown function {token.text!r} (the functions are has() and count())",
                token.position,
            )
        if token.kind in ("name", "quoted_name"):
            self.advance()
            return self.field(token)
        literal = self.literal(allow_null=False, what="a field, value or condition")
        return literal

    def field(self, token: _Token) -> _Operand:
        name = token.text
        if self.in_label_condition:
            return self.label_field(token)
        kind = self.fields.get(name)
        if kind is None:
            if name in self.label_fields and name != _LABEL_CLASS:
                written = _written(name)
                self.error(
                    f"{_spell(name)} is a label field: use it in a label condition, like "
                    f"has({written} > 0) or count({written} > 0)",
                    token.position,
                )
            self.error(f"unknown field {_show(name)}{self.suggest(name)}", token.position)
        self.used_fields.add(name)
        return _Operand(
            self.column(name),
            (),
            kind,
            nullable=True,
            position=token.position,
            label=f"{kind} field {_show(name)}",
        )

    def label_field(self, token: _Token) -> _Operand:
        name = token.text
        kind = self.label_fields.get(name)
        if kind is None:
            where = (
                f" ({_spell(name)} is a frame field; a label condition reads label fields)"
                if name in self.fields
                else self.suggest(name, self.label_fields)
            )
            self.error(f"unknown label field {_show(name)}{where}", token.position)
        return _Operand(
            "__shoal_class" if name == _LABEL_CLASS else self.label_aliases[name],
            (),
            kind,
            nullable=True,
            position=token.position,
            label=f"{kind} label field {_show(name)}",
        )

    def suggest(self, name: str, fields: Mapping[str, FieldType] | None = None) -> str:
        names = list(self.fields if fields is None else fields)
        folded = [n for n in names if n.lower() == name.lower()]
        close = folded or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {_spell(close[0])}?)"
        if not names:
            return " (this query has no fields)"
        if len(names) <= 8:
            return " (fields: " + ", ".join(_spell(n) for n in sorted(names)) + ")"
        return ""

    def literal(self, *, allow_null: bool, what: str) -> _Operand:
        token = self.token
        negative = False
        if self.at("op", "-"):
            self.advance()
            negative = True
            if not self.at("number"):
                self.error(
                    f"'-' must be followed by a number, found {_describe(self.token)}",
                    self.token.position,
                )
            token = self.token
        if token.kind == "number":
            self.advance()
            assert token.value is not None
            value = -token.value if negative else token.value
            start = token.position - 1 if negative else token.position
            shown = ("-" if negative else "") + token.text
            if isinstance(value, int):
                if not _INT64_MIN <= value <= _INT64_MAX:
                    self.error(f"integer {_show(shown)} is out of range (64 bits)", start)
                return _Operand(
                    "CAST(? AS BIGINT)", (value,), "int", False, start, f"int {shown}", True
                )
            return _Operand(
                "CAST(? AS DOUBLE)", (value,), "float", False, start, f"float {shown}", True
            )
        if token.kind == "string":
            self.advance()
            return _Operand(
                "CAST(? AS VARCHAR)",
                (token.text,),
                "string",
                False,
                token.position,
                f"string {_show(token.text)}",
                True,
            )
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            value_sql = "TRUE" if token.text == "true" else "FALSE"
            return _Operand(value_sql, (), "bool", False, token.position, token.text, True)
        if token.kind == "keyword" and token.text == "null" and not allow_null:
            self.error(
                "null compares with nothing: write 'is null' or 'is not null'", token.position
            )
        self.error(f"expected {what}, found {_describe(token)}", token.position)

    def tail(self, left: _Operand) -> tuple[str, list[object]]:
        token = self.token
        if token.kind == "op" and token.text in _COMPARISONS:
            self.advance()
            right = self.operand()
            return self.comparison(left, token, right)
        if token.kind == "keyword":
            if token.text == "is":
                self.advance()
                negated = self.accept("keyword", "not")
                self.expect("keyword", "null", "'null' after 'is'" + (" not" if negated else ""))
                test = "IS NOT NULL" if negated else "IS NULL"
                return f"({left.sql} {test})", list(left.params)
            if token.text == "not" and self.peek().text == "in":
                self.advance()
                sql, params = self.membership(left, self.advance())
                return f"(NOT {sql})", params
            if token.text == "in":
                return self.membership(left, self.advance())
            if token.text in ("contains", "startswith", "endswith"):
                self.advance()
                return self.like(left, token)
        if left.type != "bool":
            self.error(
                f"{left.label} is not a condition: compare it (=, <, in, ...) "
                f"or test it (is null); found {_describe(token)}",
                token.position if token.kind != "end" else left.position,
            )
        return self.guard(left.sql, left.nullable), list(left.params)

    @staticmethod
    def guard(sql: str, nullable: bool) -> str:
        """``sql`` as a condition that is never null (null counts as false)."""
        return f"COALESCE({sql}, FALSE)" if nullable else sql

    def check_comparable(self, left: _Operand, op: _Token, right: _Operand) -> None:
        same = left.type == right.type or {left.type, right.type} <= _NUMERIC
        if not same:
            self.error(
                f"cannot compare {left.label} with {right.label} "
                f"({_kind(left.type)} vs {_kind(right.type)})",
                right.position,
            )
        if left.type == "bool" and op.text in ("<", "<=", ">", ">="):
            self.error(f"bools have no order: {op.text!r} cannot compare them", op.position)

    def comparison(self, left: _Operand, op: _Token, right: _Operand) -> tuple[str, list[object]]:
        self.check_comparable(left, op, right)
        params = [*left.params, *right.params]
        if op.text in ("!=", "<>"):  # the exact negation of "=", so true on null
            inner = self.guard(f"{left.sql} = {right.sql}", left.nullable or right.nullable)
            return f"(NOT {inner})", params
        sql = f"{left.sql} {_COMPARISONS[op.text]} {right.sql}"
        return self.guard(sql, left.nullable or right.nullable), params

    def membership(self, left: _Operand, keyword: _Token) -> tuple[str, list[object]]:
        self.expect("op", "(", "'(' to start the list after 'in'")
        items: list[_Operand] = []
        while not self.at("op", ")"):
            item = self.literal(allow_null=False, what="a value in the list")
            self.check_comparable(left, keyword, item)
            items.append(item)
            if not self.accept("op", ","):
                break
        self.expect("op", ")", "',' or ')' in the list")
        if not items:
            return "FALSE", []
        params = [*left.params]
        for item in items:
            params.extend(item.params)
        sql = f"{left.sql} IN ({', '.join(item.sql for item in items)})"
        return self.guard(sql, left.nullable), params

    def like(self, left: _Operand, op: _Token) -> tuple[str, list[object]]:
        if left.type != "string":
            self.error(f"{op.text!r} needs a string, but {left.label} is not one", left.position)
        if not self.at("string"):
            self.error(
                f"{op.text!r} takes a quoted string, found {_describe(self.token)}",
                self.token.position,
            )
        needle = self.advance().text
        escaped = (
            needle.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
            .replace("%", _LIKE_ESCAPE + "%")
            .replace("_", _LIKE_ESCAPE + "_")
        )
        pattern = {
            "contains": f"%{escaped}%",
            "startswith": f"{escaped}%",
            "endswith": f"%{escaped}",
        }[op.text]
        sql = f"{left.sql} LIKE CAST(? AS VARCHAR) ESCAPE '{_LIKE_ESCAPE}'"
        return self.guard(sql, left.nullable), [*left.params, pattern]


def _spell(name: str) -> str:
    """How to write field ``name`` in a query: bare when it can be, else backquoted."""
    if _NAME.fullmatch(name) and name.lower() not in _KEYWORDS:
        return repr(name)
    return "`" + name.replace("`", "``") + "`"


def _written(name: str) -> str:
    """Field ``name`` as a query writes it: bare when it can be, else backquoted."""
    if _NAME.fullmatch(name) and name.lower() not in _KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def _kind(field_type: FieldType) -> str:
    return "number" if field_type in _NUMERIC else field_type


def _check_fields(fields: Mapping[str, FieldType]) -> None:
    for name, kind in fields.items():
        if not isinstance(name, str) or not name or "\0" in name:
            raise InputError(f"query field names must be non-empty strings, got {name!r}")
        if kind not in FIELD_TYPES:
            raise InputError(
                f"query field {name!r} has type {kind!r}; use one of {', '.join(FIELD_TYPES)}"
            )


def _check_relation(name: str | None, what: str) -> None:
    if name is not None and (not isinstance(name, str) or not name or "\0" in name):
        raise InputError(f"{what} must be a non-empty name, got {name!r}")


def compile_query(
    expression: str,
    fields: Mapping[str, FieldType],
    *,
    labels_relation: str | None = None,
    frames_alias: str | None = None,
    columns: Mapping[str, str] | None = None,
    label_fields: Mapping[str, FieldType] | None = None,
    label_columns: Mapping[str, str] | None = None,
) -> CompiledQuery:
    """Compile ``expression`` to a ``WHERE`` clause over a frames relation.

    ``fields`` maps every name the expression may use to its type (``"bool"``,
    ``"int"``, ``"float"`` or ``"string"``); each is a column of the frames relation.
    ``labels_relation`` names the relation (table or view, with ``frame_id`` and
    ``class_name`` columns) that ``has()`` and ``count()`` read; without it they are
    errors. The frames relation must have a ``frame_id`` column for them.
    ``frames_alias``, when given, qualifies every frames column (``"f"."weather"``), for
    queries that join the frames relation with others. ``columns``, when given, maps a
    field (``frame_id`` included) to the frames column that holds it where the two
    differ: SQL engines that match column names without regard to case (DuckDB) then
    never confuse ``weather`` with ``Weather``. Field names themselves are matched
    exactly; a name that differs from a field only in case is an error suggesting it.
    ``label_fields`` are the fields of a label condition (``has('car', relative_area <
    0.01)``), each a column of the labels relation (``label_columns`` maps a field to
    its column where the two differ); ``class_name`` is always one.

    Raises :class:`QueryError` (an :class:`~shoal.errors.InputError`) naming the
    column of the expression where it goes wrong.
    """
    if not isinstance(expression, str):
        raise InputError(f"a query is a string, got {type(expression).__name__}")
    _check_fields(fields)
    _check_relation(labels_relation, "labels_relation")
    _check_relation(frames_alias, "frames_alias")
    for name in (columns or {}).values():
        _check_relation(name, "a column name")
    if len(expression) > MAX_LENGTH:
        raise QueryError(
            f"the query is {len(expression):,} characters long; the limit is {MAX_LENGTH:,}",
            expression=expression,
            position=MAX_LENGTH,
        )
    for i, char in enumerate(expression):
        if "\ud800" <= char <= "\udfff":
            raise QueryError(
                "the query has an unpaired surrogate (not valid unicode)",
                expression=expression,
                position=i,
            )
    labels = {_LABEL_CLASS: "string", **(label_fields or {})}
    _check_fields(labels)
    for name in (label_columns or {}).values():
        _check_relation(name, "a column name")
    parser = _Parser(
        expression,
        fields,
        labels_relation,
        frames_alias,
        columns or {},
        cast(Mapping[str, FieldType], labels),
        label_columns or {},
    )
    sql, params = parser.query()
    return CompiledQuery(
        sql=sql,
        params=params,
        fields=frozenset(parser.used_fields),
        uses_labels=parser.uses_labels,
    )
