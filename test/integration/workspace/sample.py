"""Sample file for Conv Lens integration tests: tensors written as numpy literals."""
import numpy as np

x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)  # shape (2, 3)
kernel = np.array([[[[0, 1], [1, 0]]]], dtype=np.float32)  # shape (1, 1, 2, 2)
