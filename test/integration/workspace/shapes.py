"""Models for the shape lens tests: a bug the lens must flag and fix, and chains it must follow exactly."""
import torch
import torch.nn as nn
import torch.nn.functional as F


# conv-lens: input 1x3x32x32
class BuggyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(in_channels=32, out_channels=128, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(8192, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)
        return self.fc(x)


# conv-lens: input 2x8x15x15
exact = nn.Sequential(
    nn.Conv2d(8, 16, kernel_size=3, padding='same', dilation=2, groups=4),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2, ceil_mode=True),
    nn.ConvTranspose2d(16, 4, kernel_size=3, stride=2, padding=1, output_padding=1),
)

encoder = nn.Sequential(
    nn.Conv1d(1, 16, kernel_size=9, stride=4),
    nn.AvgPool1d(4),
)


class Looped(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3)
        self.head = nn.Conv2d(16, 16, 3)

    def forward(self, x):
        x = self.stem(x)
        return self.head(x)


# conv-lens: input 1x1x4x4
tiny = nn.Sequential(nn.Conv2d(1, 1, kernel_size=3, bias=False), nn.MaxPool2d(2, ceil_mode=True))


# conv-lens: input 1x3x224x224
stem = nn.Sequential(
    nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),
    nn.BatchNorm2d(64),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
)
