"""Tell a document's type from its first bytes; the client's label is never trusted."""

from __future__ import annotations

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)

EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}


def sniff(head: bytes) -> str | None:
    """The media type the content shows, or None when it is none of the types we accept."""
    for magic, media_type in SIGNATURES:
        if head.startswith(magic):
            return media_type
    return None


def extension_matches(filename: str, media_type: str) -> bool:
    lowered = filename.lower()
    return any(lowered.endswith(ext) for ext in EXTENSIONS.get(media_type, ()))
