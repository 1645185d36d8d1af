"""How much memory a process keeps after N PDF renders of the reference report.

The web process (gunicorn's sync worker, or runserver) and the report worker render
through the same code (standards.reports.render.produce); this renders the reference
report N times in one process, in a throwaway database, and prints the resident memory
(VmRSS) after each render: the figure a process keeps, not the peak of one render. Run:

    DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \\
        .venv/bin/python bench/render_memory.py --renders 20

gunicorn bounds it by replacing a worker after WEB_MAX_REQUESTS requests
(portal/gunicorn.conf.py); the development server and the report worker keep what they
grow to.
"""

import argparse
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from compare_vs_admin import reference_database  # noqa: E402


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir, reference_database(tmpdir):
        from django.http import QueryDict

        from standards.reports.fingerprint import data_version
        from standards.reports.render import produce
        from standards.reports.selection import selection_from

        _form, selection = selection_from(QueryDict("gaps=0&lang=en&originals=on"))
        _version, as_of = data_version()
        start = rss_mb()
        sizes = []
        for n in range(1, args.renders + 1):
            produce(selection, "pdf", as_of)
            sizes.append(rss_mb())
            print(f"after render {n:3d}: {sizes[-1]:7.1f} MB")
        first, last = sizes[0], sizes[-1]
        per_render = (last - first) / max(len(sizes) - 1, 1)
        print(
            f"before the first render {start:.1f} MB; after 1 render {first:.1f} MB; after "
            f"{len(sizes)} renders {last:.1f} MB ({per_render:+.1f} MB a render after the first)"
        )


if __name__ == "__main__":
    main()
