"""MobileNet-v1 depthwise-separable blocks: 3x3 depthwise conv (groups=channels) then 1x1 pointwise conv."""
import torch

# conv-lens: input 1x32x56x56
mobilenet_blocks = torch.nn.Sequential(
    # block 1: stride 1
    torch.nn.Conv2d(32, 32, kernel_size=3, stride=1, padding=1, groups=32, bias=False),
    torch.nn.BatchNorm2d(32),
    torch.nn.ReLU6(inplace=True),
    torch.nn.Conv2d(32, 64, kernel_size=1, bias=False),
    torch.nn.BatchNorm2d(64),
    torch.nn.ReLU6(inplace=True),
    # block 2: stride 2
    torch.nn.Conv2d(64, 64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=64, bias=False),
    torch.nn.BatchNorm2d(64),
    torch.nn.ReLU6(inplace=True),
    torch.nn.Conv2d(64, 128, kernel_size=1, bias=False),
    torch.nn.BatchNorm2d(128),
    torch.nn.SiLU(),
    torch.nn.AdaptiveAvgPool2d(1),
    torch.nn.Flatten(),
    torch.nn.Linear(128, 1000),
)
