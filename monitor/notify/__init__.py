"""Alert delivery channels. Each sender takes (channel options, alert) and raises DeliveryError on failure."""

from __future__ import annotations

from collections.abc import Callable

from monitor.notify import apprise_channel, console, email_channel, jsonl_file, webhook
from monitor.notify.errors import DeliveryError

SENDERS: dict[str, Callable[[dict, dict], None]] = {
    "console": console.send,
    "file": jsonl_file.send,
    "webhook": webhook.send,
    "apprise": apprise_channel.send,
    "email": email_channel.send,
}

__all__ = ["SENDERS", "DeliveryError"]
