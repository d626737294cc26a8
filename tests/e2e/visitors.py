"""What a visitor does on the site: a comment through the public form, as a browser sends it."""

from __future__ import annotations

import re

import requests


def post_comment(
    site_url: str,
    post_id: int,
    text: str,
    email: str,
    *,
    author: str,
    agent: str,
    url: str | None = None,
    parent: int = 0,
) -> int:
    """Post a comment (or a reply to comment `parent`) through wp-comments-post.php; its id."""
    form: dict[str, object] = {"comment_post_ID": post_id, "author": author, "email": email}
    if url is not None:
        form["url"] = url
    form.update({"comment": text, "comment_parent": parent, "submit": "Publicera kommentar"})
    response = requests.post(
        site_url + "/wp-comments-post.php",
        data=form,
        headers={"User-Agent": agent},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:2000]
    found = re.search(r"#comment-(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))
