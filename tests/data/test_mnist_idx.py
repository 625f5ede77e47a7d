import gzip

import numpy as np
import pytest

from polymodal.data.mnist_idx import read_idx, read_mnist
from polymodal.errors import DataFileError

# Published class counts of the official MNIST test set (LeCun et al.).
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_reads_the_real_test_set(data_dir):
    images, labels = read_mnist(data_dir / "mnist")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == MNIST_TEST_COUNTS
    assert images.max() == 255 and images.min() == 0


def test_truncated_file_names_the_file(data_dir, tmp_path):
    raw = gzip.open(data_dir / "mnist" / "t10k-images-idx3-ubyte.gz").read()
    bad = tmp_path / "t10k-images-idx3-ubyte"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataFileError, match="t10k-images-idx3-ubyte.*truncated"):
        read_idx(bad)


def test_corrupt_gzip_and_bad_magic(tmp_path):
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05abcde")[:-10])
    with pytest.raises(DataFileError, match="x.gz"):
        read_idx(gz)
    magic = tmp_path / "y"
    magic.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataFileError, match="not an IDX file"):
        read_idx(magic)


def test_missing_file_says_where_to_get_it(tmp_path):
    with pytest.raises(DataFileError, match="missing data file .*t10k-images.*MNIST"):
        read_mnist(tmp_path)
