"""Head+tail truncation of long output (workflow rules §9.4).

A model reading a tool's output needs its start (what ran, the first error) and its
end (the summary line, the final traceback) far more than its middle, so long output
keeps half the budget from each end and names what was cut in tokens (bytes / 4).
"""

from __future__ import annotations

_MARKER = "\n…{tokens} tokens truncated…\n"


def _marker(omitted_bytes: int) -> bytes:
    # Rounded up, so a cut of 1 to 4 bytes still says "1 tokens", never "0".
    return _MARKER.format(tokens=(omitted_bytes + 3) // 4).encode()


def _is_continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def clip(first: bytes, last: bytes, total: int, limit_bytes: int) -> tuple[str, bool]:
    """Render a byte stream of `total` bytes in at most `limit_bytes` (marker included).

    `first` holds at least the stream's first `limit_bytes // 2` bytes (or all of it) and
    `last` at least its last `limit_bytes - limit_bytes // 2`; the two may overlap, and
    when the whole stream fits, `first + last` must be the whole stream with no overlap.
    Returns the decoded text and whether anything was cut.
    """
    if total <= max(limit_bytes, 0):
        return (first + last)[:total].decode("utf-8", errors="replace"), False
    # The marker for the largest possible cut is at least as long as the real one, so
    # budgeting for it keeps the result within the limit whatever is finally cut.
    keep = max(limit_bytes - len(_marker(total)), 0)
    head_size = keep // 2
    tail_start = len(last) - (keep - head_size)
    # Cut on character boundaries: a UTF-8 sequence split in two would decode to
    # replacement characters that were never in the output.
    while 0 < head_size < len(first) and _is_continuation(first[head_size]):
        head_size -= 1
    while tail_start < len(last) and _is_continuation(last[tail_start]):
        tail_start += 1
    head, tail = first[:head_size], last[tail_start:]
    marker = _marker(total - len(head) - len(tail))
    return (head + marker + tail).decode("utf-8", errors="replace"), True


def truncate_middle(text: str, limit_bytes: int) -> str:
    """`text` if its UTF-8 form fits in `limit_bytes`, else its head and tail around a marker.

    The marker reads `…N tokens truncated…` on a line of its own, N being the cut bytes
    divided by 4; the result, marker included, is at most `limit_bytes` bytes (unless the
    limit is smaller than the marker itself).
    """
    data = text.encode("utf-8", errors="surrogatepass")
    if len(data) <= limit_bytes:
        return text
    return clip(data, data, len(data), limit_bytes)[0]


class HeadTail:
    """Collects a stream's first and last bytes in bounded memory, counting the rest.

    Holds at most `limit_bytes` bytes however much is fed in: the first half of the
    budget as it arrives, then a rolling window of the last half.
    """

    def __init__(self, limit_bytes: int) -> None:
        self._head_cap = max(limit_bytes, 0) // 2
        self._tail_cap = max(limit_bytes, 0) - self._head_cap
        self._limit = max(limit_bytes, 0)
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        """Add the next piece of the stream."""
        self.total += len(chunk)
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        if len(chunk) >= self._tail_cap:
            self._tail[:] = chunk[len(chunk) - self._tail_cap :]
        else:
            self._tail += chunk
            # Trim only once the window has doubled, so each byte is moved O(1) times.
            if len(self._tail) > 2 * self._tail_cap:
                del self._tail[: len(self._tail) - self._tail_cap]

    def render(self) -> tuple[str, bool]:
        """The collected text, truncated in the middle when the stream was longer than the limit."""
        return clip(bytes(self._head), bytes(self._tail), self.total, self._limit)
