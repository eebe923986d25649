"""Conv Lens: the worked example of the lecture "Deep Learning – Convolutional Neural Networks 1"."""
import numpy as np
import torch.nn as nn

# the input image and the kernel of the lecture
image = [[1, 3, 2, 3, 3], [3, 1, 2, 1, 1], [3, 3, 3, 1, 2], [2, 2, 1, 2, 1], [2, 3, 2, 1, 2]]
kernel = np.array([[1, 3, 2], [1, 3, 3], [3, 1, 1]])


# conv-lens: input 1x1x28x28
model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 16, kernel_size=3),
    nn.Flatten(),
    nn.Linear(16 * 12 * 12, 10),
)
