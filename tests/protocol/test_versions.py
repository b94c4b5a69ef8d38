"""Protocol versions, dialects, close codes and legacy reasons (PR1–PR4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlsync_core.protocol import (
    CURRENT_PROTOCOL_VERSION,
    SPOKEN_PROTOCOL_VERSIONS,
    TLDRAW_PROTOCOL_VERSIONS,
    TLSYNC_PROTOCOL_VERSION,
    TLIncompatibilityReason,
    TLSyncErrorCloseEventCode,
    TLSyncErrorCloseEventReason,
    VersionNegotiation,
    client_protocol_version,
    close_reason_for_incompatibility,
    close_reason_or_default,
    fallback_protocol_version,
    legacy_incompatibility_reason,
    negotiate_protocol_version,
)

CLIENT_TOO_OLD = TLSyncErrorCloseEventReason.CLIENT_TOO_OLD
SERVER_TOO_OLD = TLSyncErrorCloseEventReason.SERVER_TOO_OLD


@pytest.mark.spec("PR1")
def test_constants() -> None:
    """The seed constant is 3, the modern one 8; we speak 3 and 5–8, 5.4.2 only 5–8."""
    assert TLSYNC_PROTOCOL_VERSION == 3
    assert CURRENT_PROTOCOL_VERSION == 8
    assert frozenset({3, 5, 6, 7, 8}) == SPOKEN_PROTOCOL_VERSIONS
    assert frozenset({5, 6, 7, 8}) == TLDRAW_PROTOCOL_VERSIONS


# announced -> (dialect, requires_legacy_rejection, supports_string_append), as PR2 reads them
ACCEPTED = {
    3: (3, True, False),
    5: (8, True, False),
    6: (8, True, False),
    7: (8, False, False),
    8: (8, False, True),
}


@pytest.mark.spec("PR2")
@pytest.mark.parametrize("announced", sorted(ACCEPTED))
def test_accepted_versions_follow_the_table(announced: int) -> None:
    """3, 5, 6, 7 and 8 are accepted with the flags of PR2 (3 is ours)."""
    result = negotiate_protocol_version(announced)
    assert result.accepted and result.rejection is None
    assert (result.dialect, result.requires_legacy_rejection, result.supports_string_append) == (
        ACCEPTED[announced]
    )


@pytest.mark.spec("PR2")
@pytest.mark.parametrize(
    ("announced", "reason"),
    [
        (None, CLIENT_TOO_OLD),
        (-1, CLIENT_TOO_OLD),
        (0, CLIENT_TOO_OLD),
        (1, CLIENT_TOO_OLD),
        (2, CLIENT_TOO_OLD),
        (4, CLIENT_TOO_OLD),
        (7.5, CLIENT_TOO_OLD),
        ("8", CLIENT_TOO_OLD),
        (True, CLIENT_TOO_OLD),
        (9, SERVER_TOO_OLD),
        (8.5, SERVER_TOO_OLD),
        (10**9, SERVER_TOO_OLD),
    ],
)
def test_refused_versions(announced: object, reason: str) -> None:
    """Below or between the spoken versions (or missing, or not a number) is CLIENT_TOO_OLD;
    above them SERVER_TOO_OLD; the refusal is a 4099 close (no legacy rejection)."""
    result = negotiate_protocol_version(announced)
    assert not result.accepted and result.dialect is None
    assert result.rejection == reason
    assert not result.requires_legacy_rejection
    assert str(reason) in result.detail


@pytest.mark.spec("PR2")
@given(st.one_of(st.integers(-5, 20), st.none(), st.floats(allow_nan=False)))
def test_modern_only_server_is_exactly_5_4_2(announced: object) -> None:
    """With ``dialects={8}`` the decision is 5.4.2's: 3 is refused as CLIENT_TOO_OLD, like 4."""
    result = negotiate_protocol_version(announced, dialects={8})
    if announced in (5, 6, 7, 8):
        assert result.accepted and result.dialect == 8
        return
    assert not result.accepted
    too_new = isinstance(announced, int | float) and announced > 8
    assert result.rejection == (SERVER_TOO_OLD if too_new else CLIENT_TOO_OLD)


@pytest.mark.spec("PR2")
def test_seed_only_server_refuses_modern_clients_the_legacy_way() -> None:
    """A server speaking only 3 refuses 5–8 as SERVER_TOO_OLD with an incompatibility_error
    (it has no close codes), and 2 as CLIENT_TOO_OLD."""
    for announced in (5, 8, 9):
        result = negotiate_protocol_version(announced, dialects={3})
        assert result.rejection == SERVER_TOO_OLD and result.requires_legacy_rejection
    assert negotiate_protocol_version(2, dialects={3}).rejection == CLIENT_TOO_OLD
    assert negotiate_protocol_version(3, dialects={3}).dialect == 3
    with pytest.raises(ValueError, match="subset"):
        negotiate_protocol_version(8, dialects={4})


