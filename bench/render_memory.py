"""How much memory a process keeps after N PDF renders of the reference report.

Every PDF is drawn in a render child of the requesting process (the web process, or the
report worker; standards/reports/render_process.py). This renders the reference report N
times from one process, in a throwaway database, and prints after each render the
resident memory (VmRSS) of the requesting process, of its render child and of the child's
helpers (which draw a report's sections alongside it): the figures the processes keep,
not the peak of one render. At the end it compares the requesting process after each
render with its idle figure (set up, before the first render): the report worker's own
memory must come back to within 10 % of it every time. The child is replaced after
REPORT_RENDERS_PER_PROCESS renders, or when it holds more than REPORT_RENDER_MAX_MB, so
the two columns stay bounded however many renders follow. Run:

    DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \\
        .venv/bin/python bench/render_memory.py --renders 45

`--in-process` draws the PDFs in the requesting process itself, as the portal did before
the render child (the peer of this benchmark): that process keeps what it grows to.
`--large N` first renders one report of N synthetic mappings (1,000 take about 1 GB while
they render) and prints what each process keeps after it.
"""

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from compare_vs_admin import reference_database  # noqa: E402


def rss_mb(pid="self"):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def helper_pids(pid):
    """The process ids of the children of `pid` (a render child's helpers)."""
    pids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def in_process_renderer():
    """Draw PDFs in this process (the peer): the render process's code, called directly,
    a report's sections one after another."""
    from standards.reports import pdf, render_process

    render_process.start = lambda: None
    render_process.render = pdf.write_pdf
    render_process.render_sections = pdf.write_sections


def large_render(mappings):
    """One report of `mappings` synthetic mappings; the memory kept after it."""
    from django.core.management import call_command
    from django.http import QueryDict

    from standards.models import Standard
    from standards.reports import render_process
    from standards.reports.fingerprint import data_version
    from standards.reports.render import produce
    from standards.reports.selection import selection_from

    call_command("generate_synthetic", mappings=mappings, verbosity=0)
    query = "gaps=0&lang=en&" + "&".join(
        f"standard={key}"
        for key in Standard.objects.filter(key__startswith="syn-").values_list("key", flat=True)
    )
    _form, selection = selection_from(QueryDict(query))
    produce(selection, "pdf", data_version()[1])
    child = render_process.child_pid()
    print(
        f"after one report of {mappings} mappings: requesting process {rss_mb():.1f} MB, "
        + (f"render child {rss_mb(child):.1f} MB" if child else "render child replaced")
    )


def run(renders, in_process=False):
    from django.conf import settings
    from django.http import QueryDict

    from standards.reports import render_process
    from standards.reports.fingerprint import data_version
    from standards.reports.render import produce
    from standards.reports.selection import selection_from

    _form, selection = selection_from(QueryDict("gaps=0&lang=en&originals=on"))
    _version, as_of = data_version()
    produce(selection, "csv", as_of)  # the report's code and templates loaded: idle
    idle = rss_mb()
    print(
        f"render child replaced after {settings.REPORT_RENDERS_PER_PROCESS} renders or above "
        f"{settings.REPORT_RENDER_MAX_MB} MB; {settings.REPORT_RENDER_HELPERS} helpers; "
        f"requesting process idle, before the first render: {idle:.1f} MB"
    )
    rows = []
    no_child = "drawn in this process" if in_process else "replaced"
    for n in range(1, renders + 1):
        produce(selection, "pdf", as_of)
        child = render_process.child_pid()
        helpers = helper_pids(child) if child else []
        rows.append(
            (rss_mb(), rss_mb(child) if child else 0.0, sum(rss_mb(pid) for pid in helpers))
        )
        print(
            f"after render {n:3d}: requesting process {rows[-1][0]:7.1f} MB "
            f"({100 * (rows[-1][0] - idle) / idle:+5.1f} % of idle), render child "
            + (f"{rows[-1][1]:7.1f} MB (pid {child})" if child else f"   none ({no_child})")
            + (f", helpers {rows[-1][2]:7.1f} MB ({len(helpers)})" if helpers else "")
        )
    return idle, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=45)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--large", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir, reference_database(tmpdir):
        if args.in_process:
            in_process_renderer()
        idle, rows = run(args.renders, args.in_process)
        if args.large:
            large_render(args.large)
    parent = [row[0] for row in rows]
    child = [row[1] for row in rows]
    helpers = [row[2] for row in rows]
    total = [sum(row) for row in rows]
    worst = max(parent) - idle
    print(
        f"{'in-process' if args.in_process else 'render child'}: requesting process idle "
        f"{idle:.1f} MB, after a render at most {max(parent):.1f} MB (last {parent[-1]:.1f}; "
        f"{100 * worst / idle:+.1f} % of idle at worst, goal within 10 %: "
        f"{'met' if worst <= 0.1 * idle else 'MISSED'}); render child at most "
        f"{max(child):.1f} MB, its helpers at most {max(helpers):.1f} MB; all together at "
        f"most {max(total):.1f} MB after {len(rows)} renders (pid {os.getpid()})"
    )


if __name__ == "__main__":
    main()
