"""What the ``/user`` page shows, in words: accounts, devices, times, image URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from threshold.core.records.users import User
from threshold.services.sessions.accounts import Account, AccountsView
from threshold.wire.images import image_url
from threshold.wire.sessions import describe_user_agent

__all__ = [
    "AccountLine",
    "ProfileView",
    "SessionLine",
    "describe_device",
    "display_name",
    "profile_view",
    "relative_time",
]

_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


_UNITS = ((3600, 60, "minute"), (86400, 3600, "hour"), (7 * 86400, 86400, "day"))


@dataclass(frozen=True, slots=True)
class AccountLine:
    """One account signed in on this browser."""

    session_id: str
    name: str
    email: str
    image_url: str
    active: bool


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One live session of the active user, on some device."""

    id: str
    device: str
    mobile: bool
    ip: str
    last_active: str
    last_active_iso: str
    current: bool


@dataclass(frozen=True, slots=True)
class ProfileView:
    """Everything ``user.html`` renders."""

    user_id: str
    first_name: str
    last_name: str
    name: str
    email: str
    image_url: str
    has_image: bool
    accounts: list[AccountLine]
    sessions: list[SessionLine]


def display_name(user: User, email: str | None) -> str:
    """ "First Last", else the email address, else the user id."""
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return name or email or user.id


def describe_device(user_agent: str | None) -> tuple[str, bool]:
    """("Chrome 120 on macOS", is_mobile) from a User-Agent, roughly."""
    ua = user_agent or ""
    browser, version, mobile = describe_user_agent(ua)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    if browser != "Unknown":
        label = f"{browser} {version}".strip()
    else:  # an app or script: its product name ("python-httpx"), else nothing known
        label = ua.split(" ", 1)[0].split("/", 1)[0][:40] or "Unknown browser"
    return (f"{label} on {system}" if system else label), mobile


def relative_time(then_ms: int, now_ms: int) -> str:
    """ "just now", "5 minutes ago", "3 hours ago", "2 days ago" or a date."""
    seconds = max(0, (now_ms - then_ms) // 1000)
    if seconds < 60:
        return "just now"
    for limit, size, unit in _UNITS:
        if seconds < limit:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return datetime.fromtimestamp(then_ms / 1000, UTC).strftime("%d %b %Y").lstrip("0")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _account_line(public_url: str, account: Account, active_id: str) -> AccountLine:
    email = account.email or ""
    return AccountLine(
        session_id=account.session.id,
        name=display_name(account.user, account.email),
        email=email,
        image_url=image_url(public_url, account.user),
        active=account.session.id == active_id,
    )


def profile_view(view: AccountsView, public_url: str, now_ms: int) -> ProfileView:
    """Shape the accounts view for the template (``view.active`` must be set)."""
    active = view.active
    assert active is not None
    user = active.user
    active_id = active.session.id
    sessions = []
    for session in view.sessions:
        device, mobile = describe_device(session.user_agent)
        sessions.append(
            SessionLine(
                id=session.id,
                device=device,
                mobile=mobile,
                ip=session.ip_address or "unknown",
                last_active=relative_time(session.last_active_at, now_ms),
                last_active_iso=_iso(session.last_active_at),
                current=session.id == active_id,
            )
        )
    return ProfileView(
        user_id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        name=display_name(user, active.email),
        email=active.email or "",
        image_url=image_url(public_url, user),
        has_image=bool(user.image_id),
        accounts=sorted(
            (_account_line(public_url, a, active_id) for a in view.accounts),
            key=lambda line: not line.active,
        ),
        sessions=sessions,
    )
