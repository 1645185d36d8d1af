from django.core.checks import Warning, register


@register()
def pdf_font_subsetting(app_configs, **kwargs):
    """WeasyPrint subsets fonts with HarfBuzz when libharfbuzz-subset is installed; without
    it, it falls back to fontTools, which spends 10 s or more on the Noto CJK collection
    for every PDF (measured: 1.2 s against 9.8-15 s for the reference report)."""
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        return [
            Warning(
                "libharfbuzz-subset is not installed: PDF reports will be several times slower.",
                hint="Install the Debian package libharfbuzz-subset0 (make run does).",
                id="standards.W001",
            )
        ]
    return []
