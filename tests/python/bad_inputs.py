"""A corpus of bad and odd data files, generated here (none is stored in the repository).

Each case is (file name, bytes, expectation). The expectation is either OK (the file is
read; the check gets the profile) or a text the error message must contain, besides the
file's name. Used by test_bad_input.py through both the CLI and HTTP.
"""

import gzip
import io
import json
import random
import struct
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

OK = None


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _csv(header, rows, sep=",", eol="\n") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(v) for v in r) for r in rows]
    return (eol.join(lines) + eol).encode()


def _small_rows(n=30):
    rnd = random.Random(7)
    return [(i, round(rnd.uniform(0, 100), 3), rnd.choice("abc"), rnd.choice(["yes", "no"])) for i in range(n)]


SMALL = _csv(["id", "x", "cat", "y"], _small_rows())


def _profile_has(columns=None, rows=None, kinds=None):
    """A check on the profile of a file that must be read."""
    def check(profile):
        if rows is not None:
            assert profile["rows"] == rows, profile["rows"]
        if columns is not None:
            assert profile["columns"] == columns, profile["columns"]
        detail = {c["name"]: c for c in profile["columns_detail"]}
        for name, kind in (kinds or {}).items():
            assert detail[name]["type"] == kind, (name, detail[name]["type"])
    return check


