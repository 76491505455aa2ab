"""Guessing a column mapping from an unrecognised header, and the message for such a header.

`guess_mapping` reads each column's name as words ("CreatedAt", "created_at" and "Created At"
alike) and guesses the field it holds, for people to confirm; `unrecognised_header_message`
lists a header no format knows and writes the `meterbook import --map ...` command that would
read it (importers/mapping.py reads the file through the mapping).
"""

from __future__ import annotations

import csv
import re
import shlex

from meterbook.core.records import CANONICAL_FIELDS
from meterbook.importers.formats import listing
from meterbook.importers.mapping import (
    REQUIRED_FIELDS,
    _fields_listing,
    clean_column,
    sniff_delimiter,
)

# Rules tried in this order over all columns, so a specific rule claims a column before a vague
# one can (amount_currency is a currency before "amount" makes it a cost). Besides English, the
# common words of German, French, Spanish, Italian, Dutch and Portuguese exports: a European
# shop's "Datum;Dienst;Anfragen;Kosten" is as easy to map as "date,service,requests,cost".
_GUESSES: tuple[tuple[str, str], ...] = (
    ("cache_write_tokens", r"^(?!.*\b(cost|price)\b).*(\bcache\w* (write|creation|create)|"
                           r"\b(write|creation)\b.*\bcache)"),
    ("cached_input_tokens", r"^(?!.*\b(cost|price|no|non|miss|write|creation|create)\b)"
                            r".*\bcache[ds]?\b"),
    # Input, but not the cache reads or writes a rule above has left over ("no cache" is input).
    ("input_tokens", r"^(?!.*\b(cost|price|usd)\b)(?!.*\bcache[ds]?\b(?<!no cache))"
                     r".*\b(input|prompt|tokens in|eingabe|entrée|entrada|ingresso|invoer)\b"),
    ("output_tokens", r"^(?!.*\b(cost|price|usd)\b)"
                      r".*\b(output|completion|tokens out|ausgabe|sortie|salida|saída|uscita|"
                      r"uitvoer)\b"),
    ("timestamp", r"^(timestamp|datetime|date|time|date time|created( at| on)?)$"),
    ("timestamp", r"^(?!.*\bend\b).*\b(timestamp|created|date|time|datetime|datum|fecha|"
                  r"data|zeitpunkt|zeitstempel|horodatage|erstellt)\b"),
    ("timestamp", r"^(?!.*\bend\b).*\b(start|day|hour|period|jour|día|dia|giorno|dag|"
                  r"zeit|heure|hora|ora)\b"),
    ("model", r"^(?!.*\b(pricing|license|billing)\b).*\b(model|modell|modèle|modelo|modello)\b"),
    ("model", r"\b(deployment|slug|meter name)\b|^engine$"),
    ("vendor", r"\b(vendor|provider|anbieter|fournisseur|proveedor|fornitore|leverancier|"
               r"fornecedor)\b"),
    ("request_id", r"\b(request|generation|call|response) id\b"),
    ("requests", r"^(?!.*\b(id|description)\b).*\b(requests|calls|request count|anfragen|"
                 r"aufrufe|requêtes|requetes|appels|solicitudes|peticiones|llamadas|richieste|"
                 r"chiamate|verzoeken|aanvragen|aanroepen|requisições|chamadas)\b"),
    ("conversation_id", r"\b(conversation|session|thread|chat|unterhaltung|gespräch|sitzung)\b"),
    # "Cost in billing currency" is a cost, "amount_currency" a currency.
    ("currency", r"^(?!.*\bin\b).*\b(currency|währung|devise|moneda|valuta|moeda)\b"),
    ("billed_cost", r"^(?!.*\b(tokens?|price|rate|unit|center|centre|category|type)\b)"
                    r".*\b(cost|amount|spend|charge|usd|kosten|betrag|gebühr|gebühren|coût|montant|"
                    r"coste|costo|importe|importo|spesa|bedrag|custo|valor)\b"),
    ("project", r"\b(project|workspace|team|projekt|projet|proyecto|progetto|projeto|"
                r"arbeitsbereich)\b"),
    ("user", r"\b(user|email|benutzer|nutzer|utilisateur|usuario|utente|gebruiker|usuário)\b"),
    ("api_key", r"\b(api key|key)\b"),
    ("service_tier", r"\btier\b"),
    ("unit_name", r"\bunit( name| of measure| type)?$"),
    ("units", r"^(?!.*\b(price|pricing|name|measure)\b).*\b(quantity|units)\b"),
    # Last: a file with no model column often names what was used as the service or product.
    ("model", r"^(service|dienst|dienstleistung|servicio|servizio|produkt|product|produit|"
              r"producto|prodotto)( name)?$"),
)


def _words(name: str) -> str:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", clean_column(name))  # CreatedAt -> Created At
    return " ".join(re.findall(r"[^\W_]+", spaced.lower()))


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Likely field of each column whose name says it ({column as written: field}); a guess
    for people to confirm (the import window, the unrecognised-header message), never applied
    unasked. Each field is guessed for one column at most."""
    columns = [clean_column(name) for name in header]
    words = [_words(name) for name in columns]
    guessed: dict[int, str] = {}
    for i, text in enumerate(words):  # a column named after a field is that field
        field = text.replace(" ", "_")
        if field in CANONICAL_FIELDS and field not in guessed.values():
            guessed[i] = field
    for field, pattern in _GUESSES:
        if field in guessed.values():
            continue
        rule = re.compile(pattern)
        for i, text in enumerate(words):
            if i not in guessed and text and rule.search(text):
                guessed[i] = field
                break
    return {columns[i]: guessed[i] for i in sorted(guessed)}


def _shell(text: str, always: bool = False) -> str:
    """Double quotes (which both POSIX shells and Windows take) unless they would not do."""
    if re.search(r'["$`\\!]', text):
        return shlex.quote(text)
    return f'"{text}"' if always or re.search(r"[^\w./:=-]", text) else text


def unrecognised_header_message(file_name: str, header: list[str]) -> str:
    """For a header no format knows: its columns, and a command mapping them to fields."""
    if len(header) == 1 and re.search("[;\t]", header[0]):  # read as one column: re-split it
        header = next(csv.reader([header[0]], delimiter=sniff_delimiter(header[0])))
    columns = [clean_column(name) for name in header]
    guessed = guess_mapping(columns)
    fields = set(guessed.values())
    maps = [f"--map {_shell(f'{column}={field}', True)}" for column, field in guessed.items()]
    maps += [f"--map {_shell(f'COLUMN={field}', True)}" for field in REQUIRED_FIELDS
             if field not in fields]
    if "vendor" not in fields:
        maps.append("--vendor VENDOR")
    command = " ".join(["meterbook import", _shell(file_name), *maps])
    return "\n".join([
        f"{file_name}: the header is not one Meterbook recognises.",
        f"Its columns: {listing(columns)}.",
        "Map the columns to fields with --map COLUMN=FIELD, for example"
        + (" (guessed from the names: check them)" if guessed else "") + ":",
        f"  {command}",
        "timestamp and model are required, and a vendor column or --vendor NAME for the whole "
        "file.",
        f"The fields: {_fields_listing()}.",
        "Numbers like 0,5 need --decimal-comma; dates like 03/04/2026 may need --date-format "
        "MM/DD/YYYY or DD/MM/YYYY.",
        "--save-profile NAME keeps the mapping; --profile NAME reuses it for the next file.",
    ])
