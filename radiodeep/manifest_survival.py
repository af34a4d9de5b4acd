"""Time-to-event columns of a manifest: check and convert them, with problems naming row and column.

An endpoint is a pair of manifest columns: a time (a number > 0, in any unit: the study's
``survival.horizons`` use the same one) and an event indicator (1 = the event was observed at
that time, 0 = censored then). A row with both cells empty is not modelled for that endpoint;
anything else that is not a positive number and a 0/1 is a problem.

Example:
    >>> df = pd.DataFrame({"case_id": ["a", "b"], "os_days": ["120", "-3"], "death": ["1", "2"]})
    >>> for p in survival_problems(df, [("os_days", "death")], lambda i, c: f"row {i + 1}, column {c}"):
    ...     print(p)
    row 2, column os_days: time -3 must be > 0
    row 2, column death: event '2' must be 0 (censored) or 1 (event)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

_EVENT = {"1": 1, "1.0": 1, "0": 0, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}


def _empty(value) -> bool:
    return pd.isna(value) or str(value).strip().lower() in ("", "nan")


def survival_problems(df: pd.DataFrame, endpoints: Iterable[tuple[str, str]], where: Callable[[int, str], str]) -> list[str]:
    """Check each (time, event) column pair of ``df`` and convert them in place (time float,
    event Int64, empty cells as missing); return one problem line per bad cell.

    Args:
        df: the manifest, read as text.
        endpoints: (time column, event column) pairs.
        where: (row index, column) -> the row's description used to start each problem.
    """
    problems: list[str] = []
    for time_col, event_col in endpoints:
        absent = [c for c in (time_col, event_col) if c not in df.columns]
        if absent:
            problems.append(f"missing time-to-event column(s) {', '.join(absent)}; columns present: {', '.join(map(str, df.columns))}")
            continue
        times, events = [], []
        for i in df.index:
            t, e = df.at[i, time_col], df.at[i, event_col]
            if _empty(t) and _empty(e):
                times.append(float("nan"))
                events.append(None)
                continue
            times.append(_time(t, time_col, where(i, time_col), problems))
            events.append(_event(e, where(i, event_col), problems))
        df[time_col] = pd.array(times, dtype="float64")
        df[event_col] = pd.array(events, dtype="Int64")
    return problems


def _time(value, column: str, at: str, problems: list[str]) -> float:
    if _empty(value):
        problems.append(f"{at}: time is empty but the event is given; give both or neither")
        return float("nan")
    try:
        t = float(str(value).strip())
    except ValueError:
        problems.append(f"{at}: time {str(value)!r} is not a number (write the time in one unit, e.g. days, in column {column})")
        return float("nan")
    if not t > 0:  # also catches NaN and -inf
        problems.append(f"{at}: time {str(value).strip()} must be > 0")
        return float("nan")
    return t


def _event(value, at: str, problems: list[str]) -> int | None:
    if _empty(value):
        problems.append(f"{at}: event is empty but the time is given; give both or neither")
        return None
    code = _EVENT.get(str(value).strip().lower())
    if code is None:
        problems.append(f"{at}: event {str(value)!r} must be 0 (censored) or 1 (event)")
    return code
