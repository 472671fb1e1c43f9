"""``examples/long_cifar10_factored.py`` on a few synthetic images (the real run takes most of an hour)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from skscatter import WhitenedPatchKNNEncoder


@pytest.fixture
def example(load_example):
    return load_example("long_cifar10_factored")


def synthetic_cifar(n, seed=0):
    """``n`` 32 x 32 x 3 uint8 images of 2 classes, the second brighter on its left half."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    images = rng.integers(0, 128, size=(n, 32, 32, 3), dtype=np.uint8)
    images[y == 1, :, :16] += 100
    return images, y


def test_parser_defaults(example):
    args = example.make_parser().parse_args([])
    assert (args.pool_size, args.pool_stride, args.bottleneck, args.lr) == (7, 4, 64, 3e-3)
    assert args.epochs == 20 and args.alpha == 0.0 and args.n_train == 50000 and args.sqrt is True and not args.select
    assert args.code_dir is None and args.lrs == [1e-3, 3e-3, 1e-2] and args.flips is False
    assert example.make_parser().parse_args(["--no-sqrt"]).sqrt is False
    assert args.kernel_size is None and args.kernel_sizes is None and args.max_shift == 0 and args.max_shifts is None
    parsed = example.make_parser().parse_args(["--kernel-size", "4", "--kernel-sizes", "map", "5"])
    assert parsed.kernel_size == 4 and parsed.kernel_sizes == [None, 5]
    with pytest.raises(SystemExit):
        example.make_parser().parse_args(["--kernel-size", "0"])


def test_default_pooling_gives_the_authors_6x6_map(example):
    X = synthetic_cifar(4)[0].astype(np.float32) / 255
    encoder = example.make_encoder(n_jobs=1)
    assert (encoder.n_patches, encoder.pooling, encoder.query_scale, encoder.negative) == (2048, "window", 5.0, True)
    encoder.fit(X)
    assert encoder.pooled_shape_ == (6, 6)
    assert example.make_encoder(5, 3, n_jobs=1).fit(X).pooled_shape_ == (9, 9)
    assert example.make_head((4096, 6, 6), kernel_size=4).kernel_size == 4
    assert example.make_head((4096, 6, 6), max_shift=1).max_shift == 1
    head = example.make_head((4096, 6, 6), n_components=64, alpha=1e-3)
    assert (head.n_components, head.kernel_size, head.batch_size, head.random_state) == (64, None, 128, 0)
    assert head.alpha == 1e-3 and head.map_shape == (4096, 6, 6)


def test_codes_are_written_in_float16_chunks_and_reopened_read_only(example, tmp_path):
    X = synthetic_cifar(7)[0].astype(np.float32) / 255
    encoder = WhitenedPatchKNNEncoder(patch_size=6, n_patches=16, pooling="window", pool_size=7, pool_stride=4,
                                      random_state=0, n_jobs=1).fit(X)
    expected = encoder.transform(X)
    # A chunk that does not divide the images, so the last write is partial.
    codes = example.encode_to_disk(encoder, X, tmp_path / "train.npy", chunk=3)
    assert isinstance(codes, np.memmap) and codes.dtype == np.float16 and not codes.flags.writeable
    assert codes.shape == expected.shape == (7, 32 * 6 * 6)
    np.testing.assert_allclose(codes.astype(np.float32), np.sqrt(expected), atol=1e-3)
    plain = example.encode_to_disk(encoder, X, tmp_path / "plain.npy", sqrt=False, chunk=3)
    np.testing.assert_allclose(plain.astype(np.float32), expected, atol=1e-3)
    # Averages of 0/1 codes below 1: the square root moves them.
    assert np.abs(plain.astype(np.float32) - codes.astype(np.float32)).max() > 0.05


def test_flips_average_each_image_with_its_mirror_image(example, tmp_path):
    X = synthetic_cifar(5)[0].astype(np.float32) / 255
    encoder = WhitenedPatchKNNEncoder(patch_size=6, n_patches=16, pooling="window", pool_size=7, pool_stride=4,
                                      random_state=0, n_jobs=1).fit(X)
    averaged = example.encode_to_disk(encoder, X, tmp_path / "f.npy", chunk=2, flips=True)
    expected = (np.sqrt(encoder.transform(X)) + np.sqrt(encoder.transform(X[:, :, ::-1]))) / 2
    np.testing.assert_allclose(averaged.astype(np.float32), expected, atol=1e-3)
    # Unlike the codes themselves, the average does not see a mirror.
    mirrored = example.encode_to_disk(encoder, X[:, :, ::-1], tmp_path / "m.npy", chunk=2, flips=True)
    np.testing.assert_array_equal(averaged, mirrored)
    assert np.abs(encoder.transform(X) - encoder.transform(X[:, :, ::-1])).max() > 0.1
    plain = example.encode_to_disk(encoder, X, tmp_path / "p.npy", sqrt=False, chunk=2, flips=True)
    np.testing.assert_allclose(plain.astype(np.float32), (encoder.transform(X) + encoder.transform(X[:, :, ::-1])) / 2,
                               atol=1e-3)


