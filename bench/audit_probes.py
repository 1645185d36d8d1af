"""Rerun of the audit's probes (issue 13, findings 1-16) against a live portal over HTTP.

Each finding is one function; each prints one line: the finding, what was sent, the
status codes observed and PASS/FAIL by the rule the issue states. Standard library only
(urllib, threads and a barrier for the races). The probes change data (two mappings,
one standard, clause, limit and parameter, two log-count limits) and leave log-in
failures behind: run them against a throwaway database, never against real data.

A throwaway portal (SQLite file of its own, report worker beside the server):

    export DEBUG=True SECRET_KEY=probe-only SQLITE_PATH=/tmp/probes/db.sqlite3
    # PDFs of more than 64 mappings go to the worker: the 65-mapping selection of
    # finding 13 then has a job page, the 63 gaps of finding 1 still render in the request.
    export REPORT_BACKGROUND_THRESHOLD=64
    .venv/bin/python manage.py migrate --noinput
    .venv/bin/python manage.py load_reference_data
    .venv/bin/python manage.py create_demo_accounts > /tmp/probes/accounts.txt
    .venv/bin/python manage.py report_worker --no-reload &
    .venv/bin/python manage.py runserver --noreload 127.0.0.1:8610 &
    .venv/bin/python bench/audit_probes.py --base-url http://127.0.0.1:8610 \
        --accounts /tmp/probes/accounts.txt

With DEBUG off, add `DEBUG=False SECURE_COOKIES=False ALLOWED_HOSTS=127.0.0.1,localhost
STATIC_ROOT=/tmp/probes/static` and run `manage.py collectstatic --noinput` first (the
demo accounts need DEBUG on: create them before switching it off).

Credentials come from --accounts (the output of create_demo_accounts) or --regulator,
--negotiator, --editor, --administrator as user:password. The second negotiator of
finding 13 (--negotiator-b) is created through the admin when it cannot log in.
Finding 14 runs last (it locks the address out) and afterwards deletes the log-in
attempts as the administrator, so the suite can run again (--keep-lockout to keep them).
"""

import argparse
import collections
import http.cookiejar
import io
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from html.parser import HTMLParser

CONFLICT = "Someone else saved this"
OK, ACCEPTED, FOUND, BAD_REQUEST, SERVER_ERROR = 200, 202, 302, 400, 500
REFUSALS = (403, 404)


# --- HTTP --------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name):
        return self.headers.get(name, "") if self.headers else ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One browser session: its own cookies, redirects not followed."""

    def __init__(self, base, timeout):
        self.base, self.timeout = base.rstrip("/"), timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, method, path, data=None, content_type=None):
        url = path if path.startswith("http") else self.base + path
        headers = {"User-Agent": "audit-probes", "Accept-Language": "en"}
        if isinstance(data, list):
            data, content_type = urllib.parse.urlencode(data).encode(), None
        if data is not None:
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
            headers["Referer"] = url
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())
        except OSError as exc:  # refused, reset, timed out: the server is gone or hung
            return Response(0, None, str(exc).encode())

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data, content_type=None):
        return self.request("POST", path, data, content_type)

    def login(self, username, password):
        page = self.get("/accounts/login/")
        fields = [("csrfmiddlewaretoken", csrf_token(page.text))]
        fields += [("username", username), ("password", password), ("next", "/")]
        resp = self.post("/accounts/login/", fields)
        resp.ok = resp.status == FOUND and "/accounts/login" not in resp.header("Location")
        return resp


def multipart(fields, files):
    """(body, content type) of a multipart/form-data POST."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    for name, (filename, content, ctype) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def concurrently(calls):
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    return results


def tally(statuses):
    """'200×1, 302×7' (0 = no answer: connection refused, reset or timed out)."""
    counts = collections.Counter(statuses)
    return ", ".join(f"{status or 'ERR'}×{n}" for status, n in sorted(counts.items()))


def no_5xx(statuses):
    return all(0 < status < SERVER_ERROR for status in statuses)


