"""Retention: culling rules that cite their decisions (gallringsbeslut), legal holds
(gallringsstopp), culling runs that can be previewed, and the culling log that is never culled.

Only a culling decision removes content (DOMAIN rule 3); records no rule covers are kept for
ever. Every part is a register (`service/registers/`): storage first, the index a projection.
"""
