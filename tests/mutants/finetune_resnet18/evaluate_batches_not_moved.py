"""evaluate feeds the model the batches where the loader left them (never moved to the device).

expect: not moved to device
"""
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
    """cuda if available, else mps (Apple silicon), else cpu."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def build_model(num_classes: int, weights=None) -> nn.Module:
    """ResNet18 with a frozen backbone and a new trainable fc: images (N, 3, H, W) -> (N, num_classes)."""
    model = models.resnet18(weights=weights)
    for parameter in model.parameters():
        parameter.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, num_classes)   # 512 -> num_classes, trainable
    return model


def make_optimizer(model: nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    """Adam over the trainable parameters only."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.Adam(trainable, lr=lr)


def train_one_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer,
                    device: torch.device) -> float:
    """One pass over loader in train mode; returns the mean of the batch losses."""
    model.train()
    total, batches = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / batches


def evaluate(model: nn.Module, loader, device: torch.device) -> float:
    """Accuracy in [0, 1] over loader, in eval mode without recording history."""
    model.eval()
    correct, seen = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            predictions = model(images).argmax(dim=1)
            correct += (predictions == labels).sum().item()
            seen += labels.numel()
    return correct / seen


def fine_tune(train_loader, val_loader, num_classes: int, epochs: int = 3, lr: float = 1e-3,
              device: torch.device | None = None, weights=None) -> tuple[nn.Module, list[dict]]:
    """Build, train for `epochs` and evaluate after each; returns the model and the history.

    history[i] == {"epoch": i + 1, "train_loss": float, "val_accuracy": float}.
    """
    device = pick_device() if device is None else torch.device(device)
    model = build_model(num_classes, weights=weights).to(device)
    optimizer = make_optimizer(model, lr=lr)
    history = []
    for epoch in range(1, epochs + 1):
        train_loss = train_one_epoch(model, train_loader, optimizer, device)
        val_accuracy = evaluate(model, val_loader, device)
        history.append({"epoch": epoch, "train_loss": train_loss, "val_accuracy": val_accuracy})
        print(f"epoch {epoch}: train loss {train_loss:.4f}, val accuracy {val_accuracy:.3f}")
    return model, history


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Fine-tune ResNet18 on a dog-breeds folder.")
    parser.add_argument("root", help="folder with train/<breed>/*.jpg and val/<breed>/*.jpg")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weights", default="IMAGENET1K_V1", help='"none" for random weights')
    args = parser.parse_args()
    train_loader, val_loader, breeds = image_folder_loaders(args.root, args.batch_size)
    weights = None if args.weights.lower() == "none" else args.weights
    model, history = fine_tune(train_loader, val_loader, len(breeds), epochs=args.epochs,
                               lr=args.lr, weights=weights)
    print(f"{len(breeds)} breeds, final val accuracy {history[-1]['val_accuracy']:.3f}")
