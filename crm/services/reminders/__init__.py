"""The outbox of reminders, digests and notices: planning, digests, compose, dispatch, outbox
(see each module; the README's "Reminders are an outbox")."""
