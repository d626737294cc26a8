"""The channel register (förteckning över sociala medier, DOMAIN rule 7): every channel the
authority is active on, active and closed, kept for ever and shown to anyone."""
