"""The DCGAN on small grayscale images: digits, a folder of PNGs, round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from backends.gan import engine
from backends.gan.image_networks import ImageGenerator
from backends.gan.image_result import decode, encode
from backends.gan.images import grid_levels
from backends.gan.pngs import read_folder, read_png, write_png
from backends.graph.model import Graph, Node
from backends.runtime import ColumnTable, EngineError

STEPS = 300  # about 20 s on one CPU thread (batches of 128)
TINY = {"steps": 40, "batch_size": 64, "quality_every": 20, "quality_rows": 200, "patience": 0}


def _image_graph(image: dict) -> Graph:
    graph = Graph()
    graph.add_node(
        Node(
            name="digits",
            kind="generator",
            options={"image": image, "hidden": [32], "latent_size": 8},
        )
    )
    return graph


@pytest.fixture(scope="module")
def digits_fit():
    return engine.run(
        _image_graph({"source": "digits"}), ColumnTable({}, {}), TINY, device="cpu", seed=0
    )


def test_digits_gan_samples_images_and_reports_class_mix(digits_fit):
    images = digits_fit.sample_images(6, seed=1)
    assert images.shape == (6, 8, 8) and images.min() >= 0.0 and images.max() <= 1.0
    quality = digits_fit.summary()["quality"]
    assert len(quality["class_distribution"]) == 10
    assert sum(quality["class_distribution"]) == pytest.approx(1.0)
    assert quality["real_class_distribution"][0] == pytest.approx(0.1, abs=0.05)
    assert 0.0 <= quality["class_tv"] <= 1.0 and 0.5 <= quality["c2st_auc"] <= 1.0
    table = digits_fit.sample(3, seed=1)
    assert len(table) == 64 and np.allclose(table["px_0_1"], images[:3, 0, 1])


def test_short_digits_run_beats_an_untrained_generator():
    """A few hundred steps with the image settings: varied digits, a closer class mix.
    (Both AUCs are still 1.0 at 300 steps, so the AUC may only not get worse; it
    falls below 1 after about 600 steps, too long for a unit test.)"""
    graph = Graph()
    graph.add_node(Node(name="digits", kind="generator", options={"image": {"source": "digits"}}))
    short = {**engine.IMAGE_SETTINGS, "quality_rows": 300}

    def quality(steps: int) -> dict:
        settings = {**short, "steps": steps, "quality_every": steps}
        result = engine.run(graph, ColumnTable({}, {}), settings, device="cpu", seed=0)
        return result.summary()["quality"]

    untrained, trained = quality(1), quality(STEPS)
    assert trained["c2st_auc"] <= untrained["c2st_auc"]
    assert sum(share >= 0.02 for share in trained["class_distribution"]) >= 5
    assert trained["class_tv"] < untrained["class_tv"]


def test_grid_valued_pixels_are_generated_on_the_grid(digits_fit):
    images = digits_fit.sample_images(20, seed=2) * 16
    np.testing.assert_allclose(images, np.rint(images), atol=1e-9)
    assert grid_levels(np.arange(17) / 16) == 17 and grid_levels(np.linspace(0, 1, 300)) == 0


def test_generator_puts_pixels_on_the_grey_levels_and_passes_gradients():
    """The critic must see generated pixels on the levels real ones are trained at, and
    the rounding must not stop the generator's gradients."""
    torch.manual_seed(0)
    gen = ImageGenerator(latent=8, size=8, base=32, levels=17)
    x = gen(torch.randn(16, 8))
    pixels = x.detach().numpy()
    centres = encode(np.arange(17) / 16, 17)
    assert np.abs(pixels[..., None] - centres).min(-1).max() < 1e-6
    np.testing.assert_allclose(encode(decode(pixels, 17), 17), pixels, atol=1e-6)
    x.sum().backward()
    assert gen.fc[0].weight.grad.abs().sum() > 0


def test_digits_result_round_trips(digits_fit):
    state = digits_fit.to_state()
    state.meta = json.loads(json.dumps(state.meta))
    loaded = engine.load_result(state)
    np.testing.assert_array_equal(
        loaded.sample_images(5, seed=3), digits_fit.sample_images(5, seed=3)
    )
    X = digits_fit.sample_images(4, seed=0).reshape(4, -1)
    np.testing.assert_array_equal(loaded.predict(X)[0], digits_fit.predict(X)[0])
    walk = loaded.interpolate(1, 2, steps=4)
    assert walk["images"].shape == (4, 8, 8)
    z = loaded.latents(6, seed=0)
    assert loaded.latent_arithmetic(z[:2], z[2:4], z[4:]).shape == (8, 8)


def test_png_folder_is_read_and_resized(tmp_path):
    rng = np.random.default_rng(0)
    originals = rng.random((70, 20, 20))
    for i, image in enumerate(originals):
        write_png(tmp_path / f"im{i:03d}.png", image)
    np.testing.assert_allclose(read_png(tmp_path / "im000.png"), originals[0], atol=1 / 255)
    assert read_folder(str(tmp_path)).shape == (70, 20, 20)
    result = engine.run(
        _image_graph({"source": "folder", "path": str(tmp_path), "size": 16}),
        ColumnTable({}, {}),
        {**TINY, "steps": 2, "batch_size": 32},
        device="cpu",
        seed=0,
    )
    assert result.sample_images(2).shape == (2, 16, 16)


def test_bad_image_folder_is_named(tmp_path):
    (tmp_path / "note.png").write_bytes(b"hello")
    with pytest.raises(EngineError, match="note.png is not a PNG file"):
        read_folder(str(tmp_path))
    with pytest.raises(EngineError, match="does not exist"):
        read_folder(str(tmp_path / "missing"))
