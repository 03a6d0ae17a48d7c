"""Every instrument Taperline ships, by stable id. Tests and docs iterate over this."""

from __future__ import annotations

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import Instrument
from taperline.domain.instruments.phq9 import PHQ9

INSTRUMENTS: dict[str, Instrument] = {
    instrument.id: instrument
    for instrument in (PHQ9,)
}


def get(instrument_id: str) -> Instrument:
    try:
        return INSTRUMENTS[instrument_id.strip().lower()]
    except KeyError:
        known = ", ".join(INSTRUMENTS)
        raise InvalidInput(
            "instrument", f"'{instrument_id}' is not an instrument Taperline knows ({known})"
        ) from None
