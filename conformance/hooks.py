"""Schemathesis hooks for Sportello: a generator for the `codice-fiscale` string format.

A pattern cannot express a codice fiscale's check character, month letter or birthplace, so
random strings that fit the schema are nearly all invalid codes, and the fuzzing would only
ever meet the 422 that explains why. This strategy draws real codes (layout, month, day with
+40 for women, a real Belfiore code, the check character; sometimes omocode letters) most of
the time, and leaves the invalid ones to the coverage and negative phases. Loaded by
conformance/run through SCHEMATHESIS_HOOKS.
"""

import schemathesis
from hypothesis import strategies as st

_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                [1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
                 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]))
_EVEN = {**{str(d): d for d in range(10)}, **{chr(65 + i): i for i in range(26)}}
_MONTHS = "ABCDEHLMPRST"
_OMOCODIA = "LMNPQRSTUV"
# Places that exist in every version of the Belfiore list: Roma, Milano, Torino, Napoli,
# Germania, Francia.
_PLACES = ["H501", "F205", "L219", "F839", "Z112", "Z110"]


def _check(first15: str) -> str:
    total = sum(_ODD[c] if i % 2 == 0 else _EVEN[c] for i, c in enumerate(first15))
    return chr(65 + total % 26)


@st.composite
def _codice_fiscale(draw):
    letters = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=6))
    year = draw(st.integers(0, 99))
    month = draw(st.sampled_from(_MONTHS))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 40]))
    place = draw(st.sampled_from(_PLACES))
    digits = list(f"{year:02d}") + list(f"{day:02d}") + list(place[1:])
    # Omocodia: a few of the seven digits replaced by their letters.
    for index in draw(st.sets(st.integers(0, 6), max_size=2)):
        digits[index] = _OMOCODIA[int(digits[index])]
    body = letters + "".join(digits[0:2]) + month + "".join(digits[2:4]) + place[0] + "".join(digits[4:7])
    return body + _check(body)


schemathesis.openapi.format("codice-fiscale", _codice_fiscale())
