"""Bank statements in (camt.053 and CSV) and matched to the payments that wait: exact,
underpaid, overpaid, unmatched, duplicates; hostile XML refused whole."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from adapters.bank_statements import Rejected, StatementRefused, read_statement
from domain.payments.matching import IncomingEntry, Matcher, Waiting

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def an_entry(ref: str, amount: str, *, ccy: str = "EUR", credit: bool = True,
             status: str = "<Sts><Cd>BOOK</Cd></Sts>", details: str = "") -> str:  # fmt: skip
    return f"""<Ntry><Amt Ccy="{ccy}">{amount}</Amt>
      <CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>{status}
      <BookgDt><Dt>2026-12-02</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>
      <NtryDtls>{details}</NtryDtls></Ntry>"""


def tx(*, ustrd: str = "", rf: str = "", debtor: str = "Jan Peeters", amount: str = "") -> str:
    structured = (f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                  f"<Ref>{rf}</Ref></CdtrRefInf></Strd>") if rf else ""  # fmt: skip
    own = f'<Amt Ccy="EUR">{amount}</Amt>' if amount else ""
    return (f"<TxDtls>{own}<RltdPties><Dbtr><Pty><Nm>{debtor}</Nm></Pty></Dbtr></RltdPties>"
            f"<RmtInf>{f'<Ustrd>{ustrd}</Ustrd>' if ustrd else ''}{structured}</RmtInf></TxDtls>")  # fmt: skip


def a_statement(tmp_path: Path, *entries: str, head: str = "") -> Path:
    path = tmp_path / "statement.xml"
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>{head}
<Document xmlns="{NS}"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Stmt><Id>STMT-2026-12-02</Id>{"".join(entries)}</Stmt></BkToCstmrStmt></Document>""")
    return path


WAITING = [
    Waiting("p-exact", "RF18539007547034", "WEB-1001", "EUR", Decimal("50.00")),
    Waiting("p-under", "RF712348231", "WEB-1002", "EUR", Decimal("80.00")),
    Waiting("p-over", "RF6518K5", "WEB-1003", "EUR", Decimal("20.00")),
    Waiting("p-by-order", "RF23XYZ", "WEB-1004", "EUR", Decimal("12.50")),
]


def test_a_camt053_statement_is_read_and_each_kind_of_entry_matched(tmp_path: Path):
    path = a_statement(
        tmp_path,
        an_entry("B1", "50.00", details=tx(rf="RF18539007547034")),
        an_entry("B2", "30.00", details=tx(ustrd="payment RF71 2348 231 thanks")),
        an_entry("B3", "25.00", details=tx(ustrd="rf6518k5")),
        an_entry("B4", "12.50", details=tx(ustrd="order web-1004")),
        an_entry("B5", "99.00", details=tx(ustrd="no idea")),
        an_entry("B6", "10.00", credit=False, details=tx(ustrd="a debit")),
        an_entry("B7", "10.00", status="<Sts><Cd>PDNG</Cd></Sts>", details=tx(ustrd="pending")),
        an_entry(
            "B8",
            "40.00",
            details=tx(ustrd="RF71 2348 231", amount="20.00")
            + tx(ustrd="WEB-1001", amount="20.00"),
        ),
    )
    read = list(read_statement(path))
    assert all(isinstance(entry, IncomingEntry) for entry in read)
    ids = [e.entry_id for e in read if isinstance(e, IncomingEntry)]
    assert ids == ["B1", "B2", "B3", "B4", "B5", "B8/1", "B8/2"]  # debits and pending skipped
    first = read[0]
    assert isinstance(first, IncomingEntry)
    assert (first.amount, first.currency, first.booked_on, first.debtor) == (
        Decimal("50.00"), "EUR", "2026-12-02", "Jan Peeters")  # fmt: skip
    matcher = Matcher(WAITING)
    outcomes = [(m.entry.entry_id, m.payment_id, m.outcome, m.difference)
                for e in read if isinstance(e, IncomingEntry) for m in [matcher.match(e)]]  # fmt: skip
    assert outcomes == [
        ("B1", "p-exact", "exact", Decimal(0)),
        ("B2", "p-under", "underpaid", Decimal("50.00")),
        ("B3", "p-over", "overpaid", Decimal("5.00")),
        ("B4", "p-by-order", "exact", Decimal(0)),
        ("B5", None, "unmatched", Decimal(0)),
        ("B8/1", "p-under", "underpaid", Decimal("30.00")),  # sees B2's 30 already in
        ("B8/2", "p-exact", "overpaid", Decimal("20.00")),  # paid in full by B1 already
    ]


def test_the_same_statement_read_twice_gives_the_same_ids(tmp_path: Path):
    path = a_statement(tmp_path, an_entry("", "5.00", details=tx(ustrd="x")),
                       an_entry("", "6.00", details=tx(ustrd="y")))  # fmt: skip
    first = [e.entry_id for e in read_statement(path) if isinstance(e, IncomingEntry)]
    assert first == ["STMT-2026-12-02/1", "STMT-2026-12-02/2"]
    assert [e.entry_id for e in read_statement(path) if isinstance(e, IncomingEntry)] == first


def test_a_bad_entry_is_rejected_naming_why_and_the_others_are_read(tmp_path: Path):
    path = a_statement(
        tmp_path,
        an_entry("B1", "12.345", details=tx()),  # three decimals in EUR
        an_entry("B2", "10.00", ccy="XXX", details=tx()),
        an_entry("B3", "10.00", details=tx(ustrd="next line \u0085 inside (allowed in XML 1.0)")),
        an_entry("B4", "10.00", details=tx(ustrd="fine")),
    )
    read = list(read_statement(path))
    assert [type(e).__name__ for e in read] == ["Rejected", "Rejected", "Rejected", "IncomingEntry"]
    assert isinstance(read[2], Rejected) and "control characters" in read[2].reason


BILLION_LAUGHS = """<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>"""
EXTERNAL = """<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"""


@pytest.mark.parametrize("head", [BILLION_LAUGHS, EXTERNAL, "<!DOCTYPE Document>"])
def test_hostile_xml_is_refused_whole(tmp_path: Path, head: str):
    path = a_statement(tmp_path, an_entry("B1", "1.00", details=tx(ustrd="&lol3;")), head=head)
    with pytest.raises(StatementRefused, match="refused: the XML declares"):
        list(read_statement(path))


def test_xml_that_is_not_well_formed_is_refused(tmp_path: Path):
    path = tmp_path / "broken.xml"
    path.write_text("<Document><Stmt><Ntry></Stmt>")
    with pytest.raises(StatementRefused, match="not well-formed"):
        list(read_statement(path))


def test_a_csv_statement_is_read_with_the_same_checks(tmp_path: Path):
    path = tmp_path / "statement.csv"
    path.write_text("entry_id,booked_on,amount,currency,debtor,remittance,reference\n"
                    "C1,2026-12-02,50.00,EUR,Jan,,RF18539007547034\n"
                    "C2,2026-13-02,5.00,EUR,Jan,bad date,\n"
                    "C3,2026-12-02,1000,JPY,Aiko,WEB-9,\n")  # fmt: skip
    read = list(read_statement(path))
    assert [getattr(e, "entry_id", getattr(e, "where", None)) for e in read] == ["C1", "C2", "C3"]
    assert isinstance(read[1], Rejected)
    assert isinstance(read[2], IncomingEntry) and read[2].amount == Decimal(1000)
    missing = tmp_path / "bad.csv"
    missing.write_text("id,amount\n1,2\n")
    with pytest.raises(StatementRefused, match="lacks entry_id, booked_on, currency"):
        list(read_statement(missing))
