"""The office vocabulary: what real results sites call a contest → the office a desk asks for.

The strings are the shapes real sites print (Clarity state and county sites, county CSV exports,
AP's officeName); the expected kinds and labels are what a politics desk calls those offices.
"""

from __future__ import annotations

import pytest

from bot.core.model import Candidate, Level, Race, ReportingUnit
from bot.core.names import display_name, first_language, split_markers, surname, title_case_name, title_case_office
from bot.core.offices import LABELS, classify, matches, party_adjective, race_office
from bot.feeds.naming import named


@pytest.mark.parametrize(
    ("name", "kind", "label", "district"),
    [
        # the U.S. Senate, however it is written
        ("U.S. SENATOR", "senate", "U.S. Senate", None),
        ("UNITED STATES SENATOR", "senate", "U.S. Senate", None),
        ("United States Senator", "senate", "U.S. Senate", None),
        ("US Senate (Perdue)", "senate", "U.S. Senate", None),
        ("U.S. Senate", "senate", "U.S. Senate", None),
        ("US SENATE", "senate", "U.S. Senate", None),
        ("U. S. Senator", "senate", "U.S. Senate", None),
        # specials are told apart
        ("US SENATE - SPECIAL", "senate", "U.S. Senate (special)", None),
        ("US Senate (Loeffler) - Special", "senate", "U.S. Senate (special)", None),
        ("UNITED STATES SENATOR (UNEXPIRED TERM) SPECIAL ELECTION", "senate", "U.S. Senate (special)", None),
        # the U.S. House, with its district as the seat
        ("U.S. REPRESENTATIVE DISTRICT 2", "house", "U.S. House", "District 2"),
        ("US House District 14", "house", "U.S. House", "District 14"),
        ("U.S. HOUSE OF REPRESENTATIVES DISTRICT 1", "house", "U.S. House", "District 1"),
        ("REPRESENTATIVE IN CONGRESS 7TH DISTRICT", "house", "U.S. House", "District 7"),
        ("US Representative, District 7", "house", "U.S. House", "District 7"),
        ("U.S. Congress District 3", "house", "U.S. House", "District 3"),
        ("Congressional District 5", "house", "U.S. House", "District 5"),
        ("U.S. House", "house", "U.S. House", None),
        # the president
        ("PRESIDENT", "president", "President", None),
        ("President of the United States", "president", "President", None),
        ("PRESIDENT AND VICE PRESIDENT", "president", "President", None),
        ("President and Vice President of the United States", "president", "President", None),
        ("PRESIDENTIAL ELECTORS FOR PRESIDENT AND VICE PRESIDENT", "president", "President", None),
        ("President/Vice President", "president", "President", None),
        # governors, and the lieutenant governor is not the governor's race
        ("GOVERNOR", "governor", "Governor", None),
        ("Governor", "governor", "Governor", None),
        ("GOVERNOR AND LIEUTENANT GOVERNOR", "governor", "Governor", None),
        ("LIEUTENANT GOVERNOR", "lt_governor", "Lieutenant Governor", None),
        ("Lt. Governor", "lt_governor", "Lieutenant Governor", None),
        # state legislatures
        ("State Senate District 1", "state_senate", "State Senate", "District 1"),
        ("STATE SENATOR 5TH SENATORIAL DISTRICT", "state_senate", "State Senate", "District 5"),
        ("State House District 97", "state_house", "State House", "District 97"),
        ("STATE REPRESENTATIVE DISTRICT 12", "state_house", "State House", "District 12"),
        ("MEMBER OF HOUSE OF DELEGATES 3RD DELEGATE DISTRICT", "state_house", "House of Delegates", "District 3"),
        ("Member of the State Assembly District 40", "state_house", "State Assembly", "District 40"),
        ("REPRESENTATIVE IN THE GENERAL ASSEMBLY 28TH DISTRICT", "state_house", "State House", "District 28"),
        # straight-party lines and ballot measures keep their own names
        ("STRAIGHT PARTY", "straight_party", "Straight Party", None),
        ("Straight Party Ticket", "straight_party", "Straight Party", None),
        ("Constitutional Amendment #1", "measure", "Constitutional Amendment #1", None),
        ("Statewide Referendum A", "measure", "Statewide Referendum A", None),
        ("Question", "measure", "Question", None),
        ("Proposition", "measure", "Proposition", None),
        # offices the vocabulary does not know keep their own name
        ("Public Service Commission District 4", None, "Public Service Commission District 4", None),
        ("District Attorney - Alcovy", None, "District Attorney - Alcovy", None),
        ("School Board", None, "School Board", None),
        ("Council President", None, "Council President", None),
        ("President Judge", None, "President Judge", None),
        ("Vice President", None, "Vice President", None),
    ],
)
def test_contest_names_map_to_the_office_a_desk_asks_for(
    name: str, kind: str | None, label: str, district: str | None
) -> None:
    office = classify(name)
    assert (office.kind, office.label, office.district) == (kind, label, district)


