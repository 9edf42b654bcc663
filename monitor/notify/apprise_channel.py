"""Apprise channel: Slack, Telegram, Discord, ntfy, Matrix, email and the rest, each by URL."""

from __future__ import annotations

from monitor.notify.errors import DeliveryError
from monitor.rules import render_text


def send(options: dict, alert: dict) -> None:
    import apprise

    urls = options["url"] if isinstance(options["url"], list) else [options["url"]]
    client = apprise.Apprise()
    for url in urls:
        if not client.add(url):
            raise DeliveryError("an Apprise URL of this channel is not recognised (check its scheme)")
    title = f"placewatch: {alert['place']['name']} {alert['status']}" + (
        f" ({alert['kind']})" if alert["kind"] != "new" else "")
    if not client.notify(title=title, body=render_text(alert)):
        raise DeliveryError("Apprise could not deliver to this channel's service")
