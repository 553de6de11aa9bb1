"""Domain and URL of a browser window, read from its title (pure).

Browsers do not publish the URL to other processes; their titles are ``<page> - <Browser>``.
The page part exposes a URL or host when the page title contains it (URL-in-title extensions,
bare pages, local files) or when the page is a well-known site whose name ends the title.
Anything else gives ``(None, None)``: better no domain than a guessed one.
"""

from __future__ import annotations

import re

BROWSER_PROCESSES = frozenset({
    "firefox", "firefox-esr", "firefox-bin", "librewolf", "waterfox", "chrome", "google-chrome",
    "google-chrome-stable", "chromium", "chromium-browser", "brave", "brave-browser", "msedge",
    "microsoft-edge", "microsoft-edge-stable", "opera", "vivaldi", "vivaldi-bin", "safari",
    "epiphany", "falkon", "qutebrowser", "yandex", "arc", "zen",
})

_SUFFIX = re.compile(
    r"\s+[-\u2013\u2014|]\s+(?:Mozilla Firefox(?: Private Browsing)?|Firefox(?: Developer Edition)?|"
    r"Google Chrome|Chromium|Brave|Microsoft\u200b? ?Edge|Opera|Vivaldi|Safari|LibreWolf|Waterfox|"
    r"qutebrowser|Web|Falkon|Yandex)\s*$",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(https?://[^\s<>\"'()]+)", re.IGNORECASE)
_HOST = re.compile(
    r"(?:^|[\s(\[|\u2013\u2014-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?::\d+)?"
    r"(?:/\S*)?(?=$|[\s)\]|,])",
    re.IGNORECASE,
)
_FILE_EXT = re.compile(r"\.(?:pdf|txt|png|jpe?g|gif|py|md|html?|docx?|xlsx?|zip|exe|json|csv)$", re.I)

# Site names that common sites put at the end of their page titles.
KNOWN_SITES: dict[str, str] = {
    "youtube": "youtube.com", "github": "github.com", "gitlab": "gitlab.com",
    "stack overflow": "stackoverflow.com", "gmail": "mail.google.com", "google docs": "docs.google.com",
    "google sheets": "docs.google.com", "google drive": "drive.google.com", "reddit": "reddit.com",
    "facebook": "facebook.com", "instagram": "instagram.com", "linkedin": "linkedin.com",
    "netflix": "netflix.com", "twitch": "twitch.tv", "wikipedia": "wikipedia.org",
    "x": "x.com", "twitter": "twitter.com", "slack": "slack.com", "jira": "atlassian.net",
    "confluence": "atlassian.net", "notion": "notion.so", "figma": "figma.com",
    "outlook": "outlook.office.com", "chatgpt": "chatgpt.com", "google search": "google.com",
}
_SITE_TAIL = re.compile(r"\s+[-\u2013\u2014|/·:]\s+([^-\u2013\u2014|/·:]{1,40})\s*$")


def is_browser(process_name: str) -> bool:
    name = (process_name or "").lower()
    if name.endswith(".exe"):
        name = name[:-4]
    return name in BROWSER_PROCESSES


def page_title(title: str) -> str:
    """The title without the trailing `` - Browser name``."""
    return _SUFFIX.sub("", title or "").strip()


def parse_title(process_name: str, title: str) -> tuple[str | None, str | None]:
    """``(domain, url)`` from a browser window title; ``(None, None)`` when it does not say."""
    if not is_browser(process_name) or not title:
        return None, None
    page = page_title(title[:4096])
    url_match = _URL.search(page)
    if url_match:
        url = url_match.group(1).rstrip(".,;")
        host = re.sub(r"^https?://", "", url, flags=re.I).split("/", 1)[0].split("@")[-1]
        host = host.split(":", 1)[0].lower()
        return (host or None), url
    host_match = _HOST.search(page)
    if host_match and not _FILE_EXT.search(host_match.group(1)):
        return host_match.group(1).lower(), None
    tail = _SITE_TAIL.search(page)
    candidate = (tail.group(1) if tail else page).strip().lower()
    if candidate in KNOWN_SITES:
        return KNOWN_SITES[candidate], None
    return None, None