@pytest.mark.parametrize(
    ("name", "label", "party"),
    [
        ("PRESIDENT - REP", "President", "GOP"),
        ("PRESIDENT - DEM", "President", "Dem"),
        ("PRESIDENT (DEM)", "President", "Dem"),
        ("(REP) PRESIDENT", "President", "GOP"),
        ("US Senator - REPUBLICAN", "U.S. Senate", "GOP"),
        ("U.S. SENATOR - DEMOCRATIC PRIMARY", "U.S. Senate", "Dem"),
        ("State Senate District 39 - Special Democratic Primary", "State Senate (special)", "Dem"),
        ("GOVERNOR - LIBERTARIAN", "Governor", "Lib"),
        ("District Attorney - Cobb", "District Attorney - Cobb", None),  # a circuit, not a party
        ("Board of Education - At Large", "Board of Education - At Large", None),
    ],
)
def test_a_primary_written_into_the_contest_name_gives_its_party(name: str, label: str, party: str | None) -> None:
    office = classify(name)
    assert (office.label, office.party) == (label, party)


def test_bilingual_names_keep_the_first_language() -> None:
    assert classify("President of the United States/Presidentede los Estados Unidos").label == "President"
    office = classify("US Senate (Loeffler) - Special/Senado de los EE.UU. (Loeffler) - Especial")
    assert (office.kind, office.label, office.special) == ("senate", "U.S. Senate (special)", True)
    assert classify("US Senate (Perdue)/Senado de los EE.UU. (Perdue)").label == "U.S. Senate"
    assert first_language("County Commission Chairman/Presidente de la Comisión del Condado") == "County Commission Chairman"
    assert first_language("Yes/Sí") == "Yes"
    assert first_language("No/No") == "No"
    # a slash that is part of the name stays
    assert first_language("President/Vice President") == "President/Vice President"
    assert first_language("Board of Education At-Large/Post 7") == "Board of Education At-Large/Post 7"
    assert first_language("Joseph R. Biden/Kamala D. Harris") == "Joseph R. Biden/Kamala D. Harris"


def test_the_labels_of_known_offices_read_back_as_themselves() -> None:
    # a stored snapshot read again, AP's own officeName and the Alabama scenario keep their words
    for label in LABELS.values():
        assert classify(label).label == label
        assert classify(label + " (special)").label == label + " (special)"
    assert classify("U.S. Senate").label == "U.S. Senate"  # Alabama 2017: unchanged


def test_ap_office_ids_decide_the_kind() -> None:
    assert classify("U.S. Senate", "S").kind == "senate"
    assert classify("Senate", "Z").kind == "state_senate"
    assert classify("Initiative", "I").kind == "measure"
    assert matches("senate", "U.S. SENATOR") and not matches("senate", "STATE SENATOR DISTRICT 3")
    assert matches("governor", "GOVERNOR") and not matches("governor", "LIEUTENANT GOVERNOR")
    assert matches("house", "U.S. REPRESENTATIVE DISTRICT 2") and not matches("house", "State House District 7")


