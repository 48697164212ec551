"""The query language: compiled queries run in DuckDB over real Parquet frames and labels,
checked against the same filter evaluated in Python; hostile input is rejected with a
clear error or treated as data; errors point at the right column."""

from __future__ import annotations

import hashlib
import math
import operator
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoal.errors import InputError
from shoal.store import (
    MAX_DEPTH,
    MAX_LENGTH,
    CompiledQuery,
    FieldType,
    QueryError,
    compile_query,
    quote_identifier,
)

# ----------------------------------------------------------------------------- data

ODD_NAME = 'we"ird `name`'  # a metadata key with a double quote, backquotes and a space
SQL_NAME = '"; DROP TABLE frame_rows; --'  # a metadata key that looks like SQL
FIELDS: dict[str, FieldType] = {
    "frame_id": "string",
    "image_uri": "string",
    "width": "int",
    "height": "int",
    "weather": "string",
    "speed": "float",
    "score": "int",
    "is_night": "bool",
    "camera id": "string",
    ODD_NAME: "string",
    SQL_NAME: "int",
    "count": "int",  # a field that shares a name with a function
    "num_labels": "int",
    "num_classes": "int",
}
STRING_FIELDS = [name for name, kind in FIELDS.items() if kind == "string"]
NUMBER_FIELDS = [name for name, kind in FIELDS.items() if kind in ("int", "float")]
BOOL_FIELDS = [name for name, kind in FIELDS.items() if kind == "bool"]

HOSTILE = [
    "'; drop table frame_rows; --",
    '"; DROP TABLE labels; --',
    "' OR '1'='1",
    "it's",
    'say "hi"',
    "back\\slash",
    "\\",
    "\\%",
    "%",
    "_",
    "a%b",
    "a_b",
    "50%_off",
    "naïve café",
    "🐟 shoal",
    "line\nbreak",
    "tab\there",
    "nul\x00byte",
    "",
    "rain",
    "Rain",
    "sun",
    "?",
    "$1",
    "/* comment */",
]
CLASSES = ["cat", "dog", "car", "it's", "50%_off", "🐟", "'; drop table labels; --"]


