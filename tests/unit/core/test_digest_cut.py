"""A state's digest list is cut into the same lines as adding races one by one until one does not
fit (what ``bot.core.digest._cut`` did before it searched for each line's end)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.digest import Item, Line, _cut
from bot.render.digest_words import DIGEST_WORDS


def _one_by_one(category: str, state: str, items: list[Item], line_size, line_limit: int) -> list[Line]:  # type: ignore[no-untyped-def]  # the oracle: the loop _cut replaced
    out: list[Line] = []
    current: list[Item] = []
    for item in items:
        trial = Line(category, state, (*current, item), continued=bool(out))
        if current and line_size(trial) > line_limit:
            out.append(Line(category, state, tuple(current), continued=bool(out)))
            current = [item]
        else:
            current.append(item)
    if current:
        out.append(Line(category, state, tuple(current), continued=bool(out)))
    return out


class _Words:
    """Sizes that grow with the items (the contract of ``DigestWords.line_size``), any limit."""

    def __init__(self, line_limit: int) -> None:
        self.line_limit = line_limit

    def line_size(self, line: Line) -> int:
        return 10 * line.continued + sum(len(i.label) + len(i.note or "") + 2 for i in line.items)


#: no deadline: a loaded machine must not fail a property (the size of the draws is the Makefile's)
PROPS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_items = st.lists(
    st.builds(
        Item,
        st.from_regex(r"[A-Z]{2}-[0-9]{1,5}", fullmatch=True),
        st.text(min_size=0, max_size=120),
        st.none() | st.text(max_size=80),
    ),
    max_size=150,
)


@PROPS
@given(_items, st.integers(min_value=0, max_value=3_000))
@example([Item("GA-1", "x" * 50)] * 3, 10)  # every race alone on its line, each too long for one
@example([Item("GA-1", "x")] * 100, 10_000)  # one line holds all
@example([Item("GA-1", "x" * 8)] * 7, 30)  # lines that fit to the character: 3, 3, 1
@example([Item("GA-1", "x" * 8)] * 100, 555)  # 55 a line: found between 32 and 64
def test_lines_are_those_of_adding_races_one_by_one(items: list[Item], limit: int) -> None:
    words = _Words(limit)
    assert _cut("first_votes", "GA", items, words) == _one_by_one(  # type: ignore[arg-type]  # a DigestWords for the two members _cut reads
        "first_votes", "GA", items, words.line_size, limit
    )


@PROPS
@given(_items)
@example([Item(f"TX-{n}", f"U.S. House, District {n}", "Smith (Rep) leads") for n in range(400)])
def test_lines_as_slack_measures_them_are_those_of_adding_races_one_by_one(items: list[Item]) -> None:
    assert _cut("first_votes", "TX", items, DIGEST_WORDS) == _one_by_one(
        "first_votes", "TX", items, DIGEST_WORDS.line_size, DIGEST_WORDS.line_limit
    )
