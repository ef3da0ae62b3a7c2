"""Fine-tuning ResNet18, written another way: AdamW, requires_grad_ on the whole model,
nn.CrossEntropyLoss, a loss averaged over images, inference_mode, the mode restored after
evaluation."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def image_folder_loaders(root: str | Path, batch_size: int, image_size: int = 224,
                         num_workers: int = 0) -> tuple[DataLoader, DataLoader, list[str]]:
    """Loaders for root/train/<breed>/*.jpg and root/val/<breed>/*.jpg, and the breed names.

    Training images get light augmentation (random resized crop, horizontal flip); validation
    images are resized and centre-cropped. Both are normalised with the ImageNet statistics,
    which is what the pretrained weights expect. Batches are (N, 3, image_size, image_size).
    """
    root = Path(root).expanduser()
    normalize = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(image_size, scale=(0.7, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize,
    ])
    val_tf = transforms.Compose([
        transforms.Resize(int(image_size * 256 / 224)),
        transforms.CenterCrop(image_size),
        transforms.ToTensor(),
        normalize,
    ])
    train_set = datasets.ImageFolder(root / "train", transform=train_tf)
    val_set = datasets.ImageFolder(root / "val", transform=val_tf)
    if val_set.classes != train_set.classes:
        raise ValueError(f"train/ and val/ hold different breeds: {train_set.classes} vs {val_set.classes}")
    pin = torch.cuda.is_available()
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              num_workers=num_workers, pin_memory=pin)
    val_loader = DataLoader(val_set, batch_size=batch_size, shuffle=False,
                            num_workers=num_workers, pin_memory=pin)
    return train_loader, val_loader, train_set.classes


def pick_device() -> torch.device:
    for name, available in (("cuda", torch.cuda.is_available), ("mps", torch.backends.mps.is_available)):
        if available():
            return torch.device(name)
    return torch.device("cpu")


def build_model(num_classes: int, weights=None) -> nn.Module:
    model = models.resnet18(weights=weights)
    model.requires_grad_(False)
    model.fc = nn.Linear(512, num_classes)
    return model


def make_optimizer(model: nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    return torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=lr,
                             weight_decay=0.0)


def train_one_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer,
                    device: torch.device) -> float:
    # The mean over the images (each batch loss weighted by its size).
    model.train()
    criterion = nn.CrossEntropyLoss()
    total, count = 0.0, 0
    for images, labels in loader:
        images = images.to(device, non_blocking=True)
        labels = labels.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=False)
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


@torch.inference_mode()
def evaluate(model: nn.Module, loader, device: torch.device) -> float:
    was_training = model.training
    model.eval()
    hits = torch.zeros((), dtype=torch.int64)
    total = 0
    for images, labels in loader:
        logits = model(images.to(device))
        hits += (logits.argmax(1).cpu() == labels).sum()
        total += len(labels)
    model.train(was_training)
    return hits.item() / total


def fine_tune(train_loader, val_loader, num_classes: int, epochs: int = 3, lr: float = 1e-3,
              device: torch.device | None = None, weights=None) -> tuple[nn.Module, list[dict]]:
    device = device or pick_device()
    model = build_model(num_classes, weights).to(device)
    optimizer = make_optimizer(model, lr)
    history = []
    for epoch in range(epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        history.append(dict(epoch=epoch + 1, train_loss=float(loss),
                            val_accuracy=float(evaluate(model, val_loader, device))))
    return model, history