def _frames_and_labels(
    seed: int, n: int = 160
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.15 else value

    frames: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for i in range(n):
        frame_id = f"f{i:04d}" if i % 7 else rng.choice(HOSTILE[:3]) + str(i)
        frames.append(
            {
                "frame_id": frame_id,
                "image_uri": maybe(f"s3://bucket/{rng.choice(['a', 'b_c', '100%'])}/{i}.jpg"),
                "width": maybe(rng.choice([640, 1280, 1920, 0])),
                "height": maybe(rng.choice([480, 720, 1080])),
                "weather": maybe(rng.choice(HOSTILE)),
                "speed": maybe(
                    rng.choice([0.0, -0.0, 1.5, 2.0, -3.25, 1e300, math.inf, -math.inf])
                    if rng.random() < 0.4
                    else round(rng.uniform(-10, 10), 2)
                ),
                "score": maybe(rng.randint(-5, 20)),
                "is_night": maybe(rng.random() < 0.5),
                "camera id": maybe(rng.choice(["front", "rear", "front_left", "side%"])),
                ODD_NAME: maybe(rng.choice(HOSTILE)),
                SQL_NAME: maybe(rng.randint(0, 3)),
                "count": maybe(rng.randint(0, 3)),
            }
        )
        for j in range(rng.choice([0, 0, 1, 2, 3, 5])):
            labels.append(
                {"label_id": f"{i}-{j}", "frame_id": frame_id, "class_name": rng.choice(CLASSES)}
            )
    for row in frames:
        mine = [label["class_name"] for label in labels if label["frame_id"] == row["frame_id"]]
        row["num_labels"] = len(mine)
        row["num_classes"] = len(set(mine))
        row["__classes"] = mine
    return frames, labels


FRAME_TYPES = {
    "frame_id": pa.string(),
    "image_uri": pa.string(),
    "width": pa.int32(),
    "height": pa.int32(),
    "weather": pa.string(),
    "speed": pa.float64(),
    "score": pa.int64(),
    "is_night": pa.bool_(),
    "camera id": pa.string(),
    ODD_NAME: pa.string(),
    SQL_NAME: pa.int64(),
    "count": pa.int64(),
}


class Store:
    """Frames and labels as Parquet files, behind DuckDB views shaped like the store's."""

    def __init__(self, directory: Path, seed: int):
        self.rows, labels = _frames_and_labels(seed)
        frames = pa.table(
            {
                name: pa.array([r[name] for r in self.rows], kind)
                for name, kind in FRAME_TYPES.items()
            }
        )
        label_table = pa.table(
            {
                "label_id": [r["label_id"] for r in labels],
                "frame_id": [r["frame_id"] for r in labels],
                "class_name": [r["class_name"] for r in labels],
            },
            schema=pa.schema(
                [("label_id", pa.string()), ("frame_id", pa.string()), ("class_name", pa.string())]
            ),
        )
        self.paths = [directory / "frames.parquet", directory / "labels.parquet"]
        pq.write_table(frames, self.paths[0])
        pq.write_table(label_table, self.paths[1])
        self.db = duckdb.connect()
        self.db.execute(
            f"CREATE TABLE frame_rows AS SELECT * FROM read_parquet({_sql_string(self.paths[0])})"
        )
        self.db.execute(
            f"CREATE TABLE labels AS SELECT * FROM read_parquet({_sql_string(self.paths[1])})"
        )
        self.db.execute(
            "CREATE VIEW frames AS SELECT f.*, "
            "COALESCE(s.num_labels, 0) AS num_labels, COALESCE(s.num_classes, 0) AS num_classes "
            "FROM frame_rows f LEFT JOIN (SELECT frame_id, count(*) AS num_labels, "
            "count(DISTINCT class_name) AS num_classes FROM labels GROUP BY frame_id) s "
            "USING (frame_id)"
        )
        self.snapshot = self.state()

    def select(self, compiled: CompiledQuery) -> set[str]:
        rows = self.db.execute(
            f"SELECT frame_id FROM frames WHERE {compiled.sql}", compiled.params
        ).fetchall()
        return {row[0] for row in rows}

    def query(self, expression: str) -> set[str]:
        return self.select(compile_query(expression, FIELDS, labels_relation="labels"))

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> set[str]:
        return {row["frame_id"] for row in self.rows if predicate(row)}

    def state(self) -> tuple[Any, ...]:
        """Everything a query could have damaged: the catalog, the tables, the files."""
        catalog = self.db.execute(
            "SELECT table_name, table_type FROM information_schema.tables ORDER BY table_name"
        ).fetchall()
        frames = self.db.execute("SELECT * FROM frame_rows ORDER BY frame_id").fetchall()
        labels = self.db.execute("SELECT * FROM labels ORDER BY label_id").fetchall()
        files = [hashlib.sha256(path.read_bytes()).hexdigest() for path in self.paths]
        return catalog, frames, labels, files

    def assert_unchanged(self) -> None:
        assert self.state() == self.snapshot


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = Store(tmp_path_factory.mktemp("query"), seed=7)
    yield made
    made.assert_unchanged()
    made.db.close()


# ----------------------------------------------------------------------------- rendering


def render_string(text: str, rng: random.Random) -> str:
    """``text`` as a query string literal, in a randomly chosen (valid) spelling."""
    quote = rng.choice("'\"")
    out = [quote]
    for char in text:
        roll = rng.random()
        if char == quote:
            out.append(quote * 2 if roll < 0.5 else "\\" + quote)
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n" and roll < 0.5:
            out.append("\\n")
        elif char == "\t" and roll < 0.5:
            out.append("\\t")
        elif char == "\x00" and roll < 0.5:
            out.append("\\0")
        elif roll < 0.1:
            point = ord(char)
            out.append(f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08X}")
        else:
            out.append(char)
    out.append(quote)
    return "".join(out)


KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
KEYWORDS |= {"contains", "startswith", "endswith"}


def render_field(name: str, rng: random.Random) -> str:
    simple = name.isidentifier() and name.lower() not in KEYWORDS
    if simple and rng.random() < 0.8:
        return name
    return "`" + name.replace("`", "``") + "`"


def render_number(value: int | float) -> str:
    return repr(value)


def keyword(word: str, rng: random.Random) -> str:
    return rng.choice([word, word.upper(), word.title()])


# ----------------------------------------------------------------------------- random trees
# Operands: ("field", name) | ("lit", value) | ("count", classes)
# Conditions: ("cmp", left, op, right) | ("in", left, values, negated) | ("null", left, negated)
#   | ("like", field, kind, needle) | ("bool", operand) | ("has", classes)
#   | ("not", cond) | ("and", [cond...]) | ("or", [cond...])


def _literal_for(kind: str, rng: random.Random, store: Store) -> Any:
    if kind == "string":
        source = rng.choice(HOSTILE + [r["weather"] or "" for r in store.rows[:10]])
        if source and rng.random() < 0.3:
            start = rng.randrange(len(source))
            source = source[start : rng.randint(start, len(source))]
        return source
    if kind == "bool":
        return rng.random() < 0.5
    if rng.random() < 0.3:
        return rng.choice([0.0, 1.5, -3.25, 2.0, 1e300, 640.0, 0.5])
    return rng.choice([0, 1, 2, 3, -1, 640, 720, 1080, 1280, 5, 10, 20, -5])


def _operand(kind: str, rng: random.Random, store: Store) -> tuple[Any, ...]:
    roll = rng.random()
    if kind == "number" and roll < 0.2:
        return ("count", rng.sample(CLASSES, rng.randint(0, 2)))
    if roll < 0.15:
        return ("lit", _literal_for("string" if kind == "string" else kind, rng, store))
    pool = {"string": STRING_FIELDS, "number": NUMBER_FIELDS, "bool": BOOL_FIELDS}[kind]
    return ("field", rng.choice(pool))


def random_condition(rng: random.Random, store: Store, depth: int = 0) -> tuple[Any, ...]:
    roll = rng.random()
    if depth < 4 and roll < 0.35:
        kind = rng.choice(["and", "or", "not"])
        if kind == "not":
            return ("not", random_condition(rng, store, depth + 1))
        return (kind, [random_condition(rng, store, depth + 1) for _ in range(rng.randint(2, 3))])
    kind = rng.choice(["string", "number", "number", "bool"])
    choice = rng.random()
    if choice < 0.1:
        return ("has", rng.sample(CLASSES, rng.randint(1, 2)))
    if choice < 0.2:
        return ("null", _operand(kind, rng, store), rng.random() < 0.5)
    if choice < 0.35:
        values = [_literal_for(kind, rng, store) for _ in range(rng.randint(0, 4))]
        return ("in", _operand(kind, rng, store), values, rng.random() < 0.5)
    if kind == "string" and choice < 0.55:
        like = rng.choice(["contains", "startswith", "endswith"])
        return (
            "like",
            ("field", rng.choice(STRING_FIELDS)),
            like,
            _literal_for("string", rng, store),
        )
    if kind == "bool" and choice < 0.6:
        return ("bool", _operand("bool", rng, store))
    ops = ["=", "!="] if kind == "bool" else ["=", "!=", "<>", "==", "<", "<=", ">", ">="]
    return ("cmp", _operand(kind, rng, store), rng.choice(ops), _operand(kind, rng, store))


def render_operand(node: tuple[Any, ...], rng: random.Random) -> str:
    if node[0] == "field":
        return render_field(node[1], rng)
    if node[0] == "count":
        inner = ", ".join(render_string(c, rng) for c in node[1])
        return f"{rng.choice(['count', 'COUNT'])}({inner})"
    return render_literal(node[1], rng)


def render_literal(value: Any, rng: random.Random) -> str:
    if isinstance(value, bool):
        return keyword("true" if value else "false", rng)
    if isinstance(value, str):
        return render_string(value, rng)
    return render_number(value)


def render(node: tuple[Any, ...], rng: random.Random) -> str:
    kind = node[0]
    if kind in ("and", "or"):
        parts = []
        for child in node[1]:
            text = render(child, rng)
            # "or" inside "and" needs parentheses; anything else may go without
            if (kind == "and" and child[0] == "or") or rng.random() < 0.2:
                text = f"({text})"
            parts.append(text)
        return f" {keyword(kind, rng)} ".join(parts)
    if kind == "not":
        child = render(node[1], rng)
        if node[1][0] in ("and", "or") or rng.random() < 0.3:
            child = f"({child})"
        return f"{keyword('not', rng)} {child}"
    if kind == "has":
        inner = ", ".join(render_string(c, rng) for c in node[1])
        return f"has({inner})"
    if kind == "null":
        middle = " not" if node[2] else ""
        return f"{render_operand(node[1], rng)} is{middle} null"
    if kind == "in":
        values = ", ".join(render_literal(v, rng) for v in node[2])
        negated = f"{keyword('not', rng)} " if node[3] else ""
        return f"{render_operand(node[1], rng)} {negated}{keyword('in', rng)} ({values})"
    if kind == "like":
        return (
            f"{render_operand(node[1], rng)} {keyword(node[2], rng)} {render_string(node[3], rng)}"
        )
    if kind == "bool":
        return render_operand(node[1], rng)
    space = rng.choice(["", " ", "  "])
    return f"{render_operand(node[1], rng)}{space}{node[2]}{space}{render_operand(node[3], rng)}"


def value_of(node: tuple[Any, ...], row: dict[str, Any]) -> Any:
    if node[0] == "field":
        return row[node[1]]
    if node[0] == "count":
        return sum(1 for c in row["__classes"] if not node[1] or c in node[1])
    return node[1]


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "==": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(node: tuple[Any, ...], row: dict[str, Any]) -> bool:
    """The language's two-valued semantics, in Python: a comparison on null is false;
    != and not in are the negations of = and in."""
    kind = node[0]
    if kind == "and":
        return all(evaluate(child, row) for child in node[1])
    if kind == "or":
        return any(evaluate(child, row) for child in node[1])
    if kind == "not":
        return not evaluate(node[1], row)
    if kind == "has":
        return any(c in node[1] for c in row["__classes"])
    if kind == "null":
        return (value_of(node[1], row) is None) != node[2]
    if kind == "in":
        value = value_of(node[1], row)
        found = value is not None and any(value == v for v in node[2])
        return found != node[3]
    if kind == "like":
        value = value_of(node[1], row)
        if value is None:
            return False
        needle = node[3]
        return {
            "contains": needle in value,
            "startswith": value.startswith(needle),
            "endswith": value.endswith(needle),
        }[node[2]]
    if kind == "bool":
        return value_of(node[1], row) is True
    left, op, right = value_of(node[1], row), node[2], value_of(node[3], row)
    if op in ("!=", "<>"):
        return not (left is not None and right is not None and left == right)
    return left is not None and right is not None and COMPARE[op](left, right)


# ----------------------------------------------------------------------------- the oracle


@pytest.mark.parametrize("seed", range(6))
def test_random_expressions_select_what_python_selects(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    nonempty = 0
    for _ in range(150):
        tree = random_condition(rng, store)
        text = render(tree, rng)
        expected = store.matching(lambda row, tree=tree: evaluate(tree, row))
        got = store.query(text)
        assert got == expected, text
        nonempty += 0 < len(expected) < len(store.rows)
    assert nonempty > 50  # the expressions discriminate, not all-or-nothing
    store.assert_unchanged()


def test_random_expressions_on_fresh_data(tmp_path: Path) -> None:
    for seed in (1, 2):
        (tmp_path / str(seed)).mkdir()
        fresh = Store(tmp_path / str(seed), seed=seed)
        rng = random.Random(100 + seed)
        for _ in range(150):
            tree = random_condition(rng, fresh)
            text = render(tree, rng)
            assert fresh.query(text) == fresh.matching(lambda r, t=tree: evaluate(t, r)), text
        fresh.assert_unchanged()
        fresh.db.close()


# ----------------------------------------------------------------------------- examples


EXAMPLES: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    (
        "weather = 'rain' and num_labels > 3",
        lambda r: r["weather"] == "rain" and r["num_labels"] > 3,
    ),
    ("weather = 'rain' or weather = 'sun'", lambda r: r["weather"] in ("rain", "sun")),
    ("weather != 'rain'", lambda r: r["weather"] != "rain"),
    ("not weather = 'rain'", lambda r: r["weather"] != "rain"),
    ("weather in ('rain', \"sun\")", lambda r: r["weather"] in ("rain", "sun")),
    ("weather not in ('rain', 'sun')", lambda r: r["weather"] not in ("rain", "sun")),
    ("weather is null", lambda r: r["weather"] is None),
    ("weather IS NOT NULL", lambda r: r["weather"] is not None),
    ("is_night", lambda r: r["is_night"] is True),
    ("not is_night", lambda r: r["is_night"] is not True),
    ("is_night = false", lambda r: r["is_night"] is False),
    ("true", lambda r: True),
    ("false or true and false", lambda r: False),
    ("(false or true) and true", lambda r: True),
    ("not not true", lambda r: True),
    (
        "width > height",
        lambda r: None not in (r["width"], r["height"]) and r["width"] > r["height"],
    ),
    ("speed >= -3.25 and speed < 2", lambda r: r["speed"] is not None and -3.25 <= r["speed"] < 2),
    ("speed > 1e299", lambda r: r["speed"] is not None and r["speed"] > 1e299),
    ("score in (1, 2.0, 3)", lambda r: r["score"] in (1, 2, 3)),
    ("score = 2.5", lambda r: False),
    ("width in ()", lambda r: False),
    ("width not in ()", lambda r: True),
    ("has('cat')", lambda r: "cat" in r["__classes"]),
    ("has('cat', 'dog')", lambda r: bool({"cat", "dog"} & set(r["__classes"]))),
    ("not has('cat')", lambda r: "cat" not in r["__classes"]),
    ("count('cat') > 1", lambda r: r["__classes"].count("cat") > 1),
    ("count('cat') = 0", lambda r: "cat" not in r["__classes"]),
    ("count() = num_labels", lambda r: True),
    ("count('cat', 'dog') >= 2", lambda r: sum(c in ("cat", "dog") for c in r["__classes"]) >= 2),
    ("count('it''s') = 1", lambda r: r["__classes"].count("it's") == 1),
    (
        "has('🐟') and not has('car')",
        lambda r: "🐟" in r["__classes"] and "car" not in r["__classes"],
    ),
    ("count = 2", lambda r: r["count"] == 2),
    (
        "count > count('cat')",
        lambda r: r["count"] is not None and r["count"] > r["__classes"].count("cat"),
    ),
    ("`camera id` startswith 'front'", lambda r: (r["camera id"] or "").startswith("front")),
    ("`camera id` contains '_'", lambda r: "_" in (r["camera id"] or "")),
    ("`camera id` endswith '%'", lambda r: (r["camera id"] or "").endswith("%")),
    ("image_uri contains '100%'", lambda r: "100%" in (r["image_uri"] or "")),
    ("image_uri contains 'b_c'", lambda r: "b_c" in (r["image_uri"] or "")),
    ("weather contains '\\\\'", lambda r: "\\" in (r["weather"] or "")),
    ("weather contains '\\\\%'", lambda r: "\\%" in (r["weather"] or "")),
    ("weather contains ''", lambda r: r["weather"] is not None),
    ("weather = '\\u0072ain'", lambda r: r["weather"] == "rain"),
    ('weather = "it\'s"', lambda r: r["weather"] == "it's"),
    ("weather = 'it\\'s'", lambda r: r["weather"] == "it's"),
    ("weather = 'say \"hi\"'", lambda r: r["weather"] == 'say "hi"'),
    ("weather = 'nul\\0byte'", lambda r: r["weather"] == "nul\x00byte"),
    ("weather = 'line\\nbreak'", lambda r: r["weather"] == "line\nbreak"),
    ("weather = '🐟 shoal'", lambda r: r["weather"] == "🐟 shoal"),
    ("weather = '\\U0001F41F shoal'", lambda r: r["weather"] == "🐟 shoal"),
    ("weather = 'naïve café'", lambda r: r["weather"] == "naïve café"),
    ("weather > 'rain'", lambda r: r["weather"] is not None and r["weather"] > "rain"),
    (
        "weather = '''; drop table frame_rows; --'",
        lambda r: r["weather"] == "'; drop table frame_rows; --",
    ),
    ("weather = ''' OR ''1''=''1'", lambda r: r["weather"] == "' OR '1'='1"),
    ("frame_id startswith '''; drop'", lambda r: r["frame_id"].startswith("'; drop")),
    (f"`{ODD_NAME.replace('`', '``')}` = 'rain'", lambda r: r[ODD_NAME] == "rain"),
    (f"`{SQL_NAME}` >= 2", lambda r: r[SQL_NAME] is not None and r[SQL_NAME] >= 2),
    (
        "weather = 'rain'\n  and\tnum_labels > 0",
        lambda r: r["weather"] == "rain" and r["num_labels"] > 0,
    ),
    ("weather = 'rain' AND NOT is_night", lambda r: r["weather"] == "rain" and not r["is_night"]),
]


@pytest.mark.parametrize(("expression", "predicate"), EXAMPLES, ids=[e for e, _ in EXAMPLES])
def test_examples(
    store: Store, expression: str, predicate: Callable[[dict[str, Any]], bool]
) -> None:
    assert store.query(expression) == store.matching(predicate)
    store.assert_unchanged()


def test_example_data_is_interesting(store: Store) -> None:
    """The examples above would prove little if the data never matched them."""
    for expression in [
        "weather = '''; drop table frame_rows; --'",
        "weather = 'nul\\0byte'",
        "weather contains '\\\\'",
        "count('cat') > 1",
        "is_night",
        "weather is null",
    ]:
        assert store.query(expression), expression


# ----------------------------------------------------------------------------- the SQL


def test_user_text_never_reaches_the_sql() -> None:
    for value in HOSTILE:
        if not value:
            continue
        rng = random.Random(value)
        for template in ("weather = {}", "weather contains {}", "has({})", "count({}) > 1"):
            compiled = compile_query(
                template.format(render_string(value, rng)), FIELDS, labels_relation="labels"
            )
            assert value not in compiled.sql or value in ("?", "%", "_", "\\")
            assert compiled.sql.count("?") == len(compiled.params)


def test_compiled_query_shape() -> None:
    compiled = compile_query("weather = 'rain' and num_labels > 3", FIELDS)
    assert compiled.params == ["rain", 3]
    assert '"weather"' in compiled.sql and '"num_labels"' in compiled.sql
    assert compiled.fields == {"weather", "num_labels"}
    assert not compiled.uses_labels
    labelled = compile_query("has('cat')", FIELDS, labels_relation="my labels")
    assert labelled.uses_labels and '"my labels"' in labelled.sql
    assert labelled.params == ["cat"]


def test_identifiers_are_quoted_with_quotes_doubled() -> None:
    assert quote_identifier('a"b') == '"a""b"'
    compiled = compile_query(f"`{ODD_NAME.replace('`', '``')}` is null", FIELDS)
    assert compiled.sql == '("we""ird `name`" IS NULL)'
    assert compiled.fields == {ODD_NAME}


def test_like_patterns_escape_wildcards() -> None:
    compiled = compile_query("weather contains '50%_\\\\'", FIELDS)
    assert compiled.params == ["%50\\%\\_\\\\%"]
    assert compile_query("weather startswith 'a'", FIELDS).params == ["a%"]
    assert compile_query("weather endswith 'a'", FIELDS).params == ["%a"]


def test_frames_alias_qualifies_columns(store: Store) -> None:
    compiled = compile_query(
        "weather = 'rain' and has('cat')", FIELDS, labels_relation="labels", frames_alias="f"
    )
    assert '"f"."weather"' in compiled.sql and '"f"."frame_id"' in compiled.sql
    rows = store.db.execute(
        "SELECT f.frame_id FROM frames f JOIN labels l ON l.frame_id = f.frame_id "
        f"WHERE {compiled.sql}",
        compiled.params,
    ).fetchall()
    assert {r[0] for r in rows} == store.matching(
        lambda r: r["weather"] == "rain" and "cat" in r["__classes"]
    )


def test_big_integers_are_exact(store: Store) -> None:
    db = duckdb.connect()
    db.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('a', 9223372036854775807), ('b', -9223372036854775808), ('c', 9223372036854775806)) v(frame_id, n)"
    )
    fields: dict[str, FieldType] = {"n": "int"}
    for expression, expected in [
        ("n = 9223372036854775807", {"a"}),
        ("n = -9223372036854775808", {"b"}),
        ("n < 9223372036854775807", {"b", "c"}),
    ]:
        compiled = compile_query(expression, fields)
        rows = db.execute(f"SELECT frame_id FROM t WHERE {compiled.sql}", compiled.params)
        assert {r[0] for r in rows.fetchall()} == expected, expression


