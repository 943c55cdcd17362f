"""The answers an office gives to common questions, as the business profile holds them.

Each answer is the office's own words; a topic left empty (None) is one the agent has no answer
for, and then it says so plainly and offers a booking or a person — it never invents one. Prices
other than the dispatch fee are never in here (contract rule 9): "how much" is answered with the
fee only.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# The topics a profile may answer; hours, service area and price come from the profile's own
# fields (office_hours, service_zips, dispatch_fee) and are not repeated here.
FAQ_TOPICS = ("brands", "financing", "payment", "licensing", "warranty", "discounts")


class Faq(BaseModel):
    """FAQ answers, one sentence or two each, said as written."""

    brands: str | None = Field(
        default="We service all major brands, including Trane, Carrier, Lennox, Rheem, Goodman and mini splits.",
        max_length=400,
    )
    financing: str | None = Field(
        default="Yes, we offer financing on new systems, subject to credit approval; the technician can go over "
        "the plans with you.",
        max_length=400,
    )
    payment: str | None = Field(
        default="We accept credit and debit cards, checks and cash. Payment is due when the work is done.",
        max_length=400,
    )
    licensing: str | None = Field(
        default="Yes, we're licensed by the state of Texas and fully insured.", max_length=400
    )
    warranty: str | None = Field(
        default="Our repairs come with a one-year parts and labor warranty, and new systems carry the "
        "manufacturer's warranty.",
        max_length=400,
    )
    discounts: str | None = Field(
        default="We offer discounts for seniors and for military veterans; just mention it to the technician.",
        max_length=400,
    )

    def answer(self, topic: str) -> str | None:
        """The office's answer on `topic`, or None when it has none."""
        if topic not in FAQ_TOPICS:
            return None
        value: str | None = getattr(self, topic)
        return value.strip() if value and value.strip() else None
