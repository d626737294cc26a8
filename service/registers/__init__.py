"""Registers: the authority's configuration and decisions as sealed, revisioned documents.

Sites, API tokens, culling rules, legal holds, channels, secrecy reviews and registrations
are each a *family* of entries. Every change to an entry is a new revision, written once to
object storage (the truth) and then projected into the database (a cache that
`offentlig reindex` rebuilds):

    authority/{family}/{entry id}/0000000001.json           authority-wide entries
    sites/{site}/{kind folder}/{n}/{family}/0000000001.json   entries about one record

Each revision carries its predecessor's SHA-256, so an entry's history is a hash chain like a
record's versions.
"""
