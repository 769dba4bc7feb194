"""`prices`: cross-check or import downloaded price files, and calibrate estimated token counts."""
from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from cli import CliError, emit_json
from cli.common import find_model, iso_date, load_catalog_or_fail, print_table, token_count

_SHOW = 20  # list heads in text output; --all or --json shows everything


def add_parser(sub) -> None:
    p = sub.add_parser("prices", help="cross-check or import price files; calibrate token estimates")
    inner = p.add_subparsers(dest="prices_command", required=True)

    def file_options(q) -> None:
        q.add_argument("file", help="a downloaded LiteLLM model_prices_and_context_window.json or "
                                    "genai-prices data.json (or one genai-prices provider .yml)")
        q.add_argument("--format", choices=("auto", "litellm", "genai-prices"), default="auto",
                       help="file format (default: detect)")
        q.add_argument("--on", type=iso_date, default=None,
                       help="compare the prices in force on this day (default: today)")
        q.add_argument("--all", action="store_true", help="list everything, not the first 20")
        q.add_argument("--json", action="store_true", help="machine-readable output")

    check = inner.add_parser("check", help="where a price file disagrees with the catalog (>1%%)")
    file_options(check)
    check.set_defaults(func=run_check)

    imp = inner.add_parser("import", help="show the diff and write accepted prices to your override file")
    file_options(imp)
    imp.add_argument("--accept", default="none", metavar="all|none|ID[,ID...]",
                     help="none (default: dry run); all = every price change and newly priced field "
                          "of catalog models; or model ids / model:field keys from the diff "
                          "(new models are added only when named)")
    imp.set_defaults(func=run_import)

    cal = inner.add_parser("calibrate", help="correct a model's token estimates with a billed count")
    cal.add_argument("model", nargs="?", help="catalog model id")
    cal.add_argument("--estimate", type=token_count, help="our (uncalibrated) estimate for the prompt")
    cal.add_argument("--billed", type=token_count, help="the input tokens the provider billed for it")
    cal.add_argument("--reset", metavar="MODEL", help="forget this model's calibration")
    cal.add_argument("--json", action="store_true", help="machine-readable output")
    cal.set_defaults(func=run_calibrate)


# --- check / import --------------------------------------------------------------------------


def _read(args):
    from core.prices.files import read_price_file

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {args.file}")
    imported = read_price_file(path, args.format)
    if not imported.ok:
        first = imported.errors[0] if imported.errors else f"{path.name}: no priced models found"
        raise CliError(f"cannot use {path.name}: {first}")
    for error in imported.errors[:5]:
        print(f"warning: {error}", file=sys.stderr)
    if len(imported.errors) > 5:
        print(f"warning: … and {len(imported.errors) - 5} more problems in {path.name} "
              "(the rest of the file was read)", file=sys.stderr)
    return imported


def _diff(args):
    from core.prices.files import cross_check

    catalog = load_catalog_or_fail()
    imported = _read(args)
    return cross_check(catalog, imported, on=args.on or date.today())


def _value(fld: str, value: Decimal | None) -> str:
    from core.prices.files import field_text

    return field_text(fld, value, units=False)  # the table's header names the unit


def _pct(item) -> str:
    if item.rel_diff is None:
        return "n/a"  # the catalog says 0: any price is infinitely more
    return f"{float(item.rel_diff) * 100:+.1f}%"


def _head(names, show_all: bool) -> str:
    names = list(names)
    if show_all or len(names) <= _SHOW:
        return ", ".join(names)
    return ", ".join(names[:_SHOW]) + f", … {len(names) - _SHOW} more (--all)"


def _print_diff(diff, show_all: bool) -> None:
    from core.prices.files import CHANGED, FIELD_MISSING, NEW_FIELD

    print(f"Cross-check of {diff.file} ({diff.format}, {diff.file_models:,} priced entries) against "
          f"the catalog ({diff.catalog_size} models), prices in force on {diff.on.isoformat()}")
    resellers = [f"{mid} ← {m.ref}" for mid, m in diff.matches.items() if m.provider_rank == 2]
    print(f"Matched {len(diff.matches)} of {diff.catalog_size} catalog models"
          + (f" ({len(resellers)} only through a reseller: {_head(resellers, show_all)})" if resellers else "")
          + ".")
    changed = diff.of_kind(CHANGED)
    print()
    if changed:
        print(f"{len(changed)} disagreement(s) over {float(diff.tolerance) * 100:g}%:")
        rows = [[i.model_id, i.field, _value(i.field, i.ours), _value(i.field, i.theirs), _pct(i),
                 i.source_ref] for i in changed]
        print_table(["model", "field", "catalog", "file", "diff", "file entry"], rows, "llrrrl")
    else:
        print(f"No price differs by more than {float(diff.tolerance) * 100:g}%.")
    new = diff.of_kind(NEW_FIELD)
    if new:
        print(f"\nPriced in the file but not in the catalog ({len(new)}): "
              + _head([f"{i.key} = {_value(i.field, i.theirs)}" for i in new], show_all))
    lacking = diff.of_kind(FIELD_MISSING)
    if lacking:
        print(f"\nCatalog prices the file does not state ({len(lacking)}): "
              + _head([i.key for i in lacking], show_all))
    print(f"\nCatalog models the file lacks ({len(diff.only_in_catalog)}): "
          + (_head(diff.only_in_catalog, show_all) or "none"))
    print(f"File models the catalog lacks (first-party, providers the catalog covers; "
          f"{len(diff.only_in_file)}): " + (_head(diff.only_in_file, show_all) or "none"))


