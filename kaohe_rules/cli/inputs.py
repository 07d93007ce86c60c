"""Which rules and which data a command computes: chosen by the user, never guessed.

The bundled synthetic sample is used only for the demo exactly (no --rules and no
--data; --year picks the demo's year) or when asked for by name (--sample); a
rule set without data, or data without a rule set, is a usage error (KH501).
"""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.cli.usage import BadValue, InputError
from kaohe_rules.read.bundled import sample_folder, sample_years
from kaohe_rules.resources import data_path

SAMPLE_HELP = "用内置的合成示例数据（规则集所属年度的），不用自己的数据"


def bundled_years() -> list[int]:
    """The years of the rule sets shipped with kaohe."""
    folder = data_path("rules")
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())


def choose_inputs(
    year: int | None,
    rules: str | None,
    data: str | None,
    sample: bool = False,
    data_option: str = "--data",
) -> tuple[Path, Path | None]:
    """The rule-set folder, and the data folder (None: the bundled sample of the rule set's
    declared year, which :func:`sample_data` picks once the rules are loaded)."""
    if sample and data is not None:
        raise InputError(
            "KH501",
            f"--sample 与 {data_option} 不能同时使用：不知道该用哪份数据",
            f"用自己的数据就去掉 --sample；试算内置的合成示例数据就去掉 {data_option}",
        )
    if rules is None:
        rules_folder = _bundled_rules(year)
        if data is not None and year is None:
            newest = bundled_years()[-1]
            raise InputError(
                "KH501",
                f"只给了 {data_option}，没有说按哪个规则集计算",
                f"用 --rules 规则集文件夹 指定规则；按内置的官方规则计算就写明年度，"
                f"如 --year {newest}",
            )
    else:
        rules_folder = Path(rules)
        if data is None and not sample:
            raise InputError(
                "KH501",
                f"给了 --rules {rules}，但没有给数据：不会猜用哪份数据计算",
                f"用 {data_option} 数据文件夹 指定数据（如 {data_option} 我的数据/2024，"
                "文件夹中放 指标值.csv 等数据文件）；只想试算内置的合成示例数据，加 --sample",
            )
    _exists(rules_folder, "--rules")
    if data is None:
        return rules_folder, None
    _exists(Path(data), data_option)
    return rules_folder, Path(data)


def sample_data(year: int, period: str | None) -> Path:
    """The bundled sample folder of the rule set's declared year; refused (KH502) when
    there is none for that year or period."""
    folder = sample_folder(year, period or "全年")
    if not folder.is_dir():
        what = f"{year} 年度" + ("半年评估" if period == "H1" else "")
        raise InputError(
            "KH502",
            f"没有 {what}的内置示例数据",
            f"内置示例数据有：{'、'.join(sample_years())}；用 --data 指定数据文件夹",
        )
    return folder


def _bundled_rules(year: int | None) -> Path:
    years = bundled_years()
    chosen = year or years[-1]
    if chosen not in years:
        message = f"没有 {chosen} 年度的内置规则集"
        hint = f"内置规则集有：{'、'.join(map(str, years))}；自己的规则集用 --rules 指定"
        raise BadValue("KH519", "--year", message, hint)
    return data_path("rules", str(chosen))


def _exists(folder: Path, option: str) -> None:
    if folder.is_file():
        raise BadValue("KH514", option, f"{folder} 是文件，这里要一个文件夹")
    if not folder.is_dir():
        raise BadValue("KH513", option, f"找不到文件夹 {folder}")
