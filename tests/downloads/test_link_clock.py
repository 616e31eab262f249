"""Download links live DOWNLOAD_LINK_TTL seconds by the portal's clock: a link issued after a
test moved time expires that long after the moved time, and is refused once the clock passes
it."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.downloads import services
from accord.downloads.models import DownloadLink

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2031, 5, 4, 10, 30, tzinfo=dt.UTC)


def test_link_expiry_follows_the_travelled_clock(clock, settings, licence, big_file, member):
    clock.travel(to=LATER)

    issued = services.download_link_issue(
        user=member,
        file_id=big_file.pk,
        channel=DownloadLink.Channel.API,
        binding=DownloadLink.Binding.NONE,
    )

    ttl = min(settings.DOWNLOAD_LINK_TTL, services.UNBOUND_LINK_TTL)
    assert issued.link.expires_at == LATER + dt.timedelta(seconds=ttl)
    assert not issued.link.is_expired()
    clock.advance(seconds=ttl)
    assert issued.link.is_expired()
    with pytest.raises(services.LinkExpired):
        services.download_link_check(secret=issued.secret)
