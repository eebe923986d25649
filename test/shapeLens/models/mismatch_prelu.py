"""A PReLU with one slope per channel, sized for the input's 3 channels instead of the conv's 32."""
import torch.nn as nn

# conv-lens: input 1x3x32x32
stem = nn.Sequential(
    nn.Conv2d(3, 32, kernel_size=3, stride=2, padding=1),
    nn.PReLU(3),
)
