"""A small U-Net as one chain: encoder (double conv + max pool), bottleneck, decoder with ConvTranspose2d.

The skip connections (concatenation with the encoder features) are omitted, so the decoder convs take
only the upsampled channels.
"""
import torch.nn as nn

# conv-lens: input 1x1x64x64
unet = nn.Sequential(
    # encoder
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
    nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
    nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(2),
    # bottleneck
    nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(inplace=True),
    # decoder
    nn.ConvTranspose2d(128, 64, kernel_size=2, stride=2),
    nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True),
    nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2, padding=1, output_padding=1),
    nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(inplace=True),
    nn.Upsample(scale_factor=2, mode="nearest"),
    nn.Conv2d(32, 2, kernel_size=1),
)
