"""R-syntactic column names, as R's ``make.names(names, unique = TRUE)`` makes them.

pyradiomics' names such as ``log-sigma-1-0-mm-3D_glcm_Contrast`` are not syntactic in R, so
``read.csv`` renames them (``log.sigma.1.0.mm.3D_glcm_Contrast``) without a word. The data
dictionary's ``r_name`` column gives that name for every column, so an R user can map one to
the other; ``readr::read_csv`` keeps the original names (use them with backticks).

Example:
    >>> r_names(["case_id", "log-sigma-1-0-mm-3D_glcm_Contrast", "1st", "if", "a", "a"])
    ['case_id', 'log.sigma.1.0.mm.3D_glcm_Contrast', 'X1st', 'if.', 'a', 'a.1']
"""

from __future__ import annotations

from collections.abc import Sequence

# R's reserved words (?Reserved): make.names appends a dot to them
R_RESERVED = frozenset({
    "if", "else", "repeat", "while", "function", "for", "next", "break", "in", "TRUE", "FALSE", "NULL",
    "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_",
})


def r_make_name(name: str) -> str:
    """``make.names(name)`` for one name: invalid characters become ``.``, an ``X`` is put in
    front of a name that does not start with a letter (or a dot not followed by a digit), and a
    reserved word gets a trailing dot. Letters and digits are Unicode ones (R in a UTF-8 locale)."""
    need_x = not name or not (name[0].isalpha() or name[0] == ".") or (name[0] == "." and name[1:2].isdigit())
    out = ("X" if need_x else "") + "".join(c if c.isalnum() or c in "._" else "." for c in name)
    return out + "." if out in R_RESERVED else out


def r_make_unique(names: Sequence[str]) -> list[str]:
    """``make.unique(names)``: the second and later copies of a name get ``.1``, ``.2``, ...,
    skipping names already taken."""
    taken, seen, counter, out = set(names), set(), {}, []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        n = counter.get(name, 1)
        while f"{name}.{n}" in taken:
            n += 1
        out.append(f"{name}.{n}")
        taken.add(out[-1])
        counter[name] = n + 1
    return out


def r_names(names: Sequence[str]) -> list[str]:
    """``make.names(names, unique = TRUE)``: what ``read.csv`` calls the columns ``names``."""
    return r_make_unique([r_make_name(str(n)) for n in names])
