"""An M5-style raw-audio classifier (Dai et al. 2017): Conv1d + BatchNorm1d + pooling, then Linear."""
import torch
import torch.nn as nn
import torch.nn.functional as F


# conv-lens: input 4x1x8000
class M5(nn.Module):
    def __init__(self, n_input=1, n_output=35):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 32, kernel_size=80, stride=16)
        self.bn1 = nn.BatchNorm1d(32)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(32, 32, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(32)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(32, 64, kernel_size=3, dilation=2, padding="same")
        self.bn3 = nn.BatchNorm1d(64)
        self.pool3 = nn.AvgPool1d(3, stride=2, ceil_mode=True)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.fc1 = nn.Linear(64, 35)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(self.bn1(x))
        x = self.pool1(x)
        x = self.conv2(x)
        x = F.relu(self.bn2(x))
        x = self.pool2(x)
        x = self.conv3(x)
        x = F.gelu(self.bn3(x))
        x = self.pool3(x)
        x = self.gap(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        return x
