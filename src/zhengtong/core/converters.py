"""Path converters for the site's addresses.

``<id:name>`` is a row id: Django's ``<int:…>`` takes any run of digits,
and a number beyond what the database's integer columns hold
(9223372036854775808) made some look-ups fail instead of finding nothing.
Eighteen digits are more rows than any table will have.
"""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
