"""Study configuration: command-line typing, short errors, and one source of truth for defaults
(the schema): config.yaml and README's settings tables must say what the schema says."""

from __future__ import annotations

import re

import pytest
import yaml

from radiodeep.config import check, coerce, load_schema, schema_defaults
from radiodeep.errors import RadiodeepError
from tests.conftest import REPO

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
DEFAULTS = schema_defaults(SCHEMA)


def test_command_line_strings_get_the_schema_types():
    # what snakemake's --config "preprocess={spacing: [1, 1, 2.5]}" "radiomics={batch_size: 5}" delivers
    cli = {"preprocess": {"spacing": ["1", "1", "2.5"]}, "radiomics": {"batch_size": "5", "labels": "null"},
           "segment": {"patch_size": "auto", "tta": "true"}, "modality": "MR"}
    out = coerce(cli, SCHEMA)
    assert out["preprocess"]["spacing"] == [1, 1, 2.5] and out["radiomics"]["batch_size"] == 5
    assert out["radiomics"]["labels"] is None and out["segment"] == {"patch_size": "auto", "tta": True}
    assert out["modality"] == "MR"
    check({**out}, SCHEMA)  # valid now
    with pytest.raises(RadiodeepError, match="'segment.tta': 'true' is not of type 'boolean'"):
        check(cli, SCHEMA)


def test_a_typo_is_one_line_with_the_suggestion_not_the_schema():
    with pytest.raises(RadiodeepError) as err:
        check({"preprocess": {"spacng": [1, 1, 1]}, "radiomcs": {}}, SCHEMA)
    text = str(err.value)
    assert "did you mean 'spacing'" in text and "did you mean 'radiomics'" in text
    assert len(text.splitlines()) == 3 and len(text) < 1200


def test_config_yaml_says_what_the_schema_says():
    def leaves(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict) and v and f"{prefix}{k}" not in DEFAULTS:
                yield from leaves(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", v

    study = dict(leaves(yaml.safe_load((REPO / "config.yaml").read_text())))
    differ = {k: (v, DEFAULTS.get(k, "<no default>")) for k, v in study.items() if DEFAULTS.get(k, object()) != v}
    assert not differ, f"config.yaml and the schema disagree: {differ}"


def _readme_settings():
    for line in (REPO / "README.md").read_text().splitlines():
        m = re.match(r"^\| ((?:`[\w.]+`(?:, )?)+) \| (.+?) \| ", line)
        if m and "." in m.group(1) or m and m.group(1).strip("`") in DEFAULTS:
            keys = re.findall(r"`([\w.]+)`", m.group(1))
            values = [v.strip() for v in re.split(r",\s(?![^\[]*\])", m.group(2))]
            yield from zip(keys, values, strict=False)


def test_readme_settings_tables_say_what_the_schema_says():
    checked, wrong = 0, {}
    for key, cell in _readme_settings():
        if key not in DEFAULTS or not re.fullmatch(r"`[^`]*`|[-\d.]+", cell):
            continue  # prose such as "modality's" or "see Deep features"
        value = yaml.safe_load(cell.strip("`"))
        checked += 1
        if value != DEFAULTS[key]:
            wrong[key] = (cell, DEFAULTS[key])
    assert checked >= 25 and not wrong, f"README defaults differ from the schema ({checked} checked): {wrong}"
