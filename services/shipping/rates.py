"""Rating a parcel with every carrier at once, and which quote is the cheapest and which the fastest."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.shipping.carriers import Carrier, Parcel, Quote


@dataclass(frozen=True)
class RatedQuote:
    quote: Quote
    cheapest: bool
    fastest: bool


async def rate(carriers: Sequence[Carrier], parcel: Parcel, ship_date: date) -> list[RatedQuote]:
    """Every carrier's quotes, cheapest first. Exactly one is flagged cheapest (ties: the sooner, then
    by carrier) and one fastest (the earliest delivery; ties: the cheaper)."""
    answers = await asyncio.gather(*(carrier.quote(parcel, ship_date) for carrier in carriers))
    quotes = sorted((q for answer in answers for q in answer),
                    key=lambda q: (q.amount, q.estimated_delivery, q.carrier, q.service_level))
    if not quotes:
        return []
    cheapest = quotes[0]
    fastest = min(quotes, key=lambda q: (q.estimated_delivery, q.amount, q.carrier, q.service_level))
    return [RatedQuote(q, q is cheapest, q is fastest) for q in quotes]