def cases():
    rnd = random.Random(11)
    out = []

    def add(name, content, expect):
        out.append((name, content, expect))

    # Empty and nearly empty.
    add("empty.csv", b"", "empty")
    add("blank-lines.csv", b"\n\n\n", "empty")
    add("spaces.csv", b"   \n  \n", "empty")
    add("header-only.csv", b"a,b,c\n", "no data rows")
    add("header-only-crlf.csv", b"a,b,c\r\n", "no data rows")
    add("nul.csv", b"\x00" * 100, "binary")
    # Structure.
    add("ragged-short.csv", b"a,b,c\n1,2,3\n4,5\n", "line 3: expected 3 fields, found 2")
    add("ragged-long.csv", b"a,b\n1,2\n3,4\n5,6,7\n", "line 4: expected 2 fields, found 3")
    add("unclosed-quote.csv", b'a,b\n1,"open\n2,3\n', "never closed")
    add("duplicate-header.csv", b"a,b,a\n1,2,3\n4,5,6\n", "duplicate column name")
    add("too-wide.csv", (",".join(f"c{i}" for i in range(10_001)) + "\n" + ",".join("1" * 10_001) + "\n").encode(), "10001 columns")
    add("empty-header-name.csv", b"a,,c\n1,2,3\n4,5,6\n", _profile_has(columns=3))
    add("quoted-newlines.csv", b'a,b\n"line one\nline two",1\n"x",2\n', _profile_has(rows=2))
    add("trailing-delimiter.csv", b"a,b,\n1,2,\n3,4,\n", _profile_has(rows=2, columns=3))
    add("leading-blank-lines.csv", b"\n\na,b\n1,2\n3,4\n", _profile_has(rows=2))
    add("only-delimiters.csv", b",,\n,,\n,,\n", _profile_has(rows=2, columns=3))
    add("stray-quote-inside.csv", b'a,b\n1,ab"c\n2,d\n', "line 2: field 2 has a quote in the middle")
    add("space-before-quote.csv", b'a,b\n1, "x"\n2, "y"\n', _profile_has(rows=2))
    add("text-after-quote.csv", b'a,b\n"ab"c,1\n', "line 2: field 1 has a quote in the middle")
    # Encodings.
    add("bom.csv", b"\xef\xbb\xbf" + SMALL, _profile_has(rows=30, columns=4))
    add("utf16le.csv", "\ufeffa,b\n1,2\n".encode("utf-16-le"), "UTF-16")
    add("utf16be.csv", "\ufeffa,b\n1,2\n".encode("utf-16-be"), "UTF-16")
    add("latin1.csv", "name,n\nJosé,1\nZoë,2\n".encode("latin-1"), "UTF-8")
    add("random-bytes.csv", bytes(rnd.randrange(256) for _ in range(20_000)), "binary")
    add("nul-in-middle.csv", b"a,b\n1,2\n3,\x004\n", "binary")
    add("emoji-and-rtl.csv", "text,n\n😀 ok,1\nשלום,2\n\u202etxt,3\n".encode(), _profile_has(rows=3))
    add("control-chars.csv", b"a,b\n\x07bell,1\n\x1bescape,2\n", _profile_has(rows=2))
    # Other formats under a CSV name.
    add("json-as.csv", json.dumps([{"a": 1, "b": 2}, {"a": 3, "b": 4}]).encode(), "JSON")
    add("ndjson-as.csv", b'{"a": 1}\n{"a": 2}\n', "JSON")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("data.csv", SMALL)
    add("zip-as.csv", zbuf.getvalue(), "ZIP archive")
    add("excel.xlsx", zbuf.getvalue(), "ZIP archive")
    add("html-as.csv", b"<!DOCTYPE html>\n<html><body><table><tr><td>1</td></tr></table></body></html>\n", _profile_has(columns=1))
    add("parquet-as.csv", _parquet(pa.table({"a": [1, 2]})), _profile_has(rows=2, columns=1))
    # Line endings and delimiters.
    add("cr-only.csv", SMALL.replace(b"\n", b"\r"), _profile_has(rows=30, columns=4))
    add("crlf.csv", SMALL.replace(b"\n", b"\r\n"), _profile_has(rows=30, columns=4))
    add("semicolons.csv", _csv(["id", "x", "cat", "y"], _small_rows(), sep=";"), _profile_has(rows=30, columns=4))
    add("tabs.tsv", _csv(["id", "x", "cat", "y"], _small_rows(), sep="\t"), _profile_has(rows=30, columns=4))
    add("pipes.csv", _csv(["id", "x", "cat", "y"], _small_rows(), sep="|"), _profile_has(rows=30, columns=4))
    # Values.
    add("thousands.csv", _csv(["pop", "n"], [(f'"{1000 + 37 * i:,}"', i % 3) for i in range(30)]),
        _profile_has(kinds={"pop": "numeric"}))
    add("all-missing-column.csv", _csv(["a", "b"], [(i, "NA") for i in range(30)]), _profile_has(kinds={"b": "constant"}))
    add("inf-and-nan.csv", _csv(["a", "b"], [(v, i) for i, v in enumerate(["inf", "-inf", "nan", "1e309", "1", "2"] * 5)]), _profile_has(rows=30))
    add("huge-numbers.csv", _csv(["a", "b"], [(10 ** (i * 10), i) for i in range(30)]), _profile_has(rows=30))
    add("mixed-types.csv", _csv(["a", "b"], [(i % 5 if i % 2 else f"w{i % 5}", i) for i in range(30)]), _profile_has(kinds={"a": "categorical"}))
    add("long-cell.csv", b"a,b\n" + b'"' + b"word " * 150_000 + b'",1\n2,3\n', _profile_has(rows=2))
    add("long-header.csv", ("h" * 10_000 + ",b\n1,2\n3,4\n").encode(), _profile_has(columns=2))
    add("hostile-names.csv", '"</script><b>x",\'q"",{{x}},"a\nb"\n1,2,3,4\n5,6,7,8\n'.encode(), _profile_has(rows=2, columns=4))
    add("single-column.csv", _csv(["only"], [(i,) for i in range(30)]), _profile_has(columns=1))
    add("single-row.csv", b"a,b\n1,2\n", _profile_has(rows=1))
    add("many-rows.csv", _csv(["a", "b"], [(i, i % 7) for i in range(100_000)]), _profile_has(rows=100_000))
    add("wide-ok.csv", _csv([f"c{i}" for i in range(1000)], [[j * i for i in range(1000)] for j in range(5)]), _profile_has(columns=1000))
    add("dates-mixed.csv", _csv(["d", "n"], [("2020-01-0" + str(i % 9 + 1) if i % 2 else f"0{i % 9 + 1}/01/2020", i) for i in range(30)]), _profile_has(rows=30))
    # Gzip.
    add("fake.csv.gz", SMALL, "not gzip")
    add("truncated.csv.gz", gzip.compress(SMALL * 50)[:200], "gzip")
    add("empty.csv.gz", gzip.compress(b""), "empty")
    add("utf16.csv.gz", gzip.compress("\ufeffa,b\n1,2\n".encode("utf-16-le")), "UTF-16")
    add("good.csv.gz", gzip.compress(SMALL), _profile_has(rows=30, columns=4))
    add("bomb.csv.gz", gzip.compress(b"a,b\n" + b"1,2\n" * 5_000_000, 9), "unpacks")
    # Parquet.
    add("good.parquet", _parquet(pa.table({"a": list(range(30)), "b": [f"x{i % 3}" for i in range(30)]})), _profile_has(rows=30, columns=2))
    add("zero-rows.parquet", _parquet(pa.table({"a": pa.array([], pa.int64())})), "no data rows")
    add("truncated.parquet", _parquet(pa.table({"a": list(range(100))}))[:-30], "Parquet")
    add("not-parquet.parquet", SMALL, "Parquet")
    add("list-column.parquet", _parquet(pa.table({"a": [1, 2], "tags": [[1, 2], [3]]})), "tags")
    add("struct-column.parquet", _parquet(pa.table({"a": [1, 2], "point": [{"x": 1}, {"x": 2}]})), "point")
    add("binary-column.parquet", _parquet(pa.table({"a": [1, 2], "blob": [b"\x00\x01", b"\x02"]})), "blob")
    add("decimal.parquet", _parquet(pa.table({"price": pa.array([1, 2, 3], pa.decimal128(10, 2)).cast(pa.decimal128(10, 2)), "n": [1, 2, 3]})), _profile_has(kinds={"price": "numeric"}))
    add("timestamps.parquet", _parquet(pa.table({"t": pa.array([1_600_000_000_000_000 + i * 86_400_000_000 for i in range(30)], pa.timestamp("us")), "n": list(range(30))})), _profile_has(kinds={"t": "datetime"}))
    add("map-column.parquet", _parquet(pa.table({"a": [1], "m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64()))})), "m")
    return out


def assert_names_problem(message: str, name: str, expect: str):
    assert "panicked" not in message, message
    assert expect.lower() in message.lower(), f"{name}: expected {expect!r} in {message!r}"
    # The message names the file (its display name; a path may precede it).
    assert name in message, f"{name}: the message does not name the file: {message!r}"