@pytest.mark.spec("PR2")
def test_negotiation_is_a_small_frozen_value() -> None:
    """The result is an immutable value that compares by content."""
    result = negotiate_protocol_version(8)
    assert result == VersionNegotiation(8, True, 8, False, True)
    with pytest.raises(AttributeError):
        result.accepted = False  # type: ignore[misc]


@pytest.mark.spec("PR3")
def test_client_announces_and_falls_back_to_protocol_3() -> None:
    """A client announces 8 (3 in the v3 dialect); told that the server is too old before any
    handshake, a v8 client retries with 3, and nothing else falls back."""
    assert client_protocol_version() == 8
    assert client_protocol_version(3) == 3
    with pytest.raises(ValueError):
        client_protocol_version(5)  # type: ignore[arg-type]
    assert fallback_protocol_version(8, "SERVER_TOO_OLD") == 3
    assert fallback_protocol_version(8, TLIncompatibilityReason.ServerTooOld) == 3
    assert fallback_protocol_version(8, "SERVER_TOO_OLD", handshake_completed=True) is None
    assert fallback_protocol_version(8, "CLIENT_TOO_OLD") is None
    assert fallback_protocol_version(8, "FORBIDDEN") is None
    assert fallback_protocol_version(3, "SERVER_TOO_OLD") is None
    assert fallback_protocol_version(3, "serverTooOld") is None


@pytest.mark.spec("PR3")
def test_fallback_meets_the_negotiation() -> None:
    """End to end with the pure functions: a v3-only server refuses 8 as too old, the client
    falls back to 3, and the v3-only server accepts that."""
    refused = negotiate_protocol_version(client_protocol_version(), dialects={3})
    assert refused.rejection is not None
    retry = fallback_protocol_version(8, legacy_incompatibility_reason(refused.rejection))
    assert retry == 3
    assert negotiate_protocol_version(retry, dialects={3}).accepted


@pytest.mark.spec("PR4")
def test_close_code_and_reasons() -> None:
    """Code 4099 and tldraw's nine reasons, each equal to its wire string."""
    assert TLSyncErrorCloseEventCode == 4099
    assert [r.value for r in TLSyncErrorCloseEventReason] == [
        "NOT_FOUND",
        "FORBIDDEN",
        "NOT_AUTHENTICATED",
        "UNKNOWN_ERROR",
        "CLIENT_TOO_OLD",
        "SERVER_TOO_OLD",
        "INVALID_RECORD",
        "RATE_LIMITED",
        "ROOM_FULL",
    ]
    assert TLSyncErrorCloseEventReason.ROOM_FULL == "ROOM_FULL"
    assert TLIncompatibilityReason.ClientTooOld.value == "clientTooOld"
    assert {r.value for r in TLIncompatibilityReason} == {
        "clientTooOld",
        "serverTooOld",
        "invalidRecord",
        "invalidOperation",
        "roomNotFound",
        "forbidden",
    }


@pytest.mark.spec("PR4")
@pytest.mark.parametrize(
    ("reason", "legacy"),
    [
        ("CLIENT_TOO_OLD", "clientTooOld"),
        ("SERVER_TOO_OLD", "serverTooOld"),
        ("INVALID_RECORD", "invalidRecord"),
        ("UNKNOWN_ERROR", "invalidOperation"),
        ("NOT_FOUND", "invalidOperation"),
        ("FORBIDDEN", "invalidOperation"),
        ("my own reason", "invalidOperation"),
    ],
)
def test_legacy_mapping(reason: str, legacy: str) -> None:
    """5.4.2's mapping for protocol 5/6 sessions; everything else is invalidOperation."""
    assert legacy_incompatibility_reason(reason) == legacy


@pytest.mark.spec("PR4")
def test_reverse_mapping_and_default_reason() -> None:
    """Legacy reasons read back as close reasons (ours); an empty close reason is UNKNOWN_ERROR."""
    assert close_reason_for_incompatibility("clientTooOld") == "CLIENT_TOO_OLD"
    assert close_reason_for_incompatibility("roomNotFound") == "NOT_FOUND"
    assert close_reason_for_incompatibility("forbidden") == "FORBIDDEN"
    assert close_reason_for_incompatibility("invalidOperation") == "UNKNOWN_ERROR"
    assert close_reason_or_default("") == "UNKNOWN_ERROR"
    assert close_reason_or_default(None) == "UNKNOWN_ERROR"
    assert close_reason_or_default("ROOM_FULL") == "ROOM_FULL"