# ----------------------------------------------------------------------------- hostile input


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=40), spelling=st.integers(0, 2**32))
def test_any_string_literal_is_data(text: str, spelling: int) -> None:
    rng = random.Random(spelling)
    db = duckdb.connect()
    values = [text, text + "x", "x" + text, "x" + text + "x", "other", None]
    db.register("frames", pa.table({"frame_id": [str(i) for i in range(6)], "weather": values}))
    fields: dict[str, FieldType] = {"weather": "string"}
    checks: list[tuple[str, Callable[[str], bool]]] = [
        ("weather = {}", lambda v: v == text),
        ("weather != {}", lambda v: v != text),
        ("weather contains {}", lambda v: text in v),
        ("weather startswith {}", lambda v: v.startswith(text)),
        ("weather endswith {}", lambda v: v.endswith(text)),
        ("weather in ({}, 'other')", lambda v: v in (text, "other")),
        ("weather >= {}", lambda v: v >= text),
    ]
    for template, predicate in checks:
        compiled = compile_query(template.format(render_string(text, rng)), fields)
        rows = db.execute(f"SELECT frame_id FROM frames WHERE {compiled.sql}", compiled.params)
        got = {r[0] for r in rows.fetchall()}
        expected = {
            str(i)
            for i, v in enumerate(values)
            if (v is not None and predicate(v)) or (v is None and template.startswith("weather !="))
        }
        assert got == expected, template
    assert db.execute("SELECT count(*) FROM frames").fetchone() == (6,)
    db.close()


