"""Delivery (the output edge): the outbox worker and one sink per platform."""

from bot.delivery.sink import DeliveryError, Sink
from bot.delivery.worker import DeliveryWorker

__all__ = ["DeliveryError", "DeliveryWorker", "Sink"]
