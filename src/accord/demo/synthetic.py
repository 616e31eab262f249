"""Synthetic stand-ins for the real datasets' files: same folder layouts, toy scale, and not a
single face or real recording — frames are noise and geometric patterns, EMG is simulated.

Everything is generated from fixed seeds, so regenerating gives byte-identical files and a
re-run of the demo loader finds nothing changed.
"""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw

EMG_CHANNELS = [
    "frontalis",
    "corrugator_supercilii",
    "orbicularis_oculi",
    "levator_labii_superioris",
    "zygomaticus_major",
    "orbicularis_oris",
    "depressor_anguli_oris",
]
EMG_RATE_HZ = 1000

SMIC_EMOTIONS = {"negative": "ne", "positive": "po", "surprise": "sur"}


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def pattern_frame(rng: random.Random, size: int, step: int) -> Image.Image:
    """A frame of coloured noise with a drifting circle: motion to look at, no face."""
    noise = bytes(rng.getrandbits(8) for _ in range(size * size))
    img = Image.frombytes("L", (size, size), noise).convert("RGB")
    draw = ImageDraw.Draw(img)
    cx = size // 2 + int(size / 4 * math.sin(step / 3))
    cy = size // 2 + int(size / 5 * math.cos(step / 4))
    r = size // 6
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(40, 90 + 10 * step % 160, 200))
    return img


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def smic_tree(
    root: Path,
    *,
    subsets: list[str],
    subjects: list[int],
    clips_per_emotion: int,
    frames: int,
    seed: int,
) -> None:
    """SMIC layout: <subset>/s<N>/micro/<emotion>/s<N>_<em>_<k>/image<frame>.png plus an
    annotation sheet per subset (Subject, Filename, OnsetF, OffsetF, Emotion)."""
    rng = random.Random(seed)
    for subset in subsets:
        rows = []
        for subject in subjects:
            for emotion, short in SMIC_EMOTIONS.items():
                for k in range(1, clips_per_emotion + 1):
                    clip = f"s{subject}_{short}_{k:02d}"
                    folder = root / subset / f"s{subject}" / "micro" / emotion / clip
                    first = 100 + rng.randrange(400)
                    for i in range(frames):
                        _write_if_changed(
                            folder / f"image{first + i:06d}.png", _png(pattern_frame(rng, 32, i))
                        )
                    onset = first + 1
                    rows.append([f"{subject:02d}", clip, onset, first + frames - 1, emotion])
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["Subject", "Filename", "OnsetF", "OffsetF", "Emotion"])
        writer.writerows(rows)
        _write_if_changed(root / subset / f"{subset}_annotations.csv", buf.getvalue().encode())


def simulated_emg(
    rng: random.Random, seconds: float, onset_s: float, apex_s: float, offset_s: float
) -> list[list[float]]:
    """7-channel surface EMG at 1000 Hz: baseline noise plus a burst between onset and offset
    peaking at apex, stronger on the channels a micro-expression would recruit."""
    n = int(seconds * EMG_RATE_HZ)
    gains = [rng.uniform(0.2, 1.0) for _ in EMG_CHANNELS]
    rows = []
    for i in range(n):
        t = i / EMG_RATE_HZ
        if onset_s <= t <= offset_s:
            envelope = (
                (t - onset_s) / max(apex_s - onset_s, 1e-3)
                if t <= apex_s
                else (offset_s - t) / max(offset_s - apex_s, 1e-3)
            )
        else:
            envelope = 0.0
        rows.append(
            [
                round(rng.gauss(0, 4.0) + envelope * g * 60 * math.sin(2 * math.pi * 80 * t), 2)
                for g in gains
            ]
        )
    return rows


def _gif(rng: random.Random, frames: int) -> bytes:
    images = [pattern_frame(rng, 48, i).convert("P") for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return buf.getvalue()


def casmemg_tree(root: Path, *, subjects: list[int], clips: int, seconds: float, seed: int) -> None:
    """CASMEMG layout: video/sub<NN>/sub<NN>_clip<k>.gif, emg/sub<NN>/sub<NN>_clip<k>_emg.csv
    (time_s + 7 muscles, 1000 Hz) and an annotation sheet with video and EMG onset/apex/offset
    in seconds."""
    rng = random.Random(seed)
    rows = []
    for subject in subjects:
        for k in range(1, clips + 1):
            name = f"sub{subject:02d}_clip{k}"
            onset = round(rng.uniform(0.2, 0.6), 3)
            apex = round(onset + rng.uniform(0.08, 0.15), 3)
            offset = round(apex + rng.uniform(0.1, 0.25), 3)
            lag = round(rng.uniform(0.02, 0.06), 3)  # EMG leads the visible movement
            _write_if_changed(root / "video" / f"sub{subject:02d}" / f"{name}.gif", _gif(rng, 12))
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(["time_s", *EMG_CHANNELS])
            for i, row in enumerate(
                simulated_emg(rng, seconds, onset - lag, apex - lag, offset - lag)
            ):
                writer.writerow([f"{i / EMG_RATE_HZ:.3f}", *row])
            _write_if_changed(
                root / "emg" / f"sub{subject:02d}" / f"{name}_emg.csv", buf.getvalue().encode()
            )
            rows.append(
                [
                    f"{subject:02d}",
                    name,
                    onset,
                    apex,
                    offset,
                    round(onset - lag, 3),
                    round(apex - lag, 3),
                    round(offset - lag, 3),
                    rng.choice(["happiness", "disgust", "surprise", "sadness"]),
                ]
            )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "Subject",
            "Clip",
            "VideoOnset_s",
            "VideoApex_s",
            "VideoOffset_s",
            "EMGOnset_s",
            "EMGApex_s",
            "EMGOffset_s",
            "Emotion",
        ]
    )
    writer.writerows(rows)
    _write_if_changed(root / "CASMEMG_annotations.csv", buf.getvalue().encode())
    readme = (
        "Synthetic demo data generated by Accord. Frames are noise patterns and EMG is "
        "simulated; nothing here was recorded from a person.\n"
        f"EMG: {len(EMG_CHANNELS)} channels at {EMG_RATE_HZ} Hz: {', '.join(EMG_CHANNELS)}.\n"
    )
    _write_if_changed(root / "README.txt", readme.encode())
