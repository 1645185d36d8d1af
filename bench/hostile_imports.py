"""Hostile uploads against the import check, each in a process of its own: how long the
check takes and how much memory it adds to the process's peak before it answers.

The cases are those of the bounded-work issue: CSV headers of 5,000 to 1,000,000 columns
(quadratic before the width cap), a 1.7 KB XLSX declaring A1:ALL40000, an XLSX whose
sheet nests XML entities, and a CSV of 50,000 rows. Each runs `standards.exchange.
read_upload` for the parameter list, as the import form does, in a fresh interpreter;
a case still running after --timeout seconds is stopped and reported as such.

    DEBUG=False SECRET_KEY=bench-only .venv/bin/python bench/hostile_imports.py
    # the same cases against another checkout of the project (for example the tree
    # before the caps, made with `git worktree add /tmp/before <commit>`):
    DEBUG=False SECRET_KEY=bench-only .venv/bin/python bench/hostile_imports.py \
        --project /tmp/before
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CASES = {
    "csv header, 5,000 columns": ("csv_header", 5_000),
    "csv header, 10,000 columns": ("csv_header", 10_000),
    "csv header, 20,000 columns": ("csv_header", 20_000),
    "csv header, 1,000,000 columns": ("csv_header", 1_000_000),
    "csv, 50,000 rows": ("csv_rows", 50_000),
    "xlsx declaring A1:ALL40000": ("xlsx_sparse", "A1:ALL40000"),
    "xlsx, cell a million rows down": ("xlsx_far", 1_000_000),
    "xlsx, nested XML entities": ("xlsx_laughs", 6),
}

# Run in the child: build the file, note the peak so far, check it, print the figures.
CHILD = r"""
import gc, io, json, re, resource, sys, time, zipfile
import django
django.setup()
from openpyxl import Workbook
from django.core.exceptions import ValidationError
from standards.exchange import CSVFormat, ParameterResource, XLSXFormat, read_upload

kind, size = json.loads(sys.argv[1])
header = ParameterResource.column_names()

def xlsx(rows, edit=None, far=None):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    if far:
        workbook.active.cell(row=far, column=1, value="lead")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if edit is None:
        return data
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = edit(content)
            target.writestr(info.filename, content)
    return out.getvalue()

def laughs(xml):
    entities = [b'<!ENTITY l0 "lol">'] + [
        b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, size + 1)
    ]
    doctype = b"<!DOCTYPE worksheet [%s]>" % b"".join(entities)
    declaration, sep, body = xml.rpartition(b"?>")
    return declaration + sep + doctype + body.replace(b"<t>Lead</t>", b"<t>&l%d;</t>" % size)

row = ["lead", "Lead"] + [""] * (len(header) - 2)
if kind == "csv_header":
    data = (",".join(header + [f"c{i}" for i in range(size)]) + "\n").encode()
    file_format = CSVFormat()
elif kind == "csv_rows":
    lines = [",".join(header)] + [",".join([f"p{i}", f"P{i}"] + [""] * (len(header) - 2))
                                  for i in range(size)]
    data = ("\n".join(lines) + "\n").encode()
    file_format = CSVFormat()
elif kind == "xlsx_sparse":
    dimension = size.encode()
    data = xlsx([header, row], lambda xml: re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % dimension, xml))
    file_format = XLSXFormat()
elif kind == "xlsx_far":
    data = xlsx([header], lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml), far=size)
    file_format = XLSXFormat()
else:
    data = xlsx([header, row], laughs)
    file_format = XLSXFormat()

gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    dataset = read_upload(data, file_format, ParameterResource)
    answer = f"read: {len(dataset)} rows"
except ValidationError as error:
    answer = "refused: " + " ".join(error.messages)[:110]
elapsed = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"bytes": len(data), "seconds": elapsed, "added_mb": (after - before) / 1024,
                  "answer": answer}))
"""


def run_case(project, case, timeout):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(project)}
    env.setdefault("SECRET_KEY", "bench-only")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(case)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - start, "answer": f"still running at {timeout} s"}
    if done.returncode:
        return {"answer": f"the process failed: {done.stderr.strip().splitlines()[-1]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=HERE, help="checkout to measure")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    args = parser.parse_args()
    print(f"project: {args.project}")
    for name, case in CASES.items():
        result = run_case(args.project.resolve(), case, args.timeout)
        size = f"{result['bytes'] / 1024:9.1f} kB" if "bytes" in result else " " * 12
        seconds = f"{result['seconds']:8.3f} s" if "seconds" in result else " " * 10
        memory = f"+{result['added_mb']:7.1f} MB" if "added_mb" in result else " " * 11
        print(f"{name:32} {size} {seconds} {memory}  {result['answer']}", flush=True)


if __name__ == "__main__":
    main()
