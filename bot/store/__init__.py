"""The database edge: schema, snapshots, rule memory, outbox, cards, health and subscriptions."""