def test_unknown_offices_get_display_case_only_from_a_feed_in_capitals() -> None:
    assert classify("COUNTY COMMISSIONER DISTRICT 3", title=True).label == "County Commissioner District 3"
    assert classify("CLERK OF THE SUPERIOR COURT", title=True).label == "Clerk of the Superior Court"
    assert classify("COUNTY COMMISSIONER DISTRICT 3").label == "COUNTY COMMISSIONER DISTRICT 3"  # names = "as-is"
    assert classify("US House District 1", title=True).label == "U.S. House"
    assert title_case_office("Board of Education At-Large/Post 7") == "Board of Education At-Large/Post 7"


@pytest.mark.parametrize(
    ("office", "seat", "party", "expected"),
    [
        ("President", None, "GOP", "Republican primary for President"),
        ("President", None, "Dem", "Democratic primary for President"),
        ("U.S. House", "District 2", "Dem", "Democratic primary for U.S. House, District 2"),
        ("U.S. Senate", None, None, "U.S. Senate"),
        ("U.S. House", "District 1", None, "U.S. House, District 1"),
    ],
)
def test_a_primary_label_says_whose_primary(office: str, seat: str | None, party: str | None, expected: str) -> None:
    assert race_office(office, seat, party) == expected


def test_party_adjectives() -> None:
    assert [party_adjective(p) for p in ("GOP", "Rep", "republican", "Dem", "DEM", "Lib", "Grn", None, "")] == [
        "Republican",
        "Republican",
        "Republican",
        "Democratic",
        "Democratic",
        "Libertarian",
        "Green",
        None,
        None,
    ]


# -- candidate names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("DONALD J. TRUMP", "Donald J. Trump"),
        ("JOSEPH R. BIDEN", "Joseph R. Biden"),
        ("TRUMP", "Trump"),
        ("MITCH MCCONNELL", "Mitch McConnell"),
        ("Mitch McCONNELL", "Mitch McConnell"),  # Kentucky's county sites: surnames in capitals
        ("Matt BEVIN", "Matt Bevin"),
        ("BETO O'ROURKE", "Beto O'Rourke"),
        ("D'ANGELO RUSSELL", "D'Angelo Russell"),
        ("ROBERT F. KENNEDY JR.", "Robert F. Kennedy Jr."),
        ("JOHN SMITH, SR.", "John Smith, Sr."),
        ("LESTER G. JACKSON, III", "Lester G. Jackson, III"),
        ("P. K. MARTIN, IV", "P. K. Martin, IV"),
        ("HAROLD V. JONES, II", "Harold V. Jones, II"),
        ("ANGELA STANTON-KING", "Angela Stanton-King"),
        ("EARL L. ''BUDDY'' CARTER", "Earl L. ''Buddy'' Carter"),
        ("KEVIN VAN AUSDAL", "Kevin Van Ausdal"),
        ("JOSÉ PEÑA", "José Peña"),
        ("MACDONALD", "Macdonald"),  # Mac is as often a syllable (Mack, Macon) as a prefix: not guessed
        ("YES", "Yes"),
        ("WRITE-IN", "Write-In"),
        # names already in display case stay exactly as written
        ("Raphael Warnock", "Raphael Warnock"),
        ("Lucy McBath", "Lucy McBath"),
        ("Charles DeYoung", "Charles DeYoung"),
        ("Ben Ray Luján", "Ben Ray Luján"),
        ("Tulsi Gabbard", "Tulsi Gabbard"),
    ],
)
def test_title_case_gives_names_in_capitals_the_case_a_desk_prints(written: str, shown: str) -> None:
    assert title_case_name(written) == shown


