"""`meterbook import` of vendor exports and of any CSV through a column mapping."""

from __future__ import annotations

import json


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)


ANTHROPIC = ("usage_date_utc,model,api_key,usage_type,token_type,cost_usd\n"
             "2026-02-09,Claude Haiku 4.5,chat-key,message,input_no_cache,0.12\n"
             "2026-02-09,Claude Haiku 4.5,chat-key,message,output,0.40\n")


def test_a_vendor_export_is_recognised_and_the_summary_says_which(cli, tmp_path):
    result = cli("import", write(tmp_path, "claude_api_cost.csv", ANTHROPIC), "--format", "json")
    assert result.code == 0
    assert (result.json["profile"], result.json["added"]) == ("anthropic-cost", 2)
    # billed only: 0.12 + 0.40 = 0.52, on the API model name
    cost = cli("cost", "--by", "model", "--source", "billed", "--format", "json").json
    assert [(r["key"], r["cost"]) for r in cost["rows"]] == [("claude-haiku-4-5",
                                                              "0.520000000")]


SHOP = ("Datum;Dienst;Anfragen;Kosten\n"
        "03.02.2026;translate-pro;12;1,50\n"
        "28.02.2026;translate-pro;3;0,25\n")


def test_an_unknown_csv_is_refused_with_its_columns_and_how_to_map_them(cli, tmp_path):
    path = write(tmp_path, "shop.csv", SHOP, "latin-1")
    result = cli("import", path)
    assert result.code == 1
    assert "shop.csv:1: the header is not one Meterbook recognises" in result.err
    assert "'Datum', 'Dienst', 'Anfragen', 'Kosten'" in result.err
    assert "--map" in result.err


def test_a_column_mapping_imports_any_csv_and_is_saved_as_a_profile(cli, tmp_path):
    path = write(tmp_path, "shop.csv", SHOP, "latin-1")
    result = cli("import", path, "--map", "Datum=timestamp", "--map", "Dienst=model",
                 "--map", "Anfragen=requests", "--map", "Kosten=billed_cost",
                 "--vendor", "deepl", "--decimal-comma", "--date-format", "DD.MM.YYYY",
                 "--save-profile", "shop", "--format", "json")
    assert result.code == 0, result.err
    assert (result.json["added"], result.json["profile"]) == (2, "shop")
    # 1,50 + 0,25 = 1.75, in February
    cost = cli("cost", "--source", "billed", "--format", "json").json
    assert [(r["key"], r["requests"], r["cost"]) for r in cost["rows"]] == [
        ("2026-02", 15, "1.750000000")]
    # The next file of the same shape needs only --profile.
    second = write(tmp_path, "shop-march.csv", "Datum;Dienst;Anfragen;Kosten\n"
                   "02.03.2026;translate-pro;1;0,10\n", "latin-1")
    again = cli("import", second, "--profile", "shop", "--format", "json")
    assert (again.code, again.json["added"], again.json["profile"]) == (0, 1, "shop")
    listed = cli("imports", "formats")
    assert "anthropic-cost" in listed.out and "shop" in listed.out


def test_an_ambiguous_date_order_is_a_question_not_a_guess(cli, tmp_path):
    path = write(tmp_path, "dates.csv", "date,model,cost\n03/04/2026,x,1\n05/06/2026,x,2\n")
    result = cli("import", path, "--map", "date=timestamp", "--map", "model=model",
                 "--map", "cost=billed_cost", "--vendor", "acme")
    assert result.code == 1
    assert "MM/DD/YYYY" in result.err and "DD/MM/YYYY" in result.err
    assert cli("imports", "list").out.startswith("No imports")


def test_mapping_mistakes_are_explained(cli, tmp_path):
    path = write(tmp_path, "shop.csv", SHOP, "latin-1")
    unknown_field = cli("import", path, "--map", "Datum=when")
    assert unknown_field.code == 1 and "'when' is not a field" in unknown_field.err
    missing_column = cli("import", path, "--map", "Date=timestamp")
    assert missing_column.code == 1 and "no column 'Date'" in missing_column.err
    options_alone = cli("import", path, "--vendor", "deepl")
    assert options_alone.code == 1 and "go with --map" in options_alone.err
    unknown_profile = cli("import", path, "--profile", "nope")
    assert unknown_profile.code == 1 and "no format or saved column mapping" in unknown_profile.err


def test_a_profile_names_the_format_when_the_header_alone_would_not(cli, tmp_path):
    path = write(tmp_path, "export.csv", ANTHROPIC)
    result = cli("import", path, "--profile", "anthropic-cost", "--format", "json")
    assert result.code == 0 and result.json["profile"] == "anthropic-cost"


def test_json_usage_api_pages_import(cli, tmp_path):
    page = {"object": "page", "data": [{"object": "bucket", "start_time": 1772323200,
            "end_time": 1772409600, "results": [
                {"object": "organization.usage.completions.result", "input_tokens": 1000,
                 "input_cached_tokens": 400, "output_tokens": 50, "num_model_requests": 3,
                 "model": "gpt-4o-mini"}]}]}
    result = cli("import", write(tmp_path, "usage.json", json.dumps(page)), "--format", "json")
    assert (result.code, result.json["profile"], result.json["added"]) == (
        0, "openai-usage-api", 1)
    cost = cli("cost", "--format", "json").json["total"]
    # 1,000 input of which 400 cached: 600 uncached
    assert (cost["requests"], cost["input_tokens"], cost["cached_input_tokens"]) == (3, 600, 400)


def test_a_mapped_import_reads_the_header_of_its_file_once(cli, tmp_path, monkeypatch):
    from meterbook.importers import canonical, mapping, mapping_profiles, sources
    from meterbook.store.database import open_database

    path = write(tmp_path, "shop.csv", SHOP, "latin-1")
    opens, header_reads = [], []

    def open_text(name):
        opens.append(str(name))
        return real_open_text(name)

    def head_lines(text):
        header_reads.append(text)
        return real_head_lines(text)

    real_open_text, real_head_lines = canonical.open_text, mapping._head_lines
    for module in (canonical, mapping, sources):
        monkeypatch.setattr(module, "open_text", open_text)
    monkeypatch.setattr(mapping, "_head_lines", head_lines)
    # The column is written in another case: it is checked against the header, and the
    # profile keeps the header's spelling.
    result = cli("import", path, "--map", "datum=timestamp", "--map", "Dienst=model",
                 "--map", "Kosten=billed_cost", "--vendor", "deepl", "--decimal-comma",
                 "--date-format", "DD.MM.YYYY", "--save-profile", "shop", "--format", "json")
    assert result.code == 0, result.err
    assert result.json["added"] == 2
    assert (opens, len(header_reads)) == ([path], 1)  # it was two of each
    with open_database(cli.url).engine.connect() as conn:
        saved = mapping_profiles.load_profile(conn, "shop")
    assert saved.columns == {"Datum": "timestamp", "Dienst": "model", "Kosten": "billed_cost"}
