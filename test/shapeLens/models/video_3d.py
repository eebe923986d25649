"""A small 3-D (video) encoder-decoder: the rank-3 layers the lens must follow as exactly as the 2-D ones."""
import torch.nn as nn

# conv-lens: input 2x3x9x33x33
video = nn.Sequential(
    nn.Conv3d(3, 8, kernel_size=(3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2), dilation=1),
    nn.BatchNorm3d(8),
    nn.ReLU(inplace=True),
    nn.MaxPool3d(kernel_size=2, stride=2, ceil_mode=True),
    nn.Conv3d(8, 16, 3, padding='same', groups=2, bias=False),
    nn.AvgPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), count_include_pad=False),
    nn.ConvTranspose3d(16, 8, kernel_size=(1, 4, 4), stride=(1, 2, 2), padding=(0, 1, 1), output_padding=0),
    nn.Upsample(size=(10, 24, 24), mode='nearest'),
    nn.AdaptiveAvgPool3d((1, 4, 4)),
    nn.Flatten(),
    nn.Linear(128, 5),
)
