"""SMTP email channel (plain text body, the JSON alert attached)."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage

from monitor.notify.errors import DeliveryError
from monitor.rules import render_text


def send(options: dict, alert: dict) -> None:
    msg = EmailMessage()
    msg["Subject"] = f"[placewatch] {alert['place']['name']}: {alert['status']}" + (
        f" ({alert['kind']})" if alert["kind"] != "new" else "")
    msg["From"] = options.get("from", "placewatch@localhost")
    to = options["to"] if isinstance(options["to"], list) else [options["to"]]
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = f"<{alert['id']}.{alert['revision']}@placewatch>"
    msg.set_content(render_text(alert))
    msg.add_attachment(json.dumps(alert, indent=2).encode(), maintype="application", subtype="json",
                       filename="alert.json")
    host, port = options.get("host", "localhost"), int(options.get("port", 25))
    try:
        with smtplib.SMTP(host, port, timeout=float(options.get("timeout", 15))) as smtp:
            if options.get("starttls"):
                smtp.starttls()
            if options.get("username"):
                smtp.login(options["username"], options.get("password", ""))
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP delivery to {host}:{port} failed: {type(error).__name__}") from None
