"""``radiodeep survival`` on a bring-your-own table: bad time/event values are named, no traceback."""

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from radiodeep.cli import app


def test_bad_time_and_event_cells_are_named_by_row_and_column(tmp_path):
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"ID": [f"c{i}" for i in range(6)], "months": [3.0, -1.0, 7.0, 0.0, 5.0, 2.0],
                          "relapse": [1, 0, 3, 1, 0, 1], "original_firstorder_Mean": rng.normal(size=6)})
    table.to_csv(tmp_path / "t.csv", index=False)
    args = ["survival", str(tmp_path / "t.csv"), "--time", "months", "--event", "relapse", "--id", "ID", "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
    assert f"{tmp_path / 't.csv'}: row 2 (line 3), column months: time -1.0 must be > 0" in result.output
    assert "row 4 (line 5), column months: time 0.0 must be > 0" in result.output
    assert "row 3 (line 4), column relapse: event '3' must be 0 (censored) or 1 (event)" in result.output
    text = table.astype({"months": object})
    text.loc[0, "months"] = "3 mo"
    text.to_csv(tmp_path / "t.csv", index=False)
    result = CliRunner().invoke(app, args)
    assert "row 1 (line 2), column months: time '3 mo' is not a number" in result.output
