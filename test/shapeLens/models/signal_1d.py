"""A 1-D autoencoder for signals: strided Conv1d down, ConvTranspose1d up, adaptive pooling and dropout."""
import torch.nn as nn

# conv-lens: input 4x2x1001
signal = nn.Sequential(
    nn.Conv1d(2, 16, kernel_size=7, stride=3, padding=3, dilation=1),
    nn.GELU(),
    nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    nn.Conv1d(16, 32, 5, padding='same', dilation=3, padding_mode='reflect'),
    nn.ConvTranspose1d(32, 16, kernel_size=4, stride=2, padding=1, output_padding=1, dilation=2),
    nn.Dropout(0.1),
    nn.AvgPool1d(2, ceil_mode=True),
    nn.AdaptiveAvgPool1d(50),
    nn.Conv1d(16, 1, 1),
)