FUZZ_WORDS = [
    "weather", "width", "speed", "is_night", "`camera id`", "count", "num_labels", "wether",
    "and", "or", "not", "in", "is", "null", "true", "false", "contains", "startswith",
    "has(", "count(", "(", ")", ",", "=", "!=", "<", ">=", "-", "'rain'", '"sun"', "'%'",
    "3", "2.5", "1e309", "99999999999999999999", "'", '"', "`", "\\", ";", "--", "/*",
    "drop", "table", "frames", "select", "union", "'; drop table frame_rows; --",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.sampled_from(FUZZ_WORDS), max_size=12),
    noise=st.text(max_size=20),
)
def test_fuzzed_input_compiles_and_runs_or_is_an_input_error(
    fuzz_store: Store, words: list[str], noise: str
) -> None:
    for expression in (" ".join(words), noise, " ".join(words) + noise):
        try:
            compiled = compile_query(expression, FIELDS, labels_relation="labels")
        except InputError as error:
            assert str(error).startswith("query: at ")
            assert isinstance(error, QueryError)
            assert 0 <= error.position <= len(expression)
            continue
        fuzz_store.select(compiled)  # runs: DuckDB accepts every query that compiles
    fuzz_store.assert_unchanged()


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    made = Store(tmp_path_factory.mktemp("fuzz"), seed=3)
    yield made
    made.db.close()


