"""Plan globs: case-insensitive, `*` any run of characters, `?` exactly one, and every other
character literal (`[` too: there are no character classes)."""

from __future__ import annotations


def _same_char(a: str, b: str) -> bool:
    # Character by character, so a pattern and a text always line up one to one.
    return a == b or a.casefold() == b.casefold()


def matches(pattern: str, text: str) -> bool:
    """Whether a plan glob matches text (case-insensitive; only `*` and `?` are special)."""
    p = t = 0
    star = -1  # position in pattern just after the last `*` seen
    star_t = 0  # position in text that `*` was last extended to
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, star_t = p + 1, t
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or _same_char(pattern[p], text[t])):
            p += 1
            t += 1
        elif star >= 0:
            # Let the last `*` take one more character and retry from there; the classic
            # greedy backtrack is exact because only the last star ever needs to grow.
            star_t += 1
            p, t = star, star_t
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def globs_overlap(a: str, b: str) -> bool:
    """Whether some text matches both globs.

    The product of the two patterns' automata, walked as a DP over (i, j) = how much of each
    pattern has been used: every step moves i or j forward, so one pass in order is exact.
    """
    if not _ends_agree(a, b):
        return False
    n, m = len(a), len(b)
    reach = [[False] * (m + 1) for _ in range(n + 1)]
    reach[0][0] = True
    for i in range(n + 1):
        for j in range(m + 1):
            if not reach[i][j]:
                continue
            if i == n and j == m:
                return True
            star_a = i < n and a[i] == "*"
            star_b = j < m and b[j] == "*"
            if star_a:
                reach[i + 1][j] = True  # this star is done (it may have taken nothing)
                if j < m:
                    reach[i][j + 1] = True  # it takes the character b[j] stands for
            if star_b:
                reach[i][j + 1] = True
                if i < n:
                    reach[i + 1][j] = True
            # Two single characters: a `?` can be anything, two literals must agree.
            if (
                i < n
                and j < m
                and not star_a
                and not star_b
                and (a[i] == "?" or b[j] == "?" or _same_char(a[i], b[j]))
            ):
                reach[i + 1][j + 1] = True
    return reach[n][m]


def _ends_agree(a: str, b: str) -> bool:
    """A quick necessary condition: the fixed-width starts (before any `*`) and ends agree.

    Most pairs of model patterns in a catalog differ within their first few characters, so
    this settles them without the quadratic walk below.
    """
    if "*" not in a and "*" not in b and len(a) != len(b):
        return False
    for x, y in ((a, b), (a[::-1], b[::-1])):
        for i in range(min(_fixed(x), _fixed(y))):
            if x[i] != "?" and y[i] != "?" and not _same_char(x[i], y[i]):
                return False
    return True


def _fixed(pattern: str) -> int:
    """How many leading characters stand for exactly one character each."""
    star = pattern.find("*")
    return len(pattern) if star < 0 else star


def specificity(pattern: str) -> tuple[int, int]:
    """Rule 3's order as a key: fewer wildcards, then longer; a larger key is more specific."""
    wildcards = pattern.count("*") + pattern.count("?")
    return (-wildcards, len(pattern))
