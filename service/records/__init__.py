"""The domain: records, their versions and events, and how they are written down."""
