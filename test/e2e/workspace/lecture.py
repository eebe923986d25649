"""The lecture's worked example, for Conv Lens's end-to-end test."""
import numpy as np

image = [[1, 3, 2, 3, 3], [3, 1, 2, 1, 1], [3, 3, 3, 1, 2], [2, 2, 1, 2, 1], [2, 3, 2, 1, 2]]
kernel = np.array([[1, 3, 2], [1, 3, 3], [3, 1, 1]])
dY = np.array([[5, 6], [7, 8]])
w = np.array([[1, 2], [3, 4]])