def run_check(args) -> int:
    diff = _diff(args)
    if args.json:
        emit_json(diff.to_dict())
        return 0
    _print_diff(diff, args.all)
    return 0


def run_import(args) -> int:
    from core.base import user_catalog_path
    from core.prices.files import ADDED, apply_accepted, resolve_accept

    diff = _diff(args)
    accepted, problems = resolve_accept(diff.items, args.accept)
    if problems:
        raise CliError(f"--accept: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    written, errors = (None, [])
    target = user_catalog_path()
    if accepted:
        written, errors = apply_accepted(diff.items, accepted, target, today=date.today())
    applied = [i for i in diff.items if i.applicable and (i.key in accepted or i.model_id in accepted)]
    if args.json:
        payload = diff.to_dict()
        payload.update({"accepted": sorted({i.key for i in applied}),
                        "written": str(written) if written else None,
                        "write_errors": [str(e) for e in errors]})
        emit_json(payload)
        return 1 if accepted and not written else 0
    _print_diff(diff, args.all)
    print()
    for error in errors:
        print(f"warning: {error}", file=sys.stderr)
    if not accepted:
        changes = [i for i in diff.items if i.applicable and i.kind != ADDED]
        print(f"Dry run: nothing written. {len(changes)} change(s) can be accepted with --accept all, "
              "or pick model ids / model:field keys, e.g. --accept "
              + (changes[0].key if changes else "MODEL") + ".")
        return 0
    if written:
        models = sorted({i.model_id for i in applied if not any(e.field == i.model_id for e in errors)})
        print(f"Wrote {len(models)} model(s) to {written} (previous version kept as {written.name}.bak): "
              + ", ".join(models))
        print("The bundled catalog is unchanged; delete an entry from that file to go back to it.")
        return 0
    # Accepted changes that could not be written are a failure, not a quiet success.
    print(f"error: nothing could be written to {target}"
          + (f": {errors[0].message}" if errors else ""), file=sys.stderr)
    return 1


# --- calibrate -------------------------------------------------------------------------------


def run_calibrate(args) -> int:
    from core.prices import calibration

    if args.reset:
        if args.model or args.estimate is not None or args.billed is not None:
            raise CliError("use either MODEL --estimate N --billed N, or --reset MODEL")
        removed, errors = calibration.reset(args.reset)
        _warn(errors)
        if args.json:
            emit_json({"model": args.reset, "reset": removed})
        else:
            print(f"{args.reset}: calibration removed; counts are plain estimates again." if removed
                  else f"{args.reset} had no calibration.")
        return 0
    if args.model is None:
        if args.estimate is not None or args.billed is not None:
            raise CliError("name the model: prices calibrate MODEL --estimate N --billed N")
        calibrations, errors = calibration.load()
        _warn(errors)
        if args.json:
            emit_json({"calibrations": [{"model": c.model_id, "factor": c.factor, "samples": c.samples,
                                         "estimate_tokens": c.estimate_tokens,
                                         "billed_tokens": c.billed_tokens,
                                         "updated": c.updated.isoformat()}
                                        for c in calibrations.values()],
                       "file": str(calibration.calibration_path())})
            return 0
        if not calibrations:
            print("No calibrations yet. Record one with: prices calibrate MODEL --estimate N --billed N")
            return 0
        rows = [[c.model_id, f"{c.factor:.4f}", str(c.samples), f"{c.estimate_tokens:,}",
                 f"{c.billed_tokens:,}", c.updated.isoformat()] for c in calibrations.values()]
        print_table(["model", "factor", "samples", "estimated", "billed", "updated"], rows, "lrrrrl")
        return 0
    if args.estimate is None or args.billed is None:
        raise CliError("give both --estimate N (our uncalibrated count) and --billed N "
                       "(the provider's input tokens for the same prompt)")
    model = find_model(load_catalog_or_fail(), args.model)
    if model.exact_tokens:
        print(f"note: {model.id} is counted exactly with {model.tokenizer}; calibration is stored but "
              "exact counts are not scaled (the gap to a billed count is per-message framing).",
              file=sys.stderr)
    result, errors = calibration.record(model.id, args.estimate, args.billed)
    if result is None:
        raise CliError(str(errors[-1].message if errors else "calibration not recorded"))
    _warn(errors)
    if args.json:
        emit_json({"model": result.model_id, "factor": result.factor, "samples": result.samples,
                   "estimate_tokens": result.estimate_tokens, "billed_tokens": result.billed_tokens,
                   "residual_band_pct": calibration.RESIDUAL_BAND_PCT,
                   "file": str(calibration.calibration_path())})
        return 0
    print(f"{result.model_id}: factor {result.factor:.4f} from {result.samples} sample(s) "
          f"(billed {result.billed_tokens:,} ÷ estimated {result.estimate_tokens:,}).")
    print(f"Estimates for {result.model_id} now show as calibrated (± {calibration.RESIDUAL_BAND_PCT:g}%); "
          f"undo with: prices calibrate --reset {result.model_id}")
    return 0


def _warn(errors) -> None:
    for error in errors[:5]:
        print(f"warning: {error}", file=sys.stderr)
