"""Tiling feature maps and GAN samples into one mosaic."""

from __future__ import annotations

import numpy as np
import pytest

from builder.introspect.tiling import grid_size, tile_channels, tile_samples


@pytest.mark.parametrize(
    ("count", "grid"),
    [(1, (1, 1)), (2, (1, 2)), (5, (2, 3)), (16, (4, 4)), (17, (4, 5)), (64, (8, 8))],
)
def test_near_square_grid(count, grid):
    assert grid_size(count) == grid


def test_channels_tile_with_one_pixel_gaps_and_each_tile_scaled_alone():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(5, 4, 6)).astype(np.float32)
    maps[1] *= 1000  # a loud channel must not drown the others
    maps[3] = 7.0  # a constant channel
    mosaic = tile_channels(maps, fill=0.5)
    assert mosaic.shape == (2 * 4 + 1, 3 * 6 + 2)
    assert mosaic.dtype == np.float32
    for i in range(5):
        r, c = divmod(i, 3)
        tile = mosaic[r * 5 : r * 5 + 4, c * 7 : c * 7 + 6]
        if i == 3:
            assert np.all(tile == 0)
        else:
            assert tile.min() == 0.0 and tile.max() == 1.0
            expected = (maps[i] - maps[i].min()) / (maps[i].max() - maps[i].min())
            np.testing.assert_allclose(tile, expected, rtol=1e-5, atol=1e-6)
    assert np.all(mosaic[4, :] == 0.5) and np.all(mosaic[:, 6] == 0.5)  # gaps
    assert np.all(mosaic[5:, 14:] == 0.5)  # the empty sixth cell


def test_global_scaling_keeps_channels_comparable():
    maps = np.stack([np.zeros((2, 2)), np.ones((2, 2)), 2 * np.ones((2, 2))])
    mosaic = tile_channels(maps, normalize="global", gap=0, columns=3)
    np.testing.assert_allclose(mosaic[0, [0, 2, 4]], [0.0, 0.5, 1.0])


def test_single_map_and_vector_become_one_tile():
    assert tile_channels(np.arange(6.0).reshape(2, 3)).shape == (2, 3)
    assert tile_channels(np.arange(6.0)).shape == (1, 6)
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        tile_channels(np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="normalize"):
        tile_channels(np.zeros((2, 2, 2)), normalize="bogus")


def test_gray_samples_map_minus_one_to_one_onto_zero_to_one():
    samples = np.full((64, 1, 8, 8), -1.0, np.float32)
    samples[0] = 1.0
    samples[1] = 3.0  # clipped
    mosaic = tile_samples(samples)
    assert mosaic.shape == (8 * 8 + 7, 8 * 8 + 7)
    assert np.all(mosaic[:8, :8] == 1.0) and np.all(mosaic[:8, 9:17] == 1.0)
    assert np.all(mosaic[:8, 18:26] == 0.0)


def test_rgb_samples_give_an_rgb_mosaic():
    samples = np.zeros((3, 3, 4, 4), np.float32)
    samples[:, 0] = 1.0  # red
    mosaic = tile_samples(samples, fill=0.0)
    assert mosaic.shape == (2 * 4 + 1, 2 * 4 + 1, 3)
    np.testing.assert_allclose(mosaic[0, 0], [1.0, 0.5, 0.5])
    assert tile_samples(np.zeros((2, 8, 8))).shape == (8, 17)  # [N, H, W] is gray


def test_samples_that_are_not_images_are_refused_clearly():
    with pytest.raises(ValueError, match="2 channels"):
        tile_samples(np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        tile_samples(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="no images"):
        tile_samples(np.zeros((0, 1, 3, 3)))
