"""The limits package is plain Python: importing it loads no Django module."""

import subprocess
import sys
from pathlib import Path


def test_importing_limits_loads_no_django():
    code = (
        "import sys; import limits.units, limits.notation, limits.compare; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={},
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.stdout.strip() == ""


def test_shared_constants_are_defined_once():
    from limits import notation, units

    assert notation.CANONICAL_EXAMPLES is units.CANONICAL_EXAMPLES
    assert notation.SUPERSCRIPT_DIGITS is units.SUPERSCRIPT_DIGITS