@pytest.fixture
def small(example, monkeypatch):
    """The example with a small encoder and synthetic data; records which subsets it read."""
    read = []
    train, test = synthetic_cifar(60, seed=0), synthetic_cifar(20, seed=1)

    def fetch(data_home, subset, return_X_y):
        read.append(subset)
        return train if subset == "train" else test

    def make_encoder(pool_size=7, pool_stride=4, n_jobs=-1, verbose=0, query_scale=5.0):
        return WhitenedPatchKNNEncoder(patch_size=6, n_patches=16, negative=True, pooling="window",
                                       pool_size=pool_size, pool_stride=pool_stride, random_state=0, n_jobs=1)

    monkeypatch.setattr(example, "fetch_cifar10", fetch)
    monkeypatch.setattr(example, "make_encoder", make_encoder)
    monkeypatch.setattr(example, "N_HELD", 10)
    example.read = read
    return example


def test_main_fits_and_scores_the_test_set(small, tmp_path, capsys):
    path = tmp_path / "r.json"
    argv = ["--n-train", "50", "--epochs", "4", "--lr", "0.01", "--bottleneck", "4", "--alpha", "1e-4", "--n-jobs", "1",
            "--flips", "--max-shift", "1", "--code-dir", str(tmp_path / "codes"), "--json", str(path)]
    results = small.main(argv)
    assert small.read == ["train", "test"]
    out = capsys.readouterr().out
    assert "pooled map (6, 6)" in out and out.count("Epoch ") == 4 and "test accuracy" in out
    # The classes differ by a bright half: a linear head separates them.
    assert results["test_accuracy"] >= 0.9
    # --code-dir keeps the codes: 50 training and the first 10 test images, 32 channels on 6 x 6.
    assert np.load(tmp_path / "codes" / "train.npy", mmap_mode="r").shape == (50, 32 * 36)
    assert np.load(tmp_path / "codes" / "test.npy", mmap_mode="r").dtype == np.float16
    record = json.loads(path.read_text())
    assert record["results"]["test_accuracy"] == results["test_accuracy"] and "selection" not in record
    assert record["settings"]["pool_size"] == 7 and record["settings"]["sqrt"] is True and record["settings"]["flips"]
    assert record["settings"]["alpha"] == 1e-4 and record["settings"]["n_components"] == 4
    assert record["settings"]["max_shift"] == 1 and record["settings"]["kernel_size"] is None


def test_select_never_reads_the_test_set(small, tmp_path, capsys, monkeypatch):
    made = []
    monkeypatch.setattr(small.tempfile, "TemporaryDirectory",
                        lambda **kw: made.append(TemporaryFolder(tmp_path / "tmp")) or made[-1])
    path = tmp_path / "s.json"
    small.main(["--select", "--n-train", "40", "--epochs", "2", "--bottleneck", "4", "--lrs", "0.01", "0.1",
                "--kernel-sizes", "map", "4", "--max-shifts", "0", "1", "--n-jobs", "1", "--json", str(path)])
    assert small.read == ["train"]
    out = capsys.readouterr().out
    assert out.count("held-out accuracy") == 8 and "test accuracy" not in out
    assert out.count("kernel 4: held-out") == 2 and out.count("whole-map kernel, shifts <= 1: held-out") == 2
    # The temporary code folder was used, then removed.
    assert len(made) == 1 and made[0].used and not (tmp_path / "tmp").exists()
    selection = json.loads(path.read_text())["selection"]
    assert [row["x"] for row in selection["rows"]] == [0.01, 0.1] * 4
    groups = ["whole-map kernel", "whole-map kernel, shifts <= 1", "kernel 4", "kernel 4, shifts <= 1"]
    assert [row["group"] for row in selection["rows"]] == [g for g in groups for _ in range(2)]
    assert selection["chosen"] in {row["label"] for row in selection["rows"]}
    assert "0-29" in selection["split"] and "last 10" in selection["split"]


def test_select_compares_weight_decays(small, tmp_path, capsys):
    path = tmp_path / "a.json"
    results = small.main(["--select", "--n-train", "40", "--epochs", "2", "--bottleneck", "4", "--lrs", "0.01",
                          "--alphas", "0", "0.5", "--n-jobs", "1", "--json", str(path)])
    out = capsys.readouterr().out
    assert out.count("held-out accuracy") == 2 and out.count("whole-map kernel, alpha = 0.5: held-out") == 1
    assert {"fit_seconds_lr_0.01_alpha_0", "fit_seconds_lr_0.01_alpha_0.5"} <= set(results)
    selection = json.loads(path.read_text())["selection"]
    assert [row["group"] for row in selection["rows"]] == ["whole-map kernel", "whole-map kernel, alpha = 0.5"]


class TemporaryFolder:
    """A stand-in for ``tempfile.TemporaryDirectory`` at a known place."""

    def __init__(self, path):
        self.name, self.used = str(path), False
        path.mkdir()

    def cleanup(self):
        self.used = any(p.suffix == ".npy" for p in Path(self.name).iterdir())
        shutil.rmtree(self.name)


def test_select_needs_images_to_fit_on(example, capsys):
    with pytest.raises(SystemExit):
        example.main(["--select", "--n-train", "5000", "--data-home", "/nonexistent"])
    assert "--n-train=5000" in capsys.readouterr().err