# --- HTML forms --------------------------------------------------------------------


class FormParser(HTMLParser):
    """The forms of a page as a browser would submit them unchanged: [(name, value)]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select, self.textarea, self.option = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form = {"attrs": a, "fields": []}
            self.forms.append(self.form)
        if self.form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form["fields"].append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.form["fields"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = [a.get("value"), "selected" in a, ""]
            self.select["options"].append(self.option)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        if self.option is not None:
            self.option[2] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            self.form["fields"].append((self.textarea[0], self.textarea[1].lstrip("\n")))
            self.textarea = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = [(v if v is not None else t.strip(), s) for v, s, t in self.select["options"]]
            chosen = [v for v, selected in options if selected]
            if not chosen and options and not self.select["multiple"]:
                chosen = [options[0][0]]
            self.form["fields"] += [(self.select["name"], v) for v in chosen]
            self.form.setdefault("options", {})[self.select["name"]] = self.select
            self.select = None
        elif tag == "form":
            self.form = None


def find_form(html, contains):
    """The first form holding a field named `contains`."""
    parser = FormParser()
    parser.feed(html)
    names = lambda form: {n for n, _v in form["fields"]} | set(form.get("options", {}))  # noqa: E731
    return next((form for form in parser.forms if contains in names(form)), None)


def csrf_token(html):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


def setf(fields, name, value):
    """The fields with `name` set to value (None: removed)."""
    kept = [(n, v) for n, v in fields if n != name]
    return kept if value is None else [*kept, (name, value)]


def field(fields, name):
    return next((v for n, v in fields if n == name), None)


def change_form(client, path):
    """(fields, status) of an admin change form, ready to POST with _save."""
    page = client.get(path)
    parser = FormParser()
    parser.feed(page.text if page.status == OK else "")
    # The record's form, not the header's log-out form: the admin names it <model>_form.
    form = next((f for f in parser.forms if f["attrs"].get("id", "").endswith("_form")), None)
    if form is None:
        return None, page.status
    return form["fields"] + [("_save", "Save")], page.status


def first_id(client, model):
    page = client.get(f"/admin/standards/{model}/")
    match = re.search(rf"/admin/standards/{model}/(\d+)/change/", page.text)
    return match.group(1) if match else None


# --- the probes --------------------------------------------------------------------

TEXT_FIELD = {
    "standard": "scope_note",
    "clause": "citation",
    "limit": "note",
    "parameter": "name_ru",
}


def finding_1(s):
    lang = random.choice(["en", "ru", "kk", "zh-hans"])
    extra = random.choice(["", "&originals=on", "&notes=on", "&originals=on&notes=on"])
    query = f"gaps=1&lang={lang}{extra}"
    parts, ok = [], True
    for fmt in ("csv", "xlsx", "pdf"):
        path = f"/reports/gap.{fmt}?{query}"
        # Two exporting roles: a request waiting for its own render is sent to its job
        # (302), one waiting for another user's is told the report is being prepared (202).
        clients = [s.login_as(role) for role in ("negotiator", "editor") * 4]
        results = concurrently([lambda c=c, p=path: c.get(p) for c in clients])
        statuses = [r.status for r in results]
        # Then the file must be there: one render ran and is served from now on.
        deadline, after = time.time() + s.args.timeout, None
        while time.time() < deadline:
            after = clients[0].get(path)
            if after.status != FOUND and after.status != ACCEPTED:
                break
            time.sleep(1)
        ok &= no_5xx(statuses) and after is not None and after.status == OK
        parts.append(f"{fmt} {tally(statuses)} then {after.status if after else '-'}")
    sent = f"8 simultaneous GET /reports/gap.<fmt>?{query} (negotiator, editor ×4 each)"
    return sent, "; ".join(parts), ok


def finding_2(s):
    pk = s.mapping_id()
    path = f"/admin/standards/clausemapping/{pk}/change/"
    statuses, good_trials = [], 0
    for trial in range(s.args.trials):
        a, b = s.login_as("editor"), s.login_as("administrator")
        forms = []
        for who, client in (("editor", a), ("administrator", b)):
            fields, _ = change_form(client, path)
            note = f"{field(fields, 'rationale') or ''} [probe 2.{trial} {who}]"
            forms.append((client, setf(fields, "rationale", note)))
        results = concurrently([lambda c=c, f=f: c.post(path, f) for c, f in forms])
        statuses += [r.status for r in results]
        saved = [r for r in results if r.status == FOUND]
        told = [r for r in results if r.status == OK and CONFLICT in r.text]
        good_trials += len(saved) == 1 and len(told) == 1
    ok = no_5xx(statuses) and good_trials == s.args.trials
    sent = f"{s.args.trials} trials: editor and administrator POST mapping {pk} at once"
    got = f"{len(statuses)} POSTs: {tally(statuses)}; one save + one conflict message in "
    return sent, got + f"{good_trials}/{s.args.trials} trials", ok


def finding_3(s):
    pk = s.mapping_id()
    path = f"/admin/standards/clausemapping/{pk}/change/"
    editor = s.login_as("editor")
    statuses, saved = [], []
    for label, version in (("missing", None), ("malformed", "not-a-version")):
        fields, _ = change_form(editor, path)
        marker = f"[probe 3 {label} {uuid.uuid4().hex[:8]}]"
        fields = setf(fields, "rationale", (field(fields, "rationale") or "") + marker)
        resp = editor.post(path, setf(fields, "loaded_version", version))
        statuses.append(f"{label} {resp.status}")
        now, _ = change_form(editor, path)
        if resp.status == FOUND or (now and marker in (field(now, "rationale") or "")):
            saved.append(label)
    ok = not saved and all(not st.endswith(("500", " 0")) for st in statuses)
    got = ", ".join(statuses) + (f"; SAVED: {', '.join(saved)}" if saved else "; nothing saved")
    return f"POST mapping {pk} change form without / with a malformed version", got, ok


def finding_4(s):
    parts, ok = [], True
    for model, name in TEXT_FIELD.items():
        pk = first_id(s.admin, model)
        path = f"/admin/standards/{model}/{pk}/change/"
        stale, _ = change_form(s.editor, path)
        fresh, _ = change_form(s.admin, path)
        if stale is None or fresh is None:
            parts.append(f"{model} form not found")
            ok = False
            continue
        first = s.admin.post(path, setf(fresh, name, f"probe 4 first {uuid.uuid4().hex[:6]}"))
        late = s.editor.post(path, setf(stale, name, f"probe 4 stale {uuid.uuid4().hex[:6]}"))
        good = first.status == FOUND and late.status == OK and CONFLICT in late.text
        ok &= good
        verdict = "conflict" if good else ("LOST UPDATE" if late.status == FOUND else "?")
        parts.append(f"{model} {first.status}/{late.status} {verdict}")
    sent = "fresh save then stale form save, per model (administrator, editor)"
    return sent, "; ".join(parts), ok


def finding_5(s):
    pk = s.mapping_id()
    history = s.editor.get(f"/admin/standards/clausemapping/{pk}/history/")
    ids = re.findall(rf"/admin/standards/clausemapping/{pk}/history/(\d+)/", history.text)
    if not ids:
        return f"revert of mapping {pk}", f"history {history.status}, no versions listed", False
    version = ids[1] if len(ids) > 1 else ids[0]
    path = f"/admin/standards/clausemapping/{pk}/history/{version}/"
    fields, status = change_form(s.editor, path)
    if fields is None:
        return f"revert of mapping {pk} to history {version}", f"revert page {status}", False
    if field(fields, "change_reason") is not None:
        fields = setf(fields, "change_reason", "probe 5: revert")
    resp = s.editor.post(path, fields)
    why = "saved" if resp.status == FOUND else ("conflict" if CONFLICT in resp.text else "refused")
    sent = f"GET then POST the revert page of mapping {pk}, history {version}"
    return sent, f"GET {status}, POST {resp.status} ({why})", resp.status == FOUND


def edit_limit(admin, pk, values):
    """Set fields of a limit through its admin form: (status, the values it had)."""
    path = f"/admin/standards/limit/{pk}/change/"
    fields, status = change_form(admin, path)
    if fields is None:
        return status, {}
    before = {name: field(fields, name) for name in values}
    for name, new in values.items():
        fields = setf(fields, name, new)
    return admin.post(path, fields).status, before


def finding_6(s):
    setup, saved = [], {}
    for pk, value in zip(s.args.log_limits.split(","), ("30", "1"), strict=True):
        wanted = {"kind": "maximum", "value": value, "unit": "log CFU/g"}
        status, saved[pk] = edit_limit(s.admin, pk, wanted)
        setup.append(f"limit {pk} ≤{value} log CFU/g: {status}")
    pages = [f"/pairs/{s.args.log_pair}/", "/compare/?per_page=1000", "/consistency/"]
    pages += ["/reports/gap/?gaps=0&lang=en", "/reports/gap.csv?gaps=0&lang=en"]
    results = [s.editor.get(page) for page in pages]  # /consistency/ is for editors
    statuses = [r.status for r in results]
    shown = "30 log" in results[0].text  # the pair page shows the new limit
    # The limits go back to what they were: the pair would break every later page.
    restored = [str(edit_limit(s.admin, pk, values)[0]) for pk, values in saved.items()]
    got = f"setup {', '.join(setup)}; pages {tally(statuses)}; restored {', '.join(restored)}"
    got += "" if shown else "; pair page does not show the 30 log limit"
    sent = f"pair {s.args.log_pair}, compare, consistency, HTML and CSV report"
    return sent, got, all(status == OK for status in statuses) and shown


def finding_7(s):
    query = urllib.parse.urlencode({"q": " ".join(["a"] * 2000)})
    paths = ["/admin/auth/user/", "/admin/auth/group/", "/admin/axes/accessattempt/"]
    paths += ["/admin/axes/accesslog/", "/admin/axes/accessfailurelog/"]
    statuses = [s.admin.get(f"{path}?{query}").status for path in paths]
    sent = "?q= with 2,000 words on user, group, 3 axes changelists"
    return sent, tally(statuses), no_5xx(statuses)


def finding_8(s):
    models = ["parameter", "standard", "clause", "limit"]
    query = "?updated_at__year=99999"
    statuses = [s.editor.get(f"/admin/standards/{m}/{query}").status for m in models]
    return "?updated_at__year=99999 on 4 changelists", tally(statuses), no_5xx(statuses)


def finding_9(s):
    paths = ["/admin/standards/clausemapping/%FF/history/"]
    paths.append("/admin/standards/clause/1/history/abc/")
    statuses = [s.editor.get(path).status for path in paths]
    return "%FF and abc as ids on history pages", ", ".join(map(str, statuses)), no_5xx(statuses)


def import_upload(client, filename, content, ctype, fmt):
    """POST a file to the parameter import form; (response, how the format was chosen)."""
    path = "/admin/standards/parameter/import/"
    page = client.get(path)
    form = find_form(page.text, "format")
    if form is None:
        return page, "no import form"
    options = form["options"]["format"]["options"]
    value = next((v for v, _sel, text in options if fmt in (text or "").lower()), None)
    fields = setf(form["fields"], "format", value)
    fields = setf(fields, "reason", "audit probe")  # the portal asks why an import is made
    body, ctype_header = multipart(fields, {"import_file": (filename, content, ctype)})
    return client.post(path, body, ctype_header), value


def finding_10(s):
    header, short = "key,name_en,name_ru,name_zh,unit,family", "probe-short,Short"
    long = "probe-long,Long,,,mg/kg,mass,x,y"
    uploads = [
        ("LF", "\n".join([header, short, long]).encode(), "csv", "text/csv"),
        ("CRLF", "\r\n".join([header, short, long]).encode(), "csv", "text/csv"),
        ("CR", "\r".join([header, short, long]).encode(), "csv", "text/csv"),
        ("XLSX", xlsx([h.split(",") for h in (header, short, long)]), "xlsx", XLSX),
    ]
    statuses = []
    for label, content, fmt, ctype in uploads:
        resp, _fmt = import_upload(s.editor, f"ragged.{fmt}", content, ctype, fmt)
        statuses.append((label, resp.status))
    got = ", ".join(f"{label} {status}" for label, status in statuses)
    sent = "ragged rows (short and long) on the parameter import, 3 line ends + XLSX"
    return sent, got, no_5xx([status for _label, status in statuses])


def crafted_pdf():
    """A PDF whose trailer's /Info is an object that is a reference to itself."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    objects.append(b"3 0 R")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def finding_11(s):
    page = s.regulator.get("/reports/verify/")
    fields = [("csrfmiddlewaretoken", csrf_token(page.text)), ("fingerprint", "")]
    body, ctype = multipart(fields, {"document": ("report.pdf", crafted_pdf(), "application/pdf")})
    resp = s.regulator.post("/reports/verify/", body, ctype)
    sent = "POST /reports/verify/ a PDF whose /Info is itself"
    return sent, str(resp.status), resp.status == BAD_REQUEST


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows, doctype=""):
    """A one-sheet XLSX of inline strings, written by hand (cells are XML text)."""

    def cell(r, c, text):
        return f'<c r="{"ABCDEFGHIJ"[c]}{r}" t="inlineStr"><is><t>{text}</t></is></c>'

    data = "".join(
        f'<row r="{r}">{"".join(cell(r, c, t) for c, t in enumerate(row))}</row>'
        for r, row in enumerate(rows, 1)
    )
    main = "http://schemas.openxmlformats.org"
    rel = f"{main}/officeDocument/2006/relationships"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": f'<Types xmlns="{main}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{main}/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}/spreadsheetml/2006/main" xmlns:r="{rel}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{main}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?>{doctype}<worksheet xmlns="{main}/'
        f'spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def laughs_xlsx(levels=4):
    """An XLSX whose sheet declares nested entities: &lol4; is 10^4 times "lol"."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)
    )
    header = ["key", "name_en", "name_ru", "name_zh", "unit", "family"]
    rows = [header, ["probe-laughs", f"&lol{levels};", "", "", "mg/kg", "mass"]]
    return xlsx(rows, f"<!DOCTYPE worksheet [{entities}]>")


def finding_12(s):
    resp, _fmt = import_upload(s.editor, "laughs.xlsx", laughs_xlsx(), XLSX, "xlsx")
    # Expanded: the 30,000 characters show, or the error names their count.
    expanded = re.search(r"(lol){3}|it has 30\D?000", resp.text) is not None
    previewed = "import_file_name" in resp.text  # the confirm form of an accepted preview
    state = "expanded" if expanded else ("previewed" if previewed else "refused")
    ok = no_5xx([resp.status]) and not expanded and not previewed
    return (
        "parameter import of an XLSX with nested entities (10^4 lol)",
        f"{resp.status} {state}",
        ok,
    )


def finding_13(s):
    a, b = s.negotiator, s.negotiator_b()
    if b is None:
        return "negotiator B opens A's report job", "could not create or log in negotiator B", False
    resp = a.get(f"/reports/gap.pdf?{s.args.job_query}")
    match = re.search(r"/reports/jobs/(\d+)/", resp.header("Location"))
    if not match:
        note = f"A's PDF answered {resp.status} without a job (REPORT_BACKGROUND_THRESHOLD?)"
        return "negotiator B opens A's report job", note, False
    job = match.group(1)
    own = a.get(f"/reports/jobs/{job}/").status
    statuses = [b.get(f"/reports/jobs/{job}/{tail}").status for tail in ("", "download/")]
    sent = f"negotiator B GETs A's /reports/jobs/{job}/ and its download"
    got = f"A {own}; B {statuses[0]}, {statuses[1]}"
    return sent, got, all(status in REFUSALS for status in statuses)


def finding_14(s):
    name, password = s.accounts["regulator"]
    nonce = uuid.uuid4().hex[:6]
    fresh = lambda: Client(s.args.base_url, s.args.timeout)  # noqa: E731
    failures = [fresh().login(f"spray-{nonce}-{i}", "wrong").status for i in range(31)]
    last = fresh().login(name, password)
    got = f"failures {tally(failures)}; right password {last.status}"
    got += " (logged in)" if last.ok else " (refused)"
    got += "" if s.args.keep_lockout else f"; cleanup: {clear_attempts(s.admin)}"
    sent = "31 user names fail from one address, then regulator's right password"
    return sent, got, not last.ok and no_5xx([*failures, last.status])


def clear_attempts(admin):
    """Delete every django-axes log-in attempt (the lockouts) through the admin."""
    page = admin.get("/admin/axes/accessattempt/")
    ids = sorted(set(re.findall(r'name="_selected_action" value="(\d+)"', page.text)))
    if not ids:
        return f"changelist {page.status}, no attempts"
    fields = [("csrfmiddlewaretoken", csrf_token(page.text)), ("action", "delete_selected")]
    fields += [("select_across", "1"), ("index", "0"), ("post", "yes")]
    fields += [("_selected_action", pk) for pk in ids]
    deleted = admin.post("/admin/axes/accessattempt/", fields).status
    name, password = admin.suite.accounts["regulator"]
    again = Client(admin.base, admin.timeout).login(name, password).ok
    return f"deleted attempts {deleted}, {'log-in works again' if again else 'STILL LOCKED'}"


def finding_15(s):
    statuses = [s.regulator.get("/accounts/password/").status]
    statuses.append(s.negotiator.get("/accounts/password/").status)
    sent = "GET /accounts/password/ as regulator, negotiator"
    return sent, ", ".join(map(str, statuses)), statuses == [OK, OK]


def finding_16(s):
    checks = [(s.regulator, "/compare/"), (s.negotiator, "/reports/gap.csv?gaps=1&lang=en")]
    parts, ok = [], True
    for client, path in checks:
        resp = client.get(path)
        value = resp.header("Cache-Control") or "none"
        ok &= resp.status == OK and "private" in value and "no-store" in value
        parts.append(f"{path} {resp.status} '{value}'")
    return "Cache-Control of a page and a report download", "; ".join(parts), ok


# --- running -----------------------------------------------------------------------

FINDINGS = [
    (1, "single-flight renders", finding_1),
    (2, "simultaneous mapping saves", finding_2),
    (3, "version missing/malformed", finding_3),
    (4, "stale form, other models", finding_4),
    (5, "revert in history", finding_5),
    (7, "long admin search", finding_7),
    (8, "year 99999 drill-down", finding_8),
    (9, "malformed history ids", finding_9),
    (10, "ragged CSV import", finding_10),
    (11, "self-referencing /Info", finding_11),
    (12, "XLSX billion laughs", finding_12),
    (13, "report job ownership", finding_13),
    (15, "own password change", finding_15),
    (16, "Cache-Control", finding_16),
    (6, "log counts 29 apart", finding_6),  # late: a failing restore breaks later pages
    (14, "per-address lockout", finding_14),  # last: it locks the address out
]


class Suite:
    """The logged-in sessions and shared look-ups of one run."""

    def __init__(self, args, accounts):
        self.args, self.accounts, self._sessions, self._mapping = args, accounts, {}, None

    def login_as(self, role):
        client = Client(self.args.base_url, self.args.timeout)
        client.suite = self
        resp = client.login(*self.accounts[role])
        if not resp.ok:
            raise SystemExit(f"{role} cannot log in ({resp.status}): check the credentials")
        return client

    def session(self, role):
        if role not in self._sessions:
            self._sessions[role] = self.login_as(role)
        return self._sessions[role]

    regulator = property(lambda self: self.session("regulator"))
    negotiator = property(lambda self: self.session("negotiator"))
    editor = property(lambda self: self.session("editor"))
    admin = property(lambda self: self.session("administrator"))

    def mapping_id(self):
        if self._mapping is None:
            self._mapping = first_id(self.admin, "clausemapping")
        return self._mapping

    def negotiator_b(self):
        """Negotiator B's session; the account is created through the admin if needed."""
        name, password = self.accounts["negotiator-b"]
        client = Client(self.args.base_url, self.args.timeout)
        if client.login(name, password).ok:
            return client
        page = self.admin.get("/admin/auth/user/add/")
        fields = [("csrfmiddlewaretoken", csrf_token(page.text)), ("username", name)]
        fields += [("password1", password), ("password2", password), ("usable_password", "true")]
        fields += [("_continue", "1")]
        created = self.admin.post("/admin/auth/user/add/", fields)
        match = re.search(r"/admin/auth/user/(\d+)/change/", created.header("Location"))
        if not match:
            return None
        path = f"/admin/auth/user/{match.group(1)}/change/"
        page = self.admin.get(path)
        form = find_form(page.text, "groups")
        group = next(v for v, _s, t in form["options"]["groups"]["options"] if "Negotiator" in t)
        self.admin.post(path, [*setf(form["fields"], "groups", group), ("_save", "Save")])
        return client if client.login(name, password).ok else None


