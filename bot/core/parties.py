"""Parties as the bot spells them, and the one table of their names in prose.

Feeds label parties every which way ("Dem", "D", "Democratic", "REP"); the swing, the balance
of power and the model's trend tables compare them, so they are normalized once, here, at the
bottom of the core (the model imports this module; it imports nothing of ours).
"""

from __future__ import annotations

DEM = "Dem"
GOP = "GOP"
IND = "Ind"

_PARTY_ALIASES = {
    "dem": DEM, "d": DEM, "democrat": DEM, "democratic": DEM, "democrats": DEM,
    "gop": GOP, "rep": GOP, "r": GOP, "republican": GOP, "republicans": GOP,
    "ind": IND, "i": IND, "independent": IND,
}  # fmt: skip

#: The one definition of a party's plural and adjective in prose (swing, balance, answers).
PARTY_PLURAL = {DEM: "Democrats", GOP: "Republicans", IND: "Independents"}
PARTY_ADJECTIVE = {DEM: "Democratic", GOP: "Republican", IND: "Independent"}
#: The pictures' colours (bot/render/chart.py, county_map.py): the blue and red US newsrooms use,
#: dark enough for white text and for a line on a white ground; anyone else is grey.
PARTY_COLOUR = {DEM: "#1f5aa6", GOP: "#c0282d", IND: "#6b5b95"}
OTHER_COLOUR = "#6e6e6e"


def normalize_party(party: str | None) -> str | None:
    """The party as the bot spells it: 'Dem', 'GOP', 'Ind'; other labels pass through trimmed."""
    if party is None:
        return None
    text = party.strip()
    if not text:
        return None
    return _PARTY_ALIASES.get(text.lower().rstrip("."), text)
