"""Segmentation throughput: training steps/s, seconds per volume for inference, and the ratio of
radiodeep's inference path to a bare ``monai.inferers.sliding_window_inference`` call on the same
network and volume (target <= 1.1). On a CUDA GPU, also an nnU-Net-sized DynUNet (filters 32..320,
six stages) over a 512x512x300 volume with 128^3 windows and 0.5 overlap, against a bf16 matmul.

    PYTHONPATH=. python bench/segmentation_throughput.py [--threads 2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import SimpleITK as sitk
import torch


def _once(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t


def timed(fn, repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up."""
    fn()
    return statistics.median(_once(fn) for _ in range(repeats))


def paired(baseline, candidate, repeats: int) -> tuple[float, float, float]:
    """Median seconds of each, alternating calls (a shared machine's load hits both alike), and the median ratio."""
    baseline(), candidate()
    pairs = [(_once(baseline), _once(candidate)) for _ in range(repeats)]
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs),
            statistics.median(p[1] / p[0] for p in pairs))


def synthetic_case(shape=(56, 52, 60), seed=0):
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.indices(shape)
    c = np.array(shape) // 2
    mask = (((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2) <= 81).astype(np.uint8)
    suv = rng.gamma(2.0, 0.5, shape).astype(np.float32) + 6 * mask
    return suv, mask


def cpu_part(repeats: int, steps: int) -> None:
    from monai.inferers import sliding_window_inference

    from radiodeep.segment.data import Case, intensity_for, normalise
    from radiodeep.segment.infer import segment_image
    from radiodeep.segment.stage import STAGE_DEFAULTS
    from radiodeep.segment.train import DEFAULT_TRAINING, train_network

    settings = {**DEFAULT_TRAINING, **STAGE_DEFAULTS, "steps": steps, "val_every": steps + 1}
    intensity = intensity_for("PET")
    cases = []
    for i in range(4):
        suv, mask = synthetic_case(seed=i)
        cases.append(Case(f"c{i}", f"p{i}", normalise(suv, intensity), mask, suv, (4.0, 4.0, 4.0)))
    net, info = train_network(cases, [], settings, seed=0, device="cpu")
    print(f"training: {info['steps']} steps of {settings['batch_size']}x{settings['samples_per_volume']} "
          f"crops {settings['patch_size']} in {info['seconds']:.1f} s = {info['steps'] / info['seconds']:.2f} steps/s")

    suv, _ = synthetic_case(seed=9)
    image = sitk.GetImageFromArray(suv)
    image.SetSpacing((4.0, 4.0, 4.0))
    meta = {"spacing": [4.0, 4.0, 4.0], "patch_size": settings["patch_size"], "intensity": intensity,
            "modality": "PET", "inference": {"tta": False, "overlap": 0.25, "sw_batch_size": 4}}
    x = torch.from_numpy(normalise(suv, intensity))[None, None]

    def bare():
        with torch.inference_mode():
            logits = sliding_window_inference(x, settings["patch_size"], 4, net, overlap=0.25, mode="gaussian")
        return logits.argmax(1)[0].numpy()

    def ours():
        return sitk.GetArrayFromImage(segment_image(net, meta, image, "cpu", postprocessing={"largest_component": False, "fill_holes": False}))

    t_bare, t_ours, ratio = paired(bare, ours, repeats)
    agree = 2 * (bare() & ours()).sum() / max(1, bare().sum() + ours().sum())
    print(f"inference on {tuple(suv.shape)} voxels: bare sliding_window_inference {t_bare:.3f} s/volume, "
          f"radiodeep segment_image {t_ours:.3f} s/volume, ratio {ratio:.3f} (target <= 1.1), mask Dice {agree:.4f}")


def cuda_part(repeats: int, dev: str = "cuda", shape=(300, 512, 512), window: int = 128, n: int = 8192) -> None:
    """The nnU-Net-sized figures; ``--smoke`` runs the same code on CPU at toy sizes (a check of the
    script itself, not a figure)."""
    from monai.inferers import sliding_window_inference
    from monai.networks.nets import DynUNet
    from torch.utils.flop_counter import FlopCounterMode

    from radiodeep.segment.infer import predict_probability

    a, b = torch.randn(n, n, device=dev, dtype=torch.bfloat16), torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    t_mm = timed(lambda: a @ b, repeats)
    peak = 2 * n**3 / t_mm / 1e12
    net = DynUNet(3, 1, 2, kernel_size=[3] * 6, strides=[1, 2, 2, 2, 2, 2], upsample_kernel_size=[2] * 5,
                  filters=[32, 64, 128, 256, 320, 320]).to(dev).eval()
    vol = torch.randn(1, 1, *shape, device=dev)
    vol_np = vol[0, 0].cpu().numpy()
    roi = [window] * 3
    with FlopCounterMode(display=False) as fc, torch.inference_mode():
        net(torch.randn(1, 1, *roi, device=dev))
    flops_window = fc.get_total_flops()
    n_windows = int(np.prod([int(np.ceil((s - r) / (r * 0.5))) + 1 for s, r in zip(vol.shape[2:], roi, strict=True)]))

    def bare(batch: int = 1, mode: str = "constant"):
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev == "cuda"):
            return sliding_window_inference(vol, roi, batch, net, overlap=0.5, mode=mode).argmax(1)

    def ours(channels_last: bool | None = None):
        p = predict_probability(net, vol_np, roi, dev, overlap=0.5, sw_batch_size=16,
                                channels_last=channels_last)
        return torch.from_numpy(p >= 0.5).to(dev)

    variants = {  # the first is the baseline of the issue: MONAI's defaults, bf16 autocast
        "bare sliding_window_inference (defaults, bf16, batch 1)": bare,
        "bare sliding_window_inference (gaussian, bf16, batch 16)": lambda: bare(16, "gaussian"),
        "radiodeep predict_probability (bf16, batch 16, NCDHW)": lambda: ours(False),
        "radiodeep predict_probability (bf16, batch 16, channels-last 3D, cudnn autotune)": ours,
    }
    for name, fn in variants.items():
        t = timed(fn, repeats)
        tflops = flops_window * n_windows / t / 1e12
        print(f"{dev} DynUNet 32..320 on {'x'.join(map(str, shape[::-1]))}, {window}^3, overlap 0.5, {n_windows} windows: {name}: {t:.3f} s/volume, "
              f"{tflops:.1f} TFLOP/s = {100 * tflops / peak:.1f}% of bf16 matmul {peak:.0f} TFLOP/s", flush=True)
    mo = ours()
    for name, mb in (("defaults", bare()[0].bool()), ("gaussian blending", bare(16, "gaussian")[0].bool())):
        dice = float(2 * (mb & mo).sum() / max(1, int(mb.sum() + mo.sum())))
        print(f"{dev} mask agreement (Dice) radiodeep vs bare call ({name}): {dice:.4f} (target >= 0.999)")
    print("target time <= 0.8 s on an H200")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--smoke", action="store_true", help="run the CUDA part's code on CPU at toy sizes (checks the script)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.smoke:
        cuda_part(1, "cpu", shape=(72, 96, 96), window=64, n=256)
        return
    cpu_part(args.repeats, args.steps)
    if torch.cuda.is_available():
        cuda_part(args.repeats)
    else:
        print("CUDA part skipped: torch.cuda.is_available() is False")


if __name__ == "__main__":
    main()
