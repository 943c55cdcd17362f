"""Round 8 (issue 10): answers the training batches t8–t11 showed misread, probed with new
phrasings written for these tests (not the batch lines): a short name said before the full one or
offered after it, a name started and said again, a first name added after a spelled surname, and
a first name kept before "and the last name is".
"""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import NluContext, understand

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("it's jim, james, james whitaker", "James Whitaker"),
        ("um katie well katherine ruiz", "Katherine Ruiz"),
        ("theodore banks but ted is fine", "Theodore Banks"),
        ("oh it's bill i mean william okafor", "William Okafor"),
        ("gutierrez g u t i e r r e z and it's rosa", "Rosa Gutierrez"),
        ("marcus and the last name is pellegrino", "Marcus Pellegrino"),
        ("sandra lee whitaker but just sandra whitaker is fine", "Sandra Whitaker"),
        ("ha well it's lee, tom lee", "Tom Lee"),
    ],
)
def test_names_said_the_way_people_give_them(rules_only: None, text: str, name: str) -> None:
    assert understand(text, NluContext(expect="name", now=NOW)).name == name


@pytest.mark.parametrize("text", ["park avenue", "oak hollow drive"])
def test_a_street_said_at_the_name_question_is_not_a_name(rules_only: None, text: str) -> None:
    assert understand(text, NluContext(expect="name", now=NOW)).name is None


@pytest.mark.parametrize(
    ("text", "zip_code"), [("oh, seven eight seven oh four", "78704"), ("oh two one three four", "02134")]
)
def test_an_opening_oh_before_a_whole_zip_is_a_sound(rules_only: None, text: str, zip_code: str) -> None:
    assert understand(text, NluContext(expect="zip", now=NOW)).zip == zip_code
