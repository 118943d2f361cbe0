"""Bank statements in: ISO 20022 camt.053 XML and a plain CSV, as incoming entries.

Only booked credit entries are money in (`CdtDbtInd` CRDT, status BOOK); debits and
pending entries are skipped. camt.053 versions .001.02 to .001.13 are read alike
(namespaces ignored; the status as `<Sts>BOOK</Sts>` or `<Sts><Cd>BOOK</Cd></Sts>`). An
entry that batches several transactions with their own amounts gives one incoming
entry per transaction.

The XML is read with defusedxml and refused whole when it declares a DTD, entities
or external references (billion laughs, XXE): a bank never sends one. The file is
parsed one entry at a time, so a 100,000-entry statement does not sit in memory.

An entry's id is the bank's reference for it (`AcctSvcrRef`), else the statement's id
and the entry's position, so a statement imported twice gives the same ids.

CSV columns (header required): entry_id, booked_on, amount, currency
[, debtor, remittance, reference].
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from domain.money import MoneyError, parse_amount
from domain.payments.matching import IncomingEntry
from domain.text import text_problem

CSV_COLUMNS = ("entry_id", "booked_on", "amount", "currency")


class StatementRefused(ValueError):
    """The whole file is refused (hostile or not a statement); nothing is imported."""


@dataclass(frozen=True)
class Rejected:
    where: str  # the entry id, or its position
    reason: str


Read = IncomingEntry | Rejected


def read_statement(path: Path) -> Iterator[Read]:
    """camt.053 when the file starts like XML, CSV otherwise."""
    with path.open("rb") as raw:
        head = raw.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        with path.open("rb") as stream:
            yield from read_camt053(stream)
    else:
        with path.open(newline="", encoding="utf-8", errors="strict") as text:
            yield from read_csv(text)


def read_camt053(stream: IO[bytes]) -> Iterator[Read]:
    statement, position, path = "", 0, []
    try:
        for kind, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            name = _local(element.tag)
            if kind == "start":
                path.append(name)
                continue
            path.pop()
            if name == "Id" and path and path[-1] == "Stmt":
                statement = (element.text or "").strip()
            elif name == "Ntry":
                position += 1
                yield from _entry(element, statement or "statement", position)
                element.clear()
    except DefusedXmlException as error:
        raise StatementRefused(f"refused: the XML declares {_what(error)}") from None
    except ParseError as error:
        raise StatementRefused(f"not well-formed XML: {error}") from None


def _entry(element: Any, statement: str, position: int) -> Iterator[Read]:
    if _text(element, "CdtDbtInd") != "CRDT" or _status(element) != "BOOK":
        return
    own = _text(element, "AcctSvcrRef") or f"{statement}/{_text(element, 'NtryRef') or position}"
    booked = _text(element, "BookgDt/Dt") or (_text(element, "BookgDt/DtTm") or "")[:10]
    details = _all(element, "NtryDtls/TxDtls")
    amounts = [_amount_of(tx) for tx in details]
    if len(details) > 1 and all(amounts):
        for n, (tx, amount) in enumerate(zip(details, amounts, strict=True), start=1):
            yield _checked(f"{own}/{n}", amount, booked, tx)
        return
    yield _checked(own, _amount(element, "Amt"), booked, details[0] if details else None)


def _checked(entry_id: str, amount: tuple[str, str] | None, booked: str, tx: Any) -> Read:
    if amount is None:
        return Rejected(entry_id, "no amount")
    text, currency = amount
    try:
        value = parse_amount(text, currency)
        date.fromisoformat(booked)
    except (MoneyError, ValueError) as error:
        return Rejected(entry_id, str(error) or "no booking date")
    remittance = tuple(t.strip() for t in _texts(tx, "RmtInf/Ustrd")) if tx is not None else ()
    debtor = None
    if tx is not None:
        debtor = _text(tx, "RltdPties/Dbtr/Nm") or _text(tx, "RltdPties/Dbtr/Pty/Nm")
    reference = _text(tx, "RmtInf/Strd/CdtrRefInf/Ref") if tx is not None else None
    return _entry_or_rejected(
        entry_id, value, currency, booked, debtor or "", remittance, reference
    )


def read_csv(text: IO[str]) -> Iterator[Read]:
    rows = csv.DictReader(text)
    missing = [c for c in CSV_COLUMNS if c not in (rows.fieldnames or [])]
    if missing:
        raise StatementRefused(f"the CSV header lacks {', '.join(missing)}")
    for n, row in enumerate(rows, start=2):
        where = (row.get("entry_id") or "").strip() or f"line {n}"
        try:
            value = parse_amount((row["amount"] or "").strip(), (row["currency"] or "").strip())
            booked = date.fromisoformat((row["booked_on"] or "").strip()).isoformat()
        except (MoneyError, ValueError) as error:
            yield Rejected(where, str(error))
            continue
        remittance = tuple(line for line in [(row.get("remittance") or "").strip()] if line)
        yield _entry_or_rejected(where, value, row["currency"].strip(), booked,
                                 (row.get("debtor") or "").strip(), remittance,
                                 (row.get("reference") or "").strip() or None)  # fmt: skip


def _entry_or_rejected(entry_id: str, amount: Any, currency: str, booked: str, debtor: str,
                       remittance: tuple[str, ...], reference: str | None) -> Read:  # fmt: skip
    if amount <= 0:
        return Rejected(entry_id, f"a credit of {amount} is not money in")
    for name, value in (("entry id", entry_id), ("debtor", debtor), ("reference", reference or ""),
                        *(("remittance", line) for line in remittance)):  # fmt: skip
        if problem := text_problem(value):
            return Rejected(entry_id, f"{name} {problem}")
    return IncomingEntry(entry_id, amount, currency, booked, debtor, remittance, reference)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _path(element: Any, path: str) -> str:
    return "/".join(f"{{*}}{step}" for step in path.split("/"))


def _text(element: Any, path: str) -> str | None:
    found = element.find(_path(element, path))
    return found.text.strip() if found is not None and found.text else None


def _texts(element: Any, path: str) -> list[str]:
    return [e.text for e in element.findall(_path(element, path)) if e.text]


def _all(element: Any, path: str) -> list[Any]:
    return list(element.findall(_path(element, path)))


def _status(element: Any) -> str | None:
    return _text(element, "Sts/Cd") or _text(element, "Sts")


def _amount(element: Any, path: str) -> tuple[str, str] | None:
    found = element.find(_path(element, path))
    if found is None or not found.text:
        return None
    return found.text.strip(), found.get("Ccy", "")


def _amount_of(tx: Any) -> tuple[str, str] | None:
    return _amount(tx, "Amt") or _amount(tx, "AmtDtls/TxAmt/Amt")


def _what(error: Exception) -> str:
    kind = type(error).__name__
    return {"DTDForbidden": "a DTD", "EntitiesForbidden": "entities",
            "ExternalReferenceForbidden": "an external reference"}.get(kind, kind)  # fmt: skip
