import pytest
import torch

from radiodeep.embed.backbones import build_backbone, build_resnet, resnet_encoder, unet_encoder
from radiodeep.embed.extract import pool
from radiodeep.errors import RadiodeepError
from radiodeep.segment.checkpoint import load_checkpoint
from tests.embed.conftest import TINY_RESNET

torch.set_num_threads(1)


def _embed(backbone, x):
    with torch.no_grad():
        return torch.cat([pool(f, None, "global") for f in backbone.features(x).values()], dim=1)


def test_unet_encoder_levels_are_the_down_path_of_the_network(unet_checkpoint):
    net, _ = load_checkpoint(unet_checkpoint)
    seen = {}
    net.model[0].register_forward_hook(lambda m, i, o: seen.setdefault("enc1", o))
    net.model[1].submodule[1].submodule.register_forward_hook(lambda m, i, o: seen.setdefault("enc3", o))
    x = torch.randn(2, 1, 16, 16, 16)
    with torch.no_grad():
        net(x)
        feats = unet_encoder(net, x)
    assert list(feats) == ["enc1", "enc2", "enc3"]
    assert [f.shape[1] for f in feats.values()] == [4, 8, 16]
    assert feats["enc2"].shape[2:] == (4, 4, 4)
    assert torch.equal(feats["enc1"], seen["enc1"]) and torch.equal(feats["enc3"], seen["enc3"])


def test_unet_backbone_reads_spacing_and_intensity_from_the_checkpoint(unet_checkpoint):
    bb = build_backbone({"backbone": "unet-encoder", "checkpoint": str(unet_checkpoint), "levels": ["enc2", "enc3"]})
    assert bb.name == "unet" and bb.levels == ["enc2", "enc3"]
    assert bb.spacing == [4.0, 4.0, 4.0] and bb.intensity["scale"] == 0.1
    assert _embed(bb, torch.randn(1, 1, 16, 16, 16)).shape == (1, 24)


def test_fmcib_preset_is_resnet50_wide2_4096d(tmp_path):
    torch.manual_seed(0)
    bb = build_backbone({"backbone": "random", "preset": "fmcib"}, "CT", seed=1)
    assert bb.name == "random-fmcib" and bb.crop_mm == 50.0 and bb.spacing == 1.0
    assert bb.intensity == {"clip": [-1024.0, 3072.0], "shift": -1024.0, "scale": 1.0 / 4096.0}
    assert bb.network.conv1.stride == (2, 2, 2) and bb.network.fc is None
    assert sum(1 for m in bb.network.modules() if type(m).__name__ == "ResNetBottleneck") == 16  # 3+4+6+3
    assert bb.network.layer4[-1].conv3.out_channels == 4096


def test_resnet_weights_with_module_prefix_in_checkpoint_reproduce_the_saving_model(tmp_path):
    torch.manual_seed(7)
    saving = build_resnet(**TINY_RESNET).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so every tensor of the file matters
        for m in saving.modules():
            if isinstance(m, torch.nn.BatchNorm3d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "ckpt.pth"
    torch.save({"epoch": 12, "state_dict": {f"module.{k}": v for k, v in saving.state_dict().items()}}, path)
    bb = build_backbone({"backbone": "resnet", "weights": str(path), "resnet": TINY_RESNET, "levels": ["layer3", "layer4"]})
    x = torch.randn(2, 1, 24, 24, 24)
    with torch.no_grad():
        expected = torch.cat([pool(f, None, "global") for f in resnet_encoder(saving, x, ["layer3", "layer4"]).values()], 1)
    got = _embed(bb, x)
    assert got.shape == (2, 64 + 128)
    assert torch.equal(got, expected)
    assert bb.name == "resnet10" and len(bb.weights_sha256) == 64


def test_weights_for_another_architecture_name_the_mismatched_keys(tmp_path):
    path = tmp_path / "resnet18.pt"
    torch.save(build_resnet(18, 0.25).state_dict(), path)
    with pytest.raises(RadiodeepError) as err:
        build_backbone({"backbone": "resnet", "weights": str(path), "resnet": TINY_RESNET})
    msg = str(err.value)
    assert str(path) in msg and "unexpected keys" in msg and "layer1.1.conv1.weight" in msg
    torch.save(build_resnet(10, 0.5).state_dict(), path)  # same keys, other widths
    with pytest.raises(RadiodeepError, match=r"shape mismatches .*conv1.weight \(32, 1, 7, 7, 7\) vs \(16, 1, 7, 7, 7\)"):
        build_backbone({"backbone": "resnet", "weights": str(path), "resnet": TINY_RESNET})


def test_random_backbone_is_seeded_and_does_not_touch_the_global_rng():
    state = torch.random.get_rng_state()
    a = build_backbone({"backbone": "random", "resnet": TINY_RESNET}, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = build_backbone({"backbone": "random", "resnet": TINY_RESNET}, seed=5)
    c = build_backbone({"backbone": "random", "resnet": TINY_RESNET}, seed=6)
    w = [bb.network.conv1.weight for bb in (a, b, c)]
    assert torch.equal(w[0], w[1]) and not torch.equal(w[0], w[2])
    assert a.weights_sha256 == "random-seed-5" and a.name == "random-resnet10"


def test_missing_files_are_named(tmp_path):
    with pytest.raises(RadiodeepError, match=f"weights file {tmp_path / 'nope.pt'} not found"):
        build_backbone({"backbone": "resnet", "weights": str(tmp_path / "nope.pt")})
    with pytest.raises(RadiodeepError, match="set embed.weights"):
        build_backbone({"backbone": "resnet", "weights": None})
    with pytest.raises(RadiodeepError, match=f"U-Net checkpoint {tmp_path / 'model.pt'} not found"):
        build_backbone({"backbone": "unet-encoder", "checkpoint": str(tmp_path / "model.pt")})
