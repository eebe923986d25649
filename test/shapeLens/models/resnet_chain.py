"""ResNet-18's stem and two basic blocks (first stage and a downsampling stage) as a plain forward chain.

The identity/downsample shortcuts are left out: the chain is conv-bn-relu-conv-bn-relu per block.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


# conv-lens: input 1x3x224x224
class ResNetChain(nn.Module):
    def __init__(self):
        super(ResNetChain, self).__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        # layer1, block 0
        self.l1_conv1 = nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.l1_bn1 = nn.BatchNorm2d(64)
        self.l1_conv2 = nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.l1_bn2 = nn.BatchNorm2d(64)
        # layer2, block 0 (stride 2)
        self.l2_conv1 = nn.Conv2d(64, 128, kernel_size=3, stride=2, padding=1, bias=False)
        self.l2_bn1 = nn.BatchNorm2d(128)
        self.l2_conv2 = nn.Conv2d(128, 128, kernel_size=3, stride=1, padding=1, bias=False)
        self.l2_bn2 = nn.BatchNorm2d(128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(128, 1000)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.maxpool(x)
        out = F.relu(self.l1_bn1(self.l1_conv1(x)))
        out = self.l1_bn2(self.l1_conv2(out))
        out = F.relu(out)
        out = F.relu(self.l2_bn1(self.l2_conv1(out)))
        out = self.l2_bn2(self.l2_conv2(out))
        out = F.relu(out)
        out = self.avgpool(out)
        out = out.view(out.size(0), -1)
        return self.fc(out)
