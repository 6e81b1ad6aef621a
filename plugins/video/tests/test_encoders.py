"""Each encoder against the fixtures of the protocol documents (fiscal.md §8 for the DSSL
vendor sample, ofd_video.md B.2 for the Axxon package), and the wire rules of part B."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from attrs import evolve
from kassa.model import PosEvent, PosEventKind, PosEventLine
from kassa_video.encoders import encode, quantity, rubles
from kassa_video.settings import FeedSettings

K = PosEventKind
MSK = timezone(timedelta(hours=3))

# fiscal.md §8, https://trassir.com/software-updates/manual/setup-pos-dsslxml.html
TRASSIR_SAMPLE = (
    '<?xml version="1.0" encoding="utf-8"?><transaction><event_type>POSNG_POSITION_ADD'
    '</event_type>\n<operation_id>E44D0F4A</operation_id><cashier>Ivanov I</cashier><date>'
    '11/01/2017</date>\n<time>16:40:15</time><position>2</position><quantity>2</quantity>'
    '<price_per_unit>51.99</price_per_unit>\n<barcode>0760557822035</barcode><text>...'
    '</text><price>103.98</price><location>cas_1</location></transaction>'
).replace("\n", "")  # the document wraps the one-line sample for width

# ofd_video.md B.2 (assembled there from the field table)
AXXON_SAMPLE = (
    "<TransactionBlock>\r\n<FunctionNumber>2</FunctionNumber>\r\n<TransactionTimestamp>"
    "2024-05-01T09:15:02.120</TransactionTimestamp>\r\n<cash_number>1</cash_number>\r\n"
    "<receipt_number>1532</receipt_number>\r\n<item_pos>1</item_pos>\r\n<item_name>Молоко 1л"
    "</item_name>\r\n<item_barcode>4607001234567</item_barcode>\r\n<item_price>89,90"
    "</item_price>\r\n<item_quantity>2</item_quantity>\r\n<item_amount>179,80</item_amount>"
    "\r\n</TransactionBlock>\r\n")


def feed(protocol: str, **kw: object) -> FeedSettings:
    return FeedSettings(name="v", host="127.0.0.1", port=1, protocol=protocol, **kw)  # type: ignore[arg-type]


def sample_line() -> PosEvent:
    return PosEvent(kind=K.LINE_ADD, at=datetime(2017, 1, 11, 16, 40, 15, tzinfo=MSK),
                    terminal_id="cas_1", receipt_id="E44D0F4A", cashier="Ivanov I",
                    line=PosEventLine(position=2, name="...", quantity=Decimal(2), price=5199,
                                      amount=10398, barcode="0760557822035"))


def test_dssl_is_the_vendor_sample_byte_for_byte() -> None:
    assert encode(sample_line(), feed("dssl", separator="")) == TRASSIR_SAMPLE.encode()


def test_dssl_as_a_real_pos_sends_it_crlf_and_windows_1251() -> None:
    event = PosEvent(kind=K.LINE_ADD, at=datetime(2017, 1, 11, 16, 40, 15, tzinfo=MSK),
                     terminal_id="cas_1", receipt_id="77", cashier="Иванов И",
                     line=PosEventLine(position=1, name="Борщ & хлеб", quantity=Decimal("0.572"),
                                       price=18540, amount=10605))
    data = encode(event, feed("dssl", encoding="windows-1251"))
    text = data.decode("cp1251")
    assert text.startswith('<?xml version="1.0" encoding="windows-1251"?>\r\n<transaction>\r\n')
    assert "<text>Борщ &amp; хлеб</text>" in text and "<quantity>0.572</quantity>" in text
    assert "<price_per_unit>185.40</price_per_unit>" in text
    assert "<barcode>" not in text  # empty fields are omitted (B.1)
    assert text.endswith("<location>cas_1</location>\r\n</transaction>")


def test_dssl_types_documented_and_overridable() -> None:
    at = datetime(2024, 5, 1, 9, 15, 2, tzinfo=MSK)
    close = PosEvent(kind=K.RECEIPT_CLOSE, at=at, terminal_id="t", receipt_id="1", total=18540)
    assert b"<event_type>POSNG_RECEIPT_CLOSE</event_type>" in encode(close, feed("dssl"))
    assert b"<price>185.40</price>" in encode(close, feed("dssl"))
    void = PosEvent(kind=K.LINE_VOID, at=at, terminal_id="t", receipt_id="1",
                    line=PosEventLine(position=1, name="x", quantity=1, price=1, amount=1))
    assert b"POSNG_POSITION_VOID" in encode(void, feed("dssl"))
    over = feed("dssl", dssl_types={"line_void": "POSNG_RECEIPT_CANCEL_WITH_WRITE_OFF"})
    assert b"POSNG_RECEIPT_CANCEL_WITH_WRITE_OFF" in encode(void, over)
    card = PosEvent(kind=K.PAYMENT, at=at, terminal_id="t", receipt_id="1", total=100,
                    payment_type="Visa")
    cash = PosEvent(kind=K.PAYMENT, at=at, terminal_id="t", receipt_id="1", total=100,
                    payment_type="Наличные")
    assert b"POSNG_PAYMENT_CARD" in encode(card, feed("dssl"))
    assert b"POSNG_PAYMENT_CASH" in encode(cash, feed("dssl"))
    rub = evolve(cash, payment_type="Наличные руб.")
    assert b"POSNG_PAYMENT_CASH" in encode(rub, feed("dssl"))


def test_axxon_is_the_b2_sample_byte_for_byte() -> None:
    event = PosEvent(kind=K.LINE_ADD, at=datetime(2024, 5, 1, 12, 15, 2, 120999, tzinfo=MSK),
                     terminal_id="1", receipt_id="1532",
                     line=PosEventLine(position=1, name="Молоко 1л", quantity=Decimal(2),
                                       price=8990, amount=17980, barcode="4607001234567"))
    # the timestamp is UTC+0 with milliseconds (B.2): 12:15:02.120 Moscow is 09:15:02.120
    assert encode(event, feed("axxon", terminal_tag="")) == AXXON_SAMPLE.encode()


def test_axxon_terminal_tag_function_map_and_decimal_dot() -> None:
    event = PosEvent(kind=K.RECEIPT_CLOSE, at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
                     terminal_id="cas_2", receipt_id="9", cashier="Петров", total=12345)
    text = encode(event, feed("axxon", decimal_comma=False, terminal_tag="StationNumber",
                              functions={"receipt_close": 11})).decode()
    assert text.splitlines()[:4] == ["<TransactionBlock>", "<FunctionNumber>11</FunctionNumber>",
                                     "<TransactionTimestamp>2024-05-01T09:00:00.000"
                                     "</TransactionTimestamp>",
                                     "<StationNumber>cas_2</StationNumber>"]
    assert "<receipt_amount>123.45</receipt_amount>\r\n<type>0</type>\r\n" in text


def test_text_line() -> None:
    event = PosEvent(kind=K.LINE_ADD, at=datetime(2024, 5, 1, 9, 15, 2, tzinfo=MSK),
                     terminal_id="cas_1", receipt_id="12/3",
                     line=PosEventLine(position=3, name="Чай\tзелёный", quantity=Decimal("1.500"),
                                       price=10000, amount=15000, barcode="46"))
    assert encode(event, feed("text")) == (
        "2024-05-01 09:15:02\tcas_1\tline_add\t12/3\t3 Чай зелёный [46] 1.5 x 100.00 = 150.00"
        "\r\n").encode()


def test_what_an_encoding_cannot_hold_and_control_characters() -> None:
    event = PosEvent(kind=K.LINE_ADD, at=datetime(2024, 5, 1, tzinfo=UTC), terminal_id="t",
                     receipt_id="1", line=PosEventLine(position=1, name="Пиво 🍺\x07", quantity=1,
                                                       price=1, amount=1))
    data = encode(event, feed("dssl", encoding="windows-1251"))
    assert "<text>Пиво ?</text>".encode("cp1251") in data and b"\x07" not in data


def test_numbers() -> None:
    assert [rubles(0), rubles(5), rubles(-1999), rubles(10000, comma=True)] == [
        "0.00", "0.05", "-19.99", "100,00"]
    assert [quantity(Decimal("2.000")), quantity(Decimal("0.572")),
            quantity(Decimal("10"), comma=True), quantity(Decimal("1.250"), comma=True)] == [
        "2", "0.572", "10", "1,25"]


def test_a_return_receipt_is_marked_as_each_format_says() -> None:
    """B.1: a return receipt opens with POSNG_RECEIPT_RETURN and closes with
    POSNG_RECEIPT_RETURN_CLOSE; B.2: ``type`` 1 on the receipt's open and close; lines keep
    their types."""
    at = datetime(2026, 12, 2, 12, 0, tzinfo=MSK)
    opened = PosEvent(kind=K.RECEIPT_OPEN, at=at, terminal_id="cas_1", receipt_id="77",
                      operation="return")
    closed = evolve(opened, kind=K.RECEIPT_CLOSE, total=15000)
    line = evolve(opened, kind=K.LINE_ADD, line=PosEventLine(
        position=1, name="Чай", quantity=Decimal(1), price=15000, amount=15000))
    dssl = feed("dssl")
    assert b"<event_type>POSNG_RECEIPT_RETURN</event_type>" in encode(opened, dssl)
    assert b"<event_type>POSNG_RECEIPT_RETURN_CLOSE</event_type>" in encode(closed, dssl)
    assert b"<event_type>POSNG_POSITION_ADD</event_type>" in encode(line, dssl)
    sale = evolve(opened, operation="sale")
    assert b"<event_type>POSNG_RECEIPT_OPEN</event_type>" in encode(sale, dssl)
    axxon = feed("axxon")
    assert b"<type>1</type>\r\n" in encode(opened, axxon)
    assert b"<type>1</type>\r\n" in encode(closed, axxon)
    assert b"<type>0</type>\r\n" in encode(sale, axxon)
    assert encode(opened, feed("text")).split(b"\t")[2] == b"receipt_open/return"
