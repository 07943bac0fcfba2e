"""AP's JSON as typed shapes (msgspec Structs): the fast way in for a reply that looks as AP sends it.

Why: a national reply is 26 MB, 7,000 races and 110,000 candidate rows. Decoded into dicts it
costs a dict per row and a ``.get`` per field read; decoded straight into Structs it costs about
half, and msgspec checks each field's type (and that counts are ≥ 0) on the way in, in C.

Each field is typed as AP sends it (ids and names as text, counts as whole numbers ≥ 0, flags as
true/false), and the fields AP does not always send default to what ``dict.get`` would have
given the generic path (``None``; ``voteCount`` 0). A value of any other shape makes msgspec
refuse the *race* it is in, and that race alone is read by the generic path (:mod:`.races`),
which says what is wrong as it always did. Only the fields the parser reads are declared:
msgspec skips the others. Every race is kept as its raw bytes first (``msgspec.Raw``), so one odd
race is decoded twice and the rest once.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Count = Annotated[int, msgspec.Meta(ge=0)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]


class ApCandidate(msgspec.Struct, gc=False):
    """A candidate entry: on a unit's ``candidates`` (with ``voteCount``) or on the race's roster."""

    candidateID: str | None = None  # AP's own keys: the Struct is the JSON's shape
    polID: str | None = None
    polNum: str | None = None
    first: str | None = None
    last: str | None = None
    party: str | None = None
    incumbent: bool | None = None
    voteCount: Count = 0  # null is not 0: it is refused, as the generic path refuses it
    winner: str | None = None


class ApUnit(msgspec.Struct, gc=False):
    statePostal: str | None = None
    stateName: str | None = None
    level: str | None = None
    reportingunitID: str | None = None
    reportingunitName: str | None = None
    fipsCode: str | None = None
    lastUpdated: str | None = None
    precinctsReporting: Count | None = None
    precinctsTotal: Count | None = None
    eevp: Percent | None = None
    candidates: list[ApCandidate] | None = None


class ApRace(msgspec.Struct, gc=False):
    raceID: str | None = None
    statePostal: str | None = None
    officeID: str | None = None
    officeName: str | None = None
    seatName: str | None = None
    raceType: str | None = None
    raceTypeID: str | None = None
    party: str | None = None
    test: bool | None = None
    resultsType: str | None = None
    national: bool | None = None
    eevp: Percent | None = None
    numWinners: Annotated[int, msgspec.Meta(ge=1)] | None = None
    raceCallStatus: str | None = None
    tabulationStatus: str | None = None
    lastUpdated: str | None = None
    flippedSeat: bool | None = None
    candidates: list[ApCandidate] | None = None
    reportingUnits: list[ApUnit] | None = None


class ApReplyShape(msgspec.Struct, gc=False):
    """The top level. ``races`` is required: a document without it is another kind of AP
    document, which the generic path names. The other fields are read by the same readers as
    on the generic path, so they are left untyped."""

    races: list[msgspec.Raw]
    nextrequest: Any = None
    isTruncated: Any = False
    timestamp: Any = None
    electionDate: Any = None


decode_reply = msgspec.json.Decoder(ApReplyShape).decode
decode_race = msgspec.json.Decoder(ApRace).decode
decode_any = msgspec.json.Decoder().decode

#: what msgspec raises for a document or race it will not read (RecursionError: nesting too deep)
REFUSED = (msgspec.DecodeError, RecursionError)
