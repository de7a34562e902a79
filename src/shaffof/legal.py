"""Citations of legal norms, stored as data beside what they justify (shared/legal.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, HttpUrl


class Citation(BaseModel):
    """``{law: "ZRU-445", article: "28", part: "1", title: "...", url: "https://lex.uz/docs/3336171"}``"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    law: str
    article: str | None = None
    part: str | None = None
    title: str
    url: HttpUrl | None = None

    def __str__(self) -> str:
        where = f" Art. {self.article}" if self.article else ""
        where += f"({self.part})" if self.part else ""
        return f"{self.law}{where}: {self.title}"
