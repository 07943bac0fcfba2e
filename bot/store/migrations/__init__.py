"""The store's schema migrations (Alembic): ``versions/`` holds one revision per schema change,
``baseline`` the schema as it was when migrations began (revision 0001), and ``env.py`` serves the
``alembic`` command line for developers. The bot itself runs them through ``bot.store.schema``."""
