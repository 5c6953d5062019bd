"""Reading an HTTP body, from a caller or a recipient, without holding more than a limit in memory."""

from __future__ import annotations

from aiohttp import StreamReader

__all__ = ["read_bounded"]


async def read_bounded(content: StreamReader, declared: int | None, limit: int, too_large: Exception) -> bytes:
    """The whole body; ``too_large`` is raised as soon as the declared or the counted length passes ``limit``."""
    if declared is not None and declared > limit:
        raise too_large
    chunks, total = [], 0
    async for chunk in content.iter_any():
        total += len(chunk)
        if total > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
