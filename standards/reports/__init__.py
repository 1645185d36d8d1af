"""Gap reports, from selection to file. Views call these modules; none imports a view.

- `selection`: the report form, the validated Selection and the mappings it selects;
- `fingerprint`: the data version (cache key) and the SHA-256 fingerprint;
- `content`: what the HTML and PDF show, and the rows of the spreadsheets;
- `render`: PDF from its template, CSV and XLSX; `produce`;
- `render_process`: the render child that draws every PDF, one at a time;
- `pdf`: WeasyPrint inside that child (fonts, the static-only fetcher);
- `files`: the report-file cache, the worker queue and serving a download;
- `tasks`: the worker's task (`standards.tasks` keeps the old import path).
"""
