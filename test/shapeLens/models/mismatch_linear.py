"""A classifier head with a deliberate bug: the Linear expects 256 features, the flatten gives 512."""
import torch.nn as nn

# conv-lens: input 1x8x8x8
head = nn.Sequential(
    nn.Conv2d(8, 32, 3, stride=2, padding=1),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(256, 10),
)
