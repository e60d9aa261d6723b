"""The history buffer of refined images the discriminator keeps seeing (SimGAN section 2.3).

Fixed-size, preallocated storage: it fills in order, then entries are overwritten at random
positions, so it can never grow and never silently stay empty (the fault of public re-implementations
that threw away the result of np.append).
"""

from __future__ import annotations

import torch


class HistoryBuffer:
    def __init__(self, capacity: int, image_shape: tuple[int, ...]):
        if capacity < 1:
            raise ValueError("history buffer capacity must be at least 1")
        self.capacity = capacity
        self.images = torch.zeros((capacity, *image_shape))
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n stored images drawn uniformly with replacement; needs a non-empty buffer."""
        if self.size == 0:
            raise RuntimeError("history buffer is empty; push images before sampling")
        return self.images[torch.randint(self.size, (n,), generator=generator).to(self.images.device)]

    def push(self, batch: torch.Tensor, generator: torch.Generator) -> None:
        """Store a batch: fill free slots first, then overwrite random slots."""
        batch = batch.detach().to(self.images.device, torch.float32)
        free = min(self.capacity - self.size, len(batch))
        self.images[self.size : self.size + free] = batch[:free]
        self.size += free
        rest = batch[free:]
        if len(rest):
            slots = torch.randperm(self.capacity, generator=generator)[: len(rest)].to(self.images.device)
            self.images[slots] = rest[: len(slots)]

    def to(self, device: torch.device) -> HistoryBuffer:
        """Keep the buffer beside the discriminator (random indices still come from a CPU generator)."""
        self.images = self.images.to(device)
        return self

    def state_dict(self) -> dict:
        return {"images": self.images[: self.size].cpu().clone(), "capacity": self.capacity}

    def load_state_dict(self, state: dict) -> None:
        if state["capacity"] != self.capacity:
            raise ValueError(f"history buffer capacity {state['capacity']} does not match {self.capacity}")
        stored = state["images"]
        self.images[: len(stored)] = stored.to(self.images.device)
        self.size = len(stored)
