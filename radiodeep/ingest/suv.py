"""PET to SUVbw (body-weight standardised uptake value) from DICOM headers.

``SUVbw = activity concentration [Bq/ml] * weight [g] / decay-corrected injected dose [Bq]``.
Units ``GML`` (g/ml) are SUVbw already. For ``BQML`` the dose is decayed from the injection
time to the decay-correction reference time: the series start (DecayCorrection ``START``) or
none when the image is corrected to the administration time (``ADMIN``).

Example:
    >>> factor, units = suv_factor(pydicom.dcmread("pet.dcm"))  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pydicom

from radiodeep.errors import CaseError


def _time(date: str, time: str) -> datetime:
    time = time.split(".")[0].ljust(6, "0")
    return datetime.strptime(date + time, "%Y%m%d%H%M%S")


def _need(ds, keyword: str, case_id, path, where: str = ""):
    value = ds.get(keyword)
    if value in (None, ""):
        raise CaseError(case_id, path, f"SUVbw needs {keyword}{where}, which is missing or empty")
    return value


def suv_factor(ds: pydicom.Dataset, case_id: str | None = None, path: str | Path | None = None) -> tuple[float, str]:
    """Multiplier from stored (rescaled) values to SUVbw, and the output units (``SUVbw``)."""
    units = str(_need(ds, "Units", case_id, path)).upper()
    if units == "GML":
        return 1.0, "SUVbw"
    if units != "BQML":
        raise CaseError(case_id, path, f"PET Units {units!r} cannot be converted to SUVbw (GML or BQML needed)")
    weight_kg = float(_need(ds, "PatientWeight", case_id, path))
    seq = _need(ds, "RadiopharmaceuticalInformationSequence", case_id, path)[0]
    where = " (in RadiopharmaceuticalInformationSequence)"
    dose = float(_need(seq, "RadionuclideTotalDose", case_id, path, where))
    half_life = float(_need(seq, "RadionuclideHalfLife", case_id, path, where))
    correction = str(_need(ds, "DecayCorrection", case_id, path)).upper()
    if correction == "ADMIN":
        decayed = dose
    elif correction == "START":
        if seq.get("RadiopharmaceuticalStartDateTime"):
            start = _time(str(seq.RadiopharmaceuticalStartDateTime)[:8], str(seq.RadiopharmaceuticalStartDateTime)[8:])
        else:
            start = _time(str(_need(ds, "SeriesDate", case_id, path)), str(_need(seq, "RadiopharmaceuticalStartTime", case_id, path, where)))
        reference = _time(str(_need(ds, "SeriesDate", case_id, path)), str(_need(ds, "SeriesTime", case_id, path)))
        elapsed = (reference - start).total_seconds()
        if elapsed < 0:
            raise CaseError(case_id, path, f"series starts {-elapsed:.0f} s before the injection (SeriesTime, RadiopharmaceuticalStartTime)")
        decayed = dose * 2.0 ** (-elapsed / half_life)
    else:
        raise CaseError(case_id, path, f"DecayCorrection {correction!r} not supported for SUVbw (START or ADMIN needed)")
    if weight_kg <= 0 or decayed <= 0:
        raise CaseError(case_id, path, "PatientWeight and RadionuclideTotalDose must be positive for SUVbw")
    return weight_kg * 1000.0 / decayed, "SUVbw"