def test_markers_inside_a_name_become_fields() -> None:
    assert split_markers("Donald J. Trump (I) (Rep)", "NP") == ("Donald J. Trump", "Rep", True)
    assert split_markers("Raphael Warnock (Dem)", "NP") == ("Raphael Warnock", "Dem", False)
    assert split_markers("Kelly Loeffler (I) (Rep)", None) == ("Kelly Loeffler", "Rep", True)
    assert split_markers("Tom Cotton", "REP") == ("Tom Cotton", "REP", False)  # the field wins when it says something
    assert display_name("Yes/Sí") == "Yes"
    assert display_name("JON OSSOFF", "title") == "Jon Ossoff"
    assert display_name("JON OSSOFF", "as-is") == "JON OSSOFF"
    assert surname(title_case_name("LAUREN BUBBA MCDONALD, JR.")) == "McDonald"
    assert [
        surname(n) for n in ("Chris Van Hollen", "Rocky De La Fuente", "Kevin Van Ausdal", "Van Morrison", "Doug Jones")
    ] == ["Van Hollen", "De La Fuente", "Van Ausdal", "Morrison", "Jones"]


def test_a_race_in_capitals_is_named_by_the_vocabulary() -> None:
    race = Race(
        state="WV",
        race_id="7",
        office="U.S. REPRESENTATIVE DISTRICT 2",
        candidates=(Candidate("1", "ALEX X. MOONEY", "REP"), Candidate("2", "CATHY KUNKEL", "DEM")),
        units=(ReportingUnit("WV", Level.STATE, "West Virginia", {"1": 10, "2": 9}),),
    )
    shown = named(race, "title")
    assert (shown.office, shown.seat, shown.party, shown.general) == ("U.S. House", "District 2", None, True)
    assert [c.name for c in shown.candidates] == ["Alex X. Mooney", "Cathy Kunkel"]
    primary = named(Race("WV", "8", "PRESIDENT - REP", race.candidates, race.units), "as-is")
    assert (primary.office, primary.party, primary.general, primary.race_type) == ("President", "GOP", False, "Primary")
    assert [c.name for c in primary.candidates] == ["ALEX X. MOONEY", "CATHY KUNKEL"]
    county = named(race, "title", county="Kanawha")
    assert county.county == "Kanawha" and county.state_unit is not None and county.state_unit.name == "Kanawha"
    with pytest.raises(ValueError, match="names"):
        named(race, "upper")


def test_a_race_already_named_is_the_same_object_and_a_changed_one_is_rebuilt() -> None:
    """A national poll names 7,000 races: one already in the bot's words comes back as the very
    object (nothing rebuilt), and only the candidates whose shown name differs are replaced."""
    clean = Race(
        state="GA",
        race_id="10",
        office="U.S. Senate",
        candidates=(Candidate("1", "Jon Ossoff", "Dem"), Candidate("2", "David Perdue", "GOP")),
        units=(ReportingUnit("GA", Level.STATE, "Georgia", {"1": 10, "2": 9}),),
    )
    assert named(clean) is clean
    spaced = Candidate("3", "Shane  Hazel ", "Lib")
    messy = Race(clean.state, clean.race_id, clean.office, (*clean.candidates, spaced), clean.units)
    shown = named(messy)
    assert shown is not messy and shown.candidates[:2] == clean.candidates
    assert shown.candidates[0] is clean.candidates[0] and shown.candidates[1] is clean.candidates[1]
    assert shown.candidates[2] == Candidate("3", "Shane Hazel", "Lib")
    relabelled = Race(clean.state, clean.race_id, "UNITED STATES SENATOR", clean.candidates, clean.units)
    assert named(relabelled) == clean and named(relabelled) is not relabelled
    seated = Race("WV", "7", "U.S. House District 2", clean.candidates, clean.units)
    assert named(seated).seat == "District 2"
