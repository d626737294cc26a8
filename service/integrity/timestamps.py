"""RFC 3161 timestamps on checkpoints from a time-stamping authority (`LOG_TSA_URL`):
independent evidence that a checkpoint — and so every object under it — existed by then.
Requests and replies are built and read by rfc3161-client (Trail of Bits, used by sigstore);
the reply is kept whole beside its checkpoint (`….tsr`), checkable with
`openssl ts -verify -data <checkpoint> -in <checkpoint>.tsr -CAfile <TSA's CA>`."""

from __future__ import annotations

import hashlib
import urllib.request

import rfc3161_client

from service.errors import Unavailable

CONTENT_TYPE = "application/timestamp-query"


class TimestampAuthority:
    def __init__(self, url: str, timeout: float = 10.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"LOG_TSA_URL must be an http(s) URL, not {url!r}")
        self.url = url
        self.timeout = timeout

    def stamp(self, data: bytes) -> bytes:
        """The TSA's reply (DER) for SHA-256 of `data`, checked to be a granted stamp of it."""
        request = (
            rfc3161_client.TimestampRequestBuilder()
            .data(data)
            .hash_algorithm(rfc3161_client.HashAlgorithm.SHA256)
            .build()
        )
        http = urllib.request.Request(  # noqa: S310 - the URL was checked to be http(s)
            self.url,
            data=request.as_bytes(),
            headers={"Content-Type": CONTENT_TYPE},
            method="POST",
        )
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as answer:  # noqa: S310
                reply = answer.read()
        except OSError as exc:
            raise Unavailable(f"time-stamping authority {self.url}: {exc}") from exc
        response = rfc3161_client.decode_timestamp_response(reply)
        if response.status not in (0, 1):  # granted, granted with mods
            raise Unavailable(f"time-stamping authority refused: {response.status_string}")
        if response.tst_info.nonce != request.nonce:
            raise Unavailable("time-stamping authority answered another request")
        imprint = response.tst_info.message_imprint.message

        if imprint != hashlib.sha256(data).digest():
            raise Unavailable("time-stamping authority stamped other data")
        return bytes(reply)