def test_mutated_expressions_compile_and_run_or_are_input_errors(fuzz_store: Store) -> None:
    """Valid expressions with characters cut, repeated or inserted: every one compiles
    to SQL DuckDB runs, or is a QueryError pointing inside the expression."""
    rng = random.Random(11)
    compiled_count = 0
    for _ in range(1500):
        text = render(random_condition(rng, fuzz_store), rng)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text) + 1)
            j = min(len(text), i + rng.randint(0, 4))
            text = rng.choice(
                [
                    text[:i] + text[j:],
                    text[:i] + text[i:j] * 2 + text[j:],
                    text[:i] + rng.choice(FUZZ_WORDS) + text[i:],
                ]
            )
        try:
            compiled = compile_query(text, FIELDS, labels_relation="labels")
        except QueryError as error:
            assert 0 <= error.position <= len(text), text
            assert str(error).startswith("query: at "), text
            continue
        compiled_count += 1
        fuzz_store.select(compiled)
    assert compiled_count > 100  # some survive
    fuzz_store.assert_unchanged()


def test_sql_looking_names_are_unknown_fields(store: Store) -> None:
    for expression in [
        "frames = 1",
        "select = 1",
        "`weather; drop table frames` = 1",
        '`weather" = 1 or "1` = 1',
        "frame_rows is null",
    ]:
        with pytest.raises(InputError, match="unknown field"):
            compile_query(expression, FIELDS)
    store.assert_unchanged()


