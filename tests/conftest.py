"""Shared test settings."""

import torch

# pytest runs two workers on two cores (make test: -n 2); more torch threads per
# worker only oversubscribe the cores, and small tensors run slower for it.
torch.set_num_threads(1)
