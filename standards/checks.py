from django.core.checks import Error, Warning, register


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


@register()
def xlsx_xml_defused(app_configs, **kwargs):
    """openpyxl parses an uploaded workbook's XML with defusedxml when it is installed
    (and OPENPYXL_DEFUSEDXML is not "False"), which refuses entity declarations; without
    it, nested entities ("billion laughs") in an upload are expanded in memory."""
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        return [
            Error(
                "openpyxl does not use defusedxml: XML entities in an uploaded XLSX "
                "would be expanded.",
                hint="Install defusedxml (requirements.txt) and leave OPENPYXL_DEFUSEDXML unset.",
                id="standards.E001",
            )
        ]
    return []
