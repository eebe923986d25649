"""A deliberate bug: BatchNorm2d(32) after a conv with 64 output channels."""
import torch.nn as nn

# conv-lens: input 1x3x16x16
stem = nn.Sequential(
    nn.Conv2d(3, 64, 3),
    nn.BatchNorm2d(32),
    nn.LeakyReLU(0.1),
)