def read_accounts(args):
    accounts = {"negotiator-b": tuple(args.negotiator_b.split(":", 1))}
    if args.accounts:
        with open(args.accounts, encoding="utf-8") as lines:
            for line in lines:
                match = re.match(r"\s*(\w+)\s+username:\s*(\S+)\s+password:\s*(\S+)", line)
                if match:
                    accounts[match.group(1).lower()] = (match.group(2), match.group(3))
    for role in ("regulator", "negotiator", "editor", "administrator"):
        given = getattr(args, role)
        if given:
            accounts[role] = tuple(given.split(":", 1))
        if role not in accounts:
            raise SystemExit(f"no credentials for the {role}: --accounts FILE or --{role} u:p")
    return accounts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8610")
    parser.add_argument("--accounts", help="the output of manage.py create_demo_accounts")
    for role in ("regulator", "negotiator", "editor", "administrator"):
        parser.add_argument(f"--{role}", metavar="USER:PASSWORD")
    parser.add_argument("--negotiator-b", default="negotiator-b:Probe-negotiator-B-2026")
    parser.add_argument("--trials", type=int, default=8, help="finding 2 (default 8)")
    parser.add_argument("--log-pair", default="KZCN-017", help="finding 6: the pair's key")
    parser.add_argument("--log-limits", default="31,33", help="finding 6: its limits' ids")
    parser.add_argument("--job-query", default="gaps=0&lang=en", help="finding 13")
    parser.add_argument("--only", help="comma-separated finding numbers")
    parser.add_argument("--keep-lockout", action="store_true")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    suite = Suite(args, read_accounts(args))
    only = {int(n) for n in args.only.split(",")} if args.only else None
    passed = run = 0
    print(f"Audit probes against {args.base_url}")
    for number, name, probe in FINDINGS:
        if only and number not in only:
            continue
        started = time.time()
        try:
            sent, got, ok = probe(suite)
        except Exception as exc:  # a probe that cannot run is a failure, said why
            sent, got, ok = "(probe stopped)", f"{type(exc).__name__}: {exc}", False
        run += 1
        passed += bool(ok)
        verdict, took = "PASS" if ok else "FAIL", time.time() - started
        print(f"{number:>2} {name:<27} {verdict}  {sent} -> {got} [{took:.1f} s]", flush=True)
    print(f"Passed {passed} of {run}")
    return 0 if passed == run else 1


if __name__ == "__main__":
    sys.exit(main())
