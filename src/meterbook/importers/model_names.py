"""Console display names -> the model names the vendor's API uses.

Vendor consoles label usage with display names ("Claude 3.5 Sonnet 2024-10-22") while requests,
usage APIs and price lists use API names ("claude-3-5-sonnet-20241022"). Records carry the API
name, so that one plan's `model` glob matches usage whichever export it came from.

Anthropic, as checked against Anthropic's model documentation (platform.claude.com "Models
overview" and the Models API, whose `display_name` is what the Console shows):
- API names are the display words lower-cased and joined by "-", with the version's dot
  written as "-" ("Claude Haiku 4.5" -> claude-haiku-4-5, "Claude 3.5 Sonnet" ->
  claude-3-5-sonnet) and a snapshot date as YYYYMMDD (claude-3-5-sonnet-20241022,
  claude-sonnet-4-20250514).
- Claude 3.x names put the version before the family (claude-3-7-sonnet, claude-3-5-haiku,
  claude-3-opus); newer docs display them family first ("Claude Sonnet 3.7", "Claude Haiku 3.5",
  "Claude Opus 3"), so a version below 4 after the family is moved before it.
- Exceptions, in a table: the legacy models keep their dot (claude-2.0, claude-2.1,
  claude-instant-1.2), and the Models API calls claude-3-5-sonnet-20241022
  "Claude 3.5 Sonnet (New)".
- Without a date the name is the alias-like prefix of the snapshot id ("Claude Sonnet 4" ->
  claude-sonnet-4, a prefix of claude-sonnet-4-20250514), so a plan glob "claude-sonnet-4*"
  matches dated and undated usage alike. (Anthropic's own alias for that model is
  claude-sonnet-4-0; the rule does not invent the "-0".)
"""

from __future__ import annotations

import re

# Display name (lower-case, single spaces) -> API name, where the rule would be wrong.
_ANTHROPIC_EXCEPTIONS = {
    "claude 3.5 sonnet (new)": "claude-3-5-sonnet-20241022",
    "claude 2.0": "claude-2.0",
    "claude 2.1": "claude-2.1",
    "claude instant 1.2": "claude-instant-1.2",
}

_FAMILIES = frozenset({"opus", "sonnet", "haiku"})
_API_FORM = re.compile(r"[a-z0-9][a-z0-9._:@/-]*")  # already an API name: nothing to map
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_VERSION = re.compile(r"\d+(?:\.\d+)*")


def api_model_name(vendor: str, display: str) -> str:
    """The API model name for a console display name; names already in API form, names of
    vendors without a known mapping and empty names are returned unchanged."""
    if vendor.strip().lower() != "anthropic":
        return display
    return _anthropic(display)


def _anthropic(display: str) -> str:
    name = display.strip()
    if not name or _API_FORM.fullmatch(name):
        return display
    key = " ".join(name.lower().split())
    if key in _ANTHROPIC_EXCEPTIONS:
        return _ANTHROPIC_EXCEPTIONS[key]
    # A snapshot date YYYY-MM-DD is written YYYYMMDD; then words split on spaces and dashes.
    key = _DATE.sub(lambda m: "".join(m.groups()), key)
    words = [w for w in re.split(r"[\s\-]+", key) if w]
    if len(words) >= 3 and words[0] == "claude" and words[1] in _FAMILIES:
        version = words[2]
        if _VERSION.fullmatch(version) and int(version.split(".")[0]) < 4:
            words[1], words[2] = version, words[1]  # "claude sonnet 3.7" -> claude-3-7-sonnet
    out = []
    for word in words:
        if _VERSION.fullmatch(word):
            out.append(word.replace(".", "-"))
        else:
            # Brackets, commas and the like are not part of API names.
            cleaned = re.sub(r"[^a-z0-9.]+", "-", word).strip("-")
            if cleaned:
                out.append(cleaned)
    return "-".join(out) or display  # nothing name-like in it ("--"): leave it to the caller
