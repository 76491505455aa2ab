"""Alternatives to compare with the saved plans: from a plan file, or from four quick forms.

A quick form is a plain function returning plans, so that the Compare page, the command line
and the tests build the same alternative. Every alternative is checked as a plan file is
(`checked`): written out as TOML and read back by plan_files.read_plans, then checked as a set
(plan_checks), so a quick form refuses exactly what `plans import` refuses, every problem at
once. An alternative then prices through the one engine (core/pricing.py), and "save as plan"
(store/compare_save.save_alternative) saves its versions like any plan file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plan_files import read_plans, write_plans
from meterbook.core.plans import Plan, PlanFileError, PlanProblem, Volume, VolumeTier


@dataclass(frozen=True)
class Alternative:
    """A named set of plans that prices the usage instead of the saved plans."""

    name: str
    plans: tuple[Plan, ...]


def checked(name: str, plans: Sequence[Plan]) -> Alternative:
    """The alternative, if its plans pass every check of a plan file; else PlanFileError."""
    try:
        read_back = read_plans(write_plans(list(plans)), name)
    except (TypeError, ValueError) as exc:  # a value TOML cannot hold (e.g. a negative count)
        raise PlanFileError(name, [PlanProblem(name, "", str(exc))]) from None
    problems = check_plan_set(read_back)
    if problems:
        raise PlanFileError(name, problems)
    return Alternative(name, tuple(read_back))


def alternative_from_file(path: str | Path, name: str | None = None) -> Alternative:
    """A TOML plan file as an alternative (named after the file): refused with every problem
    listed, as `plans import` refuses it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PlanFileError(str(path), [PlanProblem("", "", "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise PlanFileError(str(path), [PlanProblem("", "", f"not UTF-8 text ({exc.reason})")]
                            ) from None
    plans = read_plans(text, str(path))
    problems = check_plan_set(plans)
    if problems:
        raise PlanFileError(str(path), problems)
    return Alternative(name or path.stem, tuple(plans))


def flat_per_request(vendor: str, price: Decimal, *, model: str = "*", project: str = "*",
                     currency: str = "USD", name: str | None = None) -> Alternative:
    """"A flat price per request": every request of the vendor's models costs `price`."""
    plan_name = name or f"{vendor} flat {price} per request"
    return checked(plan_name, [Plan(name=plan_name, vendor=vendor, model=model, project=project,
                                    currency=currency, request=price)])


def per_token(vendor: str, input: Decimal, output: Decimal, *,
              cached_input: Decimal | None = None, cache_write: Decimal | None = None,
              token_unit: int = 1_000_000, model: str = "*", project: str = "*",
              currency: str = "USD", name: str | None = None) -> Alternative:
    """"Per-token at these prices": prices per `token_unit` tokens (1M unless given)."""
    plan_name = name or f"{vendor} per token {input}/{output}"
    return checked(plan_name, [Plan(
        name=plan_name, vendor=vendor, model=model, project=project, currency=currency,
        token_unit=token_unit, input=input, output=output, cached_input=cached_input,
        cache_write=cache_write)])


def volume_tiered(vendor: str, tiers: Sequence[tuple[int | None, Decimal]], *,
                  meter: str = "requests", mode: str = "graduated", model: str = "*",
                  project: str = "*", currency: str = "USD",
                  name: str | None = None) -> Alternative:
    """"This price with these volume tiers": (up to, price) per tier, the last up to None
    (open); prices per request for the requests meter (pricing-plans.md, volume)."""
    plan_name = name or f"{vendor} volume tiers"
    volume = Volume(meter=meter, mode=mode,
                    tiers=tuple(VolumeTier(price=price, up_to=up_to) for up_to, price in tiers))
    return checked(plan_name, [Plan(name=plan_name, vendor=vendor, model=model,
                                    project=project, currency=currency, volume=volume)])


def fee_with_included(vendor: str, fee: Decimal, included: int, then: Decimal, *,
                      model: str = "*", project: str = "*", currency: str = "USD",
                      name: str | None = None) -> Alternative:
    """"This fee with this many requests included": a monthly fee, the first `included`
    requests of each billing month free, each further request at `then`."""
    plan_name = name or f"{vendor} {fee} a month, {included:,} requests included"
    volume = Volume(meter="requests", mode="graduated",
                    tiers=(VolumeTier(price=Decimal(0), up_to=included), VolumeTier(price=then)))
    return checked(plan_name, [Plan(name=plan_name, vendor=vendor, model=model, project=project,
                                    currency=currency, monthly_fee=fee, volume=volume)])


def over_saved(alternative: Alternative, saved: Sequence[Plan]) -> Alternative:
    """The alternative's plans on top of the saved ones: they win wherever they match (their
    priority above every saved plan's), the saved plans price the rest. For a quick form about
    one vendor, so that the other vendors keep their saved prices in the comparison."""
    top = max((p.priority for p in saved), default=0) + 1
    raised = [replace(p, priority=max(p.priority, top)) for p in alternative.plans]
    return checked(alternative.name, [*saved, *raised])
