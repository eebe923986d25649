"""The lecture's worked example, for Conv Lens's end-to-end test."""
import numpy as np
import torch

image = [[1, 3, 2, 3, 3], [3, 1, 2, 1, 1], [3, 3, 3, 1, 2], [2, 2, 1, 2, 1], [2, 3, 2, 1, 2]]
kernel = np.array([[1, 3, 2], [1, 3, 3], [3, 1, 1]])
dY = np.array([[5, 6], [7, 8]])
w = np.array([[1, 2], [3, 4]])
# the gradient of sum(conv(image, kernel)) w.r.t. the image, as a student computed it with padding=1 (one element wrong)
my_grad = torch.tensor([[8., 13., 13., 13., 11.], [12., 18., 18., 18., 13.], [12., 18., 81., 18., 13.], [12., 18., 18., 18., 13.], [8., 12., 12., 12., 8.]])
