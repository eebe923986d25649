"""The lecture's worked example: a 5x5 input and a 3x3 kernel (Conv Lens integration tests)."""
import numpy as np
import torch

image = [
    [1, 3, 2, 3, 3],
    [3, 1, 2, 1, 1],
    [3, 3, 3, 1, 2],
    [2, 2, 1, 2, 1],
    [2, 3, 2, 1, 2],
]

kernel = np.array([[1, 3, 2],
                   [1, 3, 3],
                   [3, 1, 1]], dtype=np.float64)

# the gradient of sum(conv(image, kernel)) w.r.t. the image, as a student computed it with padding=1 (one element wrong)
my_grad = torch.tensor([[8., 13., 13., 13., 11.],
                        [12., 18., 18., 18., 13.],
                        [12., 18., 81., 18., 13.],
                        [12., 18., 18., 18., 13.],
                        [8., 12., 12., 12., 8.]])

batch = torch.tensor([[[[0.5, -1.0, 2.0, 0.0]]]], dtype=torch.float64)
