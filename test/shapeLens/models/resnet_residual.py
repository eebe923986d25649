"""Two ResNet basic blocks with residual additions: an identity shortcut, then a projection (downsample) one."""
import torch
import torch.nn as nn
import torch.nn.functional as F


# conv-lens: input 2x64x32x32
class ResidualStage(nn.Module):
    def __init__(self):
        super().__init__()
        self.b1_conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.b1_bn1 = nn.BatchNorm2d(64)
        self.b1_conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.b1_bn2 = nn.BatchNorm2d(64)
        self.b2_conv1 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.b2_bn1 = nn.BatchNorm2d(128)
        self.b2_conv2 = nn.Conv2d(128, 128, 3, padding=1, bias=False)
        self.b2_bn2 = nn.BatchNorm2d(128)
        self.b2_down = nn.Sequential(nn.Conv2d(64, 128, kernel_size=1, stride=2, bias=False), nn.BatchNorm2d(128))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        identity = x
        out = F.relu(self.b1_bn1(self.b1_conv1(x)))
        out = self.b1_bn2(self.b1_conv2(out))
        out += identity
        out = F.relu(out)
        shortcut = self.b2_down(out)
        y = F.relu(self.b2_bn1(self.b2_conv1(out)))
        y = self.b2_bn2(self.b2_conv2(y))
        y = y + shortcut
        y = F.relu(y)
        y = torch.flatten(self.pool(y), 1)
        return self.fc(y)
