"""The code the finetune_resnet18 stub gives complete (image_folder_loaders) must be right.

The test writes a tiny dog-breeds folder (root/train/<breed>/*.jpg, root/val/<breed>/*.jpg) to
a temporary directory with PIL and reads it back through the loaders.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from .conftest import load

ROOT = Path(__file__).resolve().parents[1]
BREEDS = {"beagle": (200, 120, 40), "husky": (120, 130, 140), "poodle": (250, 250, 250)}


@pytest.fixture(params=["exercises", "solutions"])
def module(request):
    return load(ROOT / request.param / "06_transfer" / "finetune_resnet18.py")


@pytest.fixture(scope="module")
def dog_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("dogs")
    for split, count in (("train", 5), ("val", 2)):
        for breed, colour in BREEDS.items():
            folder = root / split / breed
            folder.mkdir(parents=True)
            for i in range(count):
                size = (40 + 7 * i, 30 + 5 * i)   # images of different sizes, not square
                Image.new("RGB", size, colour).save(folder / f"{breed}_{i}.jpg")
    return root


def test_loaders_shapes_and_classes(module, dog_folder):
    train_loader, val_loader, breeds = module.image_folder_loaders(dog_folder, batch_size=4,
                                                                   image_size=32)
    assert breeds == sorted(BREEDS)
    assert len(train_loader.dataset) == 15 and len(val_loader.dataset) == 6
    images, labels = next(iter(train_loader))
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.float32
    assert labels.dtype == torch.int64 and labels.shape == (4,)
    seen = torch.cat([y for _, y in val_loader])
    assert seen.tolist() == [0, 0, 1, 1, 2, 2]          # validation: not shuffled


def test_validation_images_use_imagenet_normalisation(module, dog_folder):
    _, val_loader, breeds = module.image_folder_loaders(dog_folder, batch_size=6, image_size=32)
    images, labels = next(iter(val_loader))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    for image, label in zip(images, labels):
        colour = torch.tensor(BREEDS[breeds[label]], dtype=torch.float32).view(3, 1, 1) / 255
        expected = (colour - mean) / std
        # JPEG of a flat colour is nearly exact; the centre crop keeps the colour.
        assert torch.allclose(image.mean(dim=(1, 2), keepdim=True), expected, atol=0.1)


def test_train_loader_is_shuffled_and_augmented_but_same_size(module, dog_folder):
    torch.manual_seed(0)
    train_loader, _, _ = module.image_folder_loaders(dog_folder, batch_size=15, image_size=24)
    first = next(iter(train_loader))[1].tolist()
    second = next(iter(train_loader))[1].tolist()
    assert sorted(first) == [0] * 5 + [1] * 5 + [2] * 5
    assert first != sorted(first) or second != sorted(second)
    images, _ = next(iter(train_loader))
    assert images.shape == (15, 3, 24, 24)


def test_mismatched_breeds_are_refused(module, dog_folder, tmp_path):
    for split, breeds in (("train", ["a", "b"]), ("val", ["a", "c"])):
        for breed in breeds:
            (tmp_path / split / breed).mkdir(parents=True)
            Image.new("RGB", (8, 8)).save(tmp_path / split / breed / "x.jpg")
    with pytest.raises(ValueError, match="different breeds"):
        module.image_folder_loaders(tmp_path, batch_size=2, image_size=8)
