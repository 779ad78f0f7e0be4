"""The chat data-collection consumer: Rasa's tracker events from RabbitMQ into the shop database.

Rasa (production profile) publishes every tracker event to a fanout exchange; this reads the
durable queue bound to it and writes the products each shopper was shown as impressions
(`store.history.record_shown`), "shown" as the chat funnel defines it (`core.funnel`, the same
reading the console makes of the tracker store). Clicks, add-to-cart and purchases are written
by the actions themselves, in the same transaction as the cart or order. A message is acknowledged only after
its rows are committed, so a crash or a database outage redelivers instead of losing it.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from core.funnel import shown_products
from core.settings import Settings
from store.db import session_scope
from store.history import record_shown

log = logging.getLogger(__name__)


def handle(settings: Settings, body: bytes) -> int:
    """Record one broker message; returns rows written. Malformed messages are logged and dropped."""
    try:
        event = json.loads(body)
        sender, stamp = str(event["sender_id"]), float(event["timestamp"])
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("dropping malformed event: %s", exc)
        return 0
    items = shown_products(event)
    if not items:
        return 0
    with session_scope(settings.db_url) as session:
        return record_shown(session, sender, items, datetime.fromtimestamp(stamp, timezone.utc))


def declare(channel, settings: Settings) -> None:
    """The same exchange and queue Rasa's Pika broker declares, so either may start first."""
    channel.exchange_declare(settings.broker_exchange, exchange_type="fanout")
    channel.queue_declare(settings.broker_queue, durable=True)
    channel.queue_bind(settings.broker_queue, settings.broker_exchange)


def consume(settings: Settings, retry_seconds: float = 5.0) -> None:
    """Consume forever, reconnecting to RabbitMQ and retrying the database when either drops."""
    import pika

    while True:
        connection = None
        try:
            connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
            channel = connection.channel()
            declare(channel, settings)
            channel.basic_qos(prefetch_count=50)

            def on_message(ch, method, _properties, body: bytes) -> None:
                handle(settings, body)
                ch.basic_ack(delivery_tag=method.delivery_tag)

            channel.basic_consume(settings.broker_queue, on_message)
            log.info("consuming %s", settings.broker_queue)
            channel.start_consuming()
        except pika.exceptions.AMQPError as exc:
            log.warning("broker unavailable (%s); retrying in %.0fs", exc, retry_seconds)
        except Exception:  # noqa: BLE001 - e.g. the database is down: unacked messages are redelivered
            log.exception("could not record an event; reconnecting in %.0fs", retry_seconds)
        finally:
            if connection is not None and connection.is_open:
                try:
                    connection.close()
                except pika.exceptions.AMQPError:
                    pass
        time.sleep(retry_seconds)
