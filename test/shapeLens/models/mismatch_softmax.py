"""A classifier whose Softmax normalises over a dim its (N, classes) output does not have."""
import torch.nn as nn

# conv-lens: input 4x1x28x28
classifier = nn.Sequential(
    nn.Flatten(),
    nn.Linear(784, 10),
    nn.Softmax(dim=2),
)