@pytest.mark.parametrize(
    "expression",
    [
        "weather = 'rain'; drop table frame_rows",
        "weather = 'rain' -- comment",
        "weather = 'rain' /* comment */",
        "weather = 'rain' union select 1",
        "weather = 'rain' or 1=1 --",
        "weather = rain",
        "weather = 'rain",
        "weather = \"rain'",
    ],
)
def test_injection_attempts_are_rejected(store: Store, expression: str) -> None:
    with pytest.raises(InputError, match=r"^query: at (line \d+, )?column \d+"):
        compile_query(expression, FIELDS, labels_relation="labels")
    store.assert_unchanged()


def test_huge_numbers_are_rejected_or_exact() -> None:
    with pytest.raises(InputError, match="out of range"):
        compile_query("score > 9223372036854775808", FIELDS)
    with pytest.raises(InputError, match="out of range"):
        compile_query("score > -9223372036854775809", FIELDS)
    with pytest.raises(InputError, match="out of range"):
        compile_query("speed > 1e309", FIELDS)
    assert compile_query("score > -9223372036854775808", FIELDS).params == [-(2**63)]
    assert compile_query("speed > 1e-400", FIELDS).params == [0.0]
    with pytest.raises(InputError, match="out of range"):
        compile_query("score > " + "9" * 3000, FIELDS)


