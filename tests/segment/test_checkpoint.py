import pytest
import torch

from radiodeep.errors import RadiodeepError
from radiodeep.segment.checkpoint import build_network, load_checkpoint, save_checkpoint

ARCH = {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2, "channels": [4, 8], "strides": [2]}


def test_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = build_network(ARCH).eval()
    save_checkpoint(net, {"architecture": ARCH, "spacing": [4, 4, 4]}, tmp_path / "model.pt")
    loaded, meta = load_checkpoint(tmp_path / "model.pt")
    x = torch.randn(1, 1, 16, 16, 16)
    with torch.no_grad():
        assert torch.equal(net(x), loaded(x))
    assert meta["spacing"] == [4, 4, 4]


def test_corrupt_or_mismatched_checkpoint_errors(tmp_path):
    net = build_network(ARCH)
    save_checkpoint(net, {"architecture": ARCH}, tmp_path / "model.pt")
    (tmp_path / "model.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RadiodeepError, match=r"checkpoint .*model.pt cannot be read"):
        load_checkpoint(tmp_path / "model.pt")
    other = dict(ARCH, channels=[8, 16])
    save_checkpoint(build_network(other), {"architecture": ARCH}, tmp_path / "model.pt")
    with pytest.raises(RadiodeepError, match="does not match the architecture"):
        load_checkpoint(tmp_path / "model.pt")
    with pytest.raises(RadiodeepError, match="not found"):
        load_checkpoint(tmp_path / "nothing.pt")
