"""A 1-d adaptive pool after a 2-d conv: the pool wants (C, L) or (N, C, L), the conv gives (N, C, H, W)."""
import torch.nn as nn

# conv-lens: input 1x3x16x16
model = nn.Sequential(
    nn.Conv2d(3, 8, 3),
    nn.AdaptiveMaxPool1d(4),
)