def test_nesting_is_limited(store: Store) -> None:
    deep = "(" * MAX_DEPTH + "is_night" + ")" * MAX_DEPTH
    assert store.query(deep) == store.query("is_night")
    with pytest.raises(InputError, match=f"nests deeper than {MAX_DEPTH}"):
        compile_query("(" * (MAX_DEPTH + 1) + "is_night" + ")" * (MAX_DEPTH + 1), FIELDS)
    with pytest.raises(InputError, match="nests deeper") as caught:
        compile_query("not " * 100 + "is_night", FIELDS)
    assert caught.value.column == 4 * MAX_DEPTH + 1
    with pytest.raises(InputError, match="nests deeper"):
        compile_query("(" * (MAX_LENGTH - 1) + "(", FIELDS)
    with pytest.raises(InputError, match="the limit is"):
        compile_query("(" * 1_000_000, FIELDS)
    store.assert_unchanged()


def test_length_is_limited(store: Store) -> None:
    term = "score = 1 or "
    longest = term * ((MAX_LENGTH - len("false")) // len(term)) + "false"
    assert len(longest) <= MAX_LENGTH
    assert store.query(longest) == store.matching(lambda r: r["score"] == 1)
    in_list = "score in (" + ", ".join(["1"] * ((MAX_LENGTH - 12) // 3)) + ")"
    assert store.query(in_list) == store.matching(lambda r: r["score"] == 1)
    with pytest.raises(InputError, match=f"limit is {MAX_LENGTH:,}"):
        compile_query("true" + " " * MAX_LENGTH, FIELDS)
    store.assert_unchanged()


def test_lone_surrogates_are_rejected() -> None:
    with pytest.raises(InputError, match=r"column 12: .*surrogate"):
        compile_query("weather = '\ud800'", FIELDS)
    with pytest.raises(InputError, match="not a unicode character"):
        compile_query("weather = '\\ud800'", FIELDS)


def test_label_predicates_need_a_labels_relation() -> None:
    with pytest.raises(InputError, match="column 5: has\\(\\) needs labels"):
        compile_query("not has('cat')", FIELDS)
    with pytest.raises(InputError, match="count\\(\\) needs labels"):
        compile_query("count('cat') > 1", FIELDS)


def test_bad_fields_and_relations_are_input_errors() -> None:
    with pytest.raises(InputError, match="type 'text'"):
        compile_query("a = 'x'", {"a": "text"})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="non-empty"):
        compile_query("true", {"": "int"})
    with pytest.raises(InputError, match="labels_relation"):
        compile_query("true", FIELDS, labels_relation="")
    with pytest.raises(InputError, match="a query is a string"):
        compile_query(b"true", FIELDS)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- error positions


ERRORS = [
    ("weather = 'rain' and wether = 'sun'", 22, "unknown field 'wether' (did you mean 'weather'?)"),
    ("Weather = 'rain'", 1, "unknown field 'Weather' (did you mean 'weather'?)"),
    ("camera_id = 'x'", 1, "did you mean `camera id`?"),
    ("weather > 3", 11, "cannot compare string field 'weather' with int 3 (string vs number)"),
    ("3 = weather", 5, "cannot compare int 3 with string field 'weather'"),
    ("speed = 'fast'", 9, "cannot compare float field 'speed' with string 'fast'"),
    ("is_night = 1", 12, "cannot compare bool field 'is_night' with int 1"),
    ("is_night < true", 10, "bools have no order"),
    ("weather in ('a', 2)", 18, "cannot compare string field 'weather' with int 2"),
    ("width contains '3'", 1, "'contains' needs a string, but int field 'width' is not one"),
    ("weather contains camera", 18, "'contains' takes a quoted string, found 'camera'"),
    ("weather", 1, "string field 'weather' is not a condition"),
    ("weather 'rain'", 9, "string field 'weather' is not a condition"),
    ("weather = null", 11, "write 'is null' or 'is not null'"),
    ("weather is nul", 12, "expected 'null' after 'is'"),
    ("weather = 'rain' and", 21, "(end of input): expected a field, value or condition"),
    ("weather = 'rain' speed > 1", 18, "unexpected 'speed' (missing 'and' / 'or'?)"),
    ("(weather = 'rain'", 18, "expected ')' to close the '(' at column 1"),
    ("weather = 'rain')", 17, "unexpected ')'"),
    ("(width) > 3", 7, "int field 'width' is not a condition: compare it"),
    ("(is_night) = true", 12, "parentheses group conditions, not values: '=' cannot follow"),
    ("weather = 'rain", 11, "unterminated string"),
    ("`camera id = 'x'", 1, "unterminated `name`"),
    ("weather = 'a\\qb'", 13, "unknown escape \\q"),
    ("weather = '\\u12'", 12, "escape \\u takes 4 hex digits"),
    ("weather = 'x'; drop table frames", 14, "unexpected character ';'"),
    ("weather = 'x' @", 15, "unexpected character '@'"),
    ("score = 12abc", 9, "malformed number"),
    ("score = 1.2.3", 9, "malformed number"),
    ("score = - 'x'", 11, "'-' must be followed by a number"),
    ("score = 99999999999999999999", 9, "integer '99999999999999999999' is out of range"),
    ("speed = -1e999", 10, "out of range"),
    ("lower(weather) = 'x'", 1, "unknown function 'lower'"),
    ("has()", 1, "has() takes at least one class name"),
    ("has(cat)", 5, "has() takes class names as strings, found 'cat'"),
    ("has('cat'", 10, "expected ')' to close has("),
    ("count('cat')", 1, "count('cat') is not a condition"),
    ("count('cat') > 'x'", 16, "cannot compare count('cat') with string 'x' (number vs string)"),
    ("weather in 'rain'", 12, "expected '(' to start the list after 'in'"),
    ("weather in ('a' 'b')", 17, "expected ',' or ')' in the list"),
    ("weather in (null)", 13, "write 'is null'"),
    ("", 1, "empty query"),
    ("   ", 1, "empty query"),
    ("weather = 'rain'\nand wether = 'x'", 5, "query: at line 2, column 5: unknown field 'wether'"),
    ("score = ¹", 9, "unknown field '¹'"),
    ("score = ١", 9, "unexpected character '١'"),
    ("not", 4, "expected a field, value or condition, found the end of the query"),
]


@pytest.mark.parametrize(("expression", "column", "message"), ERRORS, ids=[e for e, _, _ in ERRORS])
def test_error_points_at_the_column(expression: str, column: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_query(expression, FIELDS, labels_relation="labels")
    error = caught.value
    assert isinstance(error, QueryError)
    assert error.column == column
    text = str(error)
    assert text.startswith("query: at ")
    assert message in text
    if "\n" not in expression:
        assert error.line == 1
        assert error.position == column - 1
        assert text.startswith(f"query: at column {column}")
    assert "\n" not in text


# ----------------------------------------------------------------------------- the docs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "queries.md"
DOC_FIELDS: dict[str, FieldType] = {
    "weather": "string",
    "num_labels": "int",
    "is_night": "bool",
    "camera": "string",
    "image_uri": "string",
    "camera id": "string",
    "speed": "float",
}


def _text_blocks() -> list[str]:
    return [block.split("```")[0] for block in DOCS.read_text().split("```text\n")[1:]]


def test_documented_examples_compile() -> None:
    examples = _text_blocks()[0].strip().splitlines()
    assert len(examples) == 4
    for example in examples:
        compile_query(example, DOC_FIELDS, labels_relation="labels")


def test_documented_errors_are_the_real_ones() -> None:
    block = next(b for b in _text_blocks() if "query: at" in b)
    expression: list[str] = []
    checked = 0
    for line in block.splitlines():
        if not line.startswith("    "):
            expression.append(line)
            continue
        with pytest.raises(InputError) as caught:
            compile_query("\n".join(expression), DOC_FIELDS)
        assert str(caught.value) == line.strip()
        expression = []
        checked += 1
    assert checked == 5
