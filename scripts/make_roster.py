"""生成 rules/2023/名单.yaml（2023 年度综合考核的 429 个考核对象）。

用法（在仓库根目录）：
    /work/venv/bin/python scripts/make_roster.py

- 市县：11 个设区市 + 90 个县（市、区），编号、名称、所属市、山区县取自
  data/reference/zhejiang_divisions.csv（公开数据）；
- 省直部门单位、省属企业、高校、开发区（园区）：名称取自公开资料（省级开发区按所在
  县（市、区）命名），编号（D001、E01、U001、Z001 …）是合成的，类型等属性的分配为示意。

脚本是确定的：同样的输入总是写出同样的文件。
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIVISIONS = ROOT / "data" / "reference" / "zhejiang_divisions.csv"
OUTPUT = ROOT / "rules" / "2023" / "名单.yaml"

TOTAL = 429

# 属性 → 类型（名单中每个属性都在这里声明）
ATTRIBUTES = {
    "层级": "文本",
    "山区县": "真假",
    "所属市": "文本",
    "类型": "文本",
    "重点建设高校": "真假",
}

# ---------------------------------------------------------------- 省直部门单位
# 四个赛道：党群部门、综合经济部门、社会执法部门、其他单位（中央驻浙单位、事业单位等）
DEPARTMENTS: dict[str, list[str]] = {
    "党群部门": [
        "省纪委省监委机关",
        "省委办公厅",
        "省委组织部",
        "省委宣传部",
        "省委统战部",
        "省委政法委",
        "省委政策研究室",
        "省委网信办",
        "省委编办",
        "省直机关工委",
        "省委老干部局",
        "省委党史和文献研究室",
        "省委台办",
        "省委社会工作部",
        "省委金融办",
        "省委机要局",
        "省委党校",
        "省人大常委会办公厅",
        "省政协办公厅",
        "省高级人民法院",
        "省人民检察院",
        "省总工会",
        "团省委",
        "省妇联",
        "省科协",
        "省文联",
        "省作协",
        "省侨联",
        "省残联",
        "省红十字会",
        "省社科联",
        "省工商联",
        "省档案馆",
        "省信访局",
    ],
    "综合经济部门": [
        "省政府办公厅",
        "省发展改革委",
        "省经信厅",
        "省科技厅",
        "省财政厅",
        "省人力社保厅",
        "省自然资源厅",
        "省生态环境厅",
        "省建设厅",
        "省交通运输厅",
        "省水利厅",
        "省农业农村厅",
        "省商务厅",
        "省文化和旅游厅",
        "省国资委",
        "省审计厅",
        "省统计局",
        "省地方金融监管局",
        "省大数据局",
        "省能源局",
        "省粮食物资局",
        "省林业局",
        "省机关事务管理局",
        "省供销社",
        "省贸促会",
        "省海港委",
    ],
    "社会执法部门": [
        "省教育厅",
        "省公安厅",
        "省民宗委",
        "省民政厅",
        "省司法厅",
        "省卫生健康委",
        "省退役军人事务厅",
        "省应急管理厅",
        "省外办",
        "省市场监管局",
        "省医保局",
        "省体育局",
        "省广电局",
        "省人防办",
        "省药监局",
        "省知识产权局",
        "省中医药管理局",
        "省综合执法指导办",
        "省监狱管理局",
        "省戒毒管理局",
        "省消防救援总队",
    ],
    "其他单位": [
        "浙江日报报业集团",
        "浙江广播电视集团",
        "省农科院",
        "省社科院",
        "省地质院",
        "省发展规划研究院",
        "省文史研究馆",
        "国家税务总局浙江省税务局",
        "杭州海关",
        "宁波海关",
        "浙江海事局",
        "省气象局",
        "省地震局",
        "省通信管理局",
        "省邮政管理局",
        "省烟草专卖局",
        "国家统计局浙江调查总队",
        "人民银行浙江省分行",
        "国家金融监督管理总局浙江监管局",
        "浙江证监局",
        "国家能源局浙江监管办公室",
        "财政部浙江监管局",
        "民航浙江安全监管局",
        "浙江出入境边防检查总站",
        "国网浙江省电力有限公司",
        "中国移动浙江公司",
        "中国电信浙江公司",
        "中国联通浙江省分公司",
        "中国邮政集团浙江省分公司",
        "中国铁塔浙江省分公司",
        "中国石化浙江石油分公司",
        "国家开发银行浙江省分行",
        "中国农业发展银行浙江省分行",
        "工商银行浙江省分行",
        "农业银行浙江省分行",
        "中国银行浙江省分行",
        "建设银行浙江省分行",
        "中国人民财产保险浙江省分公司",
        "中国人寿浙江省分公司",
    ],
}

# ---------------------------------------------------------------- 省属企业（18 家）
ENTERPRISES: list[tuple[str, str]] = [
    ("浙江省交通投资集团有限公司", "功能类"),
    ("浙江省能源集团有限公司", "功能类"),
    ("浙江省机场集团有限公司", "功能类"),
    ("浙江省海港投资运营集团有限公司", "功能类"),
    ("浙江省农业投资发展集团有限公司", "功能类"),
    ("浙江省旅游投资集团有限公司", "功能类"),
    ("浙江省国有资本运营有限公司", "功能类"),
    ("浙江省医疗健康集团有限公司", "功能类"),
    ("浙江省环保集团有限公司", "功能类"),
    ("浙江省国际贸易集团有限公司", "竞争类"),
    ("物产中大集团股份有限公司", "竞争类"),
    ("浙江省建设投资集团股份有限公司", "竞争类"),
    ("浙江省二轻集团有限责任公司", "竞争类"),
    ("巨化集团有限公司", "竞争类"),
    ("杭州钢铁集团有限公司", "竞争类"),
    ("浙江省商业集团有限公司", "竞争类"),
    ("浙江省机电集团有限公司", "竞争类"),
    ("浙江安邦护卫集团有限公司", "竞争类"),
]

# ---------------------------------------------------------------- 高校
# (名称, 类型, 重点建设高校)
UNIVERSITIES: list[tuple[str, str, bool]] = [
    ("浙江工业大学", "本科院校", True),
    ("浙江师范大学", "本科院校", True),
    ("宁波大学", "本科院校", True),
    ("杭州电子科技大学", "本科院校", True),
    ("浙江工商大学", "本科院校", True),
    ("温州医科大学", "本科院校", True),
    ("浙江理工大学", "本科院校", False),
    ("浙江财经大学", "本科院校", False),
    ("浙江中医药大学", "本科院校", False),
    ("浙江农林大学", "本科院校", False),
    ("中国计量大学", "本科院校", False),
    ("浙江科技大学", "本科院校", False),
    ("浙江海洋大学", "本科院校", False),
    ("杭州师范大学", "本科院校", False),
    ("温州大学", "本科院校", False),
    ("中国美术学院", "本科院校", False),
    ("浙江传媒学院", "本科院校", False),
    ("浙江外国语学院", "本科院校", False),
    ("浙江音乐学院", "本科院校", False),
    ("浙江警察学院", "本科院校", False),
    ("浙江水利水电学院", "本科院校", False),
    ("湖州师范学院", "本科院校", False),
    ("绍兴文理学院", "本科院校", False),
    ("台州学院", "本科院校", False),
    ("嘉兴大学", "本科院校", False),
    ("丽水学院", "本科院校", False),
    ("衢州学院", "本科院校", False),
    ("宁波工程学院", "本科院校", False),
    ("浙大城市学院", "本科院校", False),
    ("浙大宁波理工学院", "本科院校", False),
    ("湖州学院", "本科院校", False),
    ("温州理工学院", "本科院校", False),
    ("浙江金融职业学院", "高职院校", False),
    ("浙江机电职业技术学院", "高职院校", False),
    ("浙江交通职业技术学院", "高职院校", False),
    ("浙江经济职业技术学院", "高职院校", False),
    ("浙江商业职业技术学院", "高职院校", False),
    ("浙江工业职业技术学院", "高职院校", False),
    ("浙江建设职业技术学院", "高职院校", False),
    ("浙江旅游职业学院", "高职院校", False),
    ("浙江医药高等专科学校", "高职院校", False),
    ("浙江警官职业学院", "高职院校", False),
    ("浙江艺术职业学院", "高职院校", False),
    ("浙江经贸职业技术学院", "高职院校", False),
    ("浙江农业商贸职业学院", "高职院校", False),
    ("浙江同济科技职业学院", "高职院校", False),
    ("浙江国际海运职业技术学院", "高职院校", False),
    ("浙江体育职业技术学院", "高职院校", False),
    ("浙江邮电职业技术学院", "高职院校", False),
    ("浙江安防职业技术学院", "高职院校", False),
    ("浙江特殊教育职业学院", "高职院校", False),
    ("浙江长征职业技术学院", "高职院校", False),
    ("浙江工贸职业技术学院", "高职院校", False),
    ("金华职业技术学院", "高职院校", False),
    ("宁波职业技术学院", "高职院校", False),
    ("温州职业技术学院", "高职院校", False),
    ("杭州职业技术学院", "高职院校", False),
    ("台州职业技术学院", "高职院校", False),
    ("嘉兴职业技术学院", "高职院校", False),
    ("义乌工商职业技术学院", "高职院校", False),
]

# ---------------------------------------------------------------- 开发区（园区）
# 国家级：(名称, 所在县级行政区代码)
NATIONAL_ZONES: list[tuple[str, str]] = [
    ("杭州经济技术开发区", "330114"),
    ("萧山经济技术开发区", "330109"),
    ("杭州余杭经济技术开发区", "330110"),
    ("富阳经济技术开发区", "330111"),
    ("宁波经济技术开发区", "330206"),
    ("宁波大榭开发区", "330206"),
    ("宁波石化经济技术开发区", "330211"),
    ("宁波杭州湾经济技术开发区", "330282"),
    ("温州经济技术开发区", "330303"),
    ("嘉兴经济技术开发区", "330402"),
    ("嘉善经济技术开发区", "330421"),
    ("平湖经济技术开发区", "330482"),
    ("湖州经济技术开发区", "330502"),
    ("长兴经济技术开发区", "330522"),
    ("绍兴袍江经济技术开发区", "330602"),
    ("绍兴柯桥经济技术开发区", "330603"),
    ("杭州湾上虞经济技术开发区", "330604"),
    ("金华经济技术开发区", "330702"),
    ("义乌经济技术开发区", "330782"),
    ("衢州经济技术开发区", "330802"),
    ("丽水经济技术开发区", "331102"),
    ("台州湾经济技术开发区", "331002"),
    ("杭州高新技术产业开发区", "330108"),
    ("萧山临江高新技术产业开发区", "330109"),
    ("宁波高新技术产业开发区", "330212"),
    ("温州高新技术产业开发区", "330304"),
    ("嘉兴高新技术产业开发区", "330411"),
    ("湖州莫干山高新技术产业开发区", "330521"),
    ("绍兴高新技术产业开发区", "330602"),
    ("衢州高新技术产业开发区", "330803"),
]


def short_name(name: str) -> str:
    """桐庐县 → 桐庐，景宁畲族自治县 → 景宁，杭州市 → 杭州。"""
    for suffix in ("畲族自治县", "区", "县", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def read_divisions() -> list[dict[str, str]]:
    with DIVISIONS.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def quote(text: str) -> str:
    return f'"{text}"'


def flow(unit: dict[str, object]) -> str:
    """One unit as a YAML flow mapping on one line."""
    parts = []
    for key, value in unit.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif key == "编号":
            text = quote(str(value))
        else:
            text = str(value)
        parts.append(f"{key}: {text}")
    return "  - {" + ", ".join(parts) + "}"


def build_units() -> list[tuple[str, list[dict[str, object]]]]:
    rows = read_divisions()
    by_code = {row["code"]: row for row in rows}
    cities = [row for row in rows if row["level"] == "prefecture_city"]
    counties = [row for row in rows if row["level"] in ("district", "county", "county_city")]
    assert len(cities) == 11 and len(counties) == 90, (len(cities), len(counties))

    def city_of(code: str) -> str:
        return by_code[by_code[code]["parent_code"]]["name"]

    # 市县：设区市在前，再按代码列出县（市、区）
    county_units: list[dict[str, object]] = []
    for row in cities:
        county_units.append(
            {
                "编号": row["code"],
                "名称": row["name"],
                "领域": "市县",
                "层级": "设区市",
                "山区县": False,
                "所属市": row["name"],
            }
        )
    for row in counties:
        county_units.append(
            {
                "编号": row["code"],
                "名称": row["name"],
                "领域": "市县",
                "层级": "县（市、区）",
                "山区县": row["mountain_county"] == "1",
                "所属市": city_of(row["code"]),
            }
        )

    department_units = []
    for track, names in DEPARTMENTS.items():
        for name in names:
            department_units.append({"名称": name, "领域": "省直部门单位", "类型": track})
    for number, unit in enumerate(department_units, 1):
        department_units[number - 1] = {"编号": f"D{number:03d}", **unit}

    enterprise_units = [
        {"编号": f"E{number:02d}", "名称": name, "领域": "省属企业", "类型": kind}
        for number, (name, kind) in enumerate(ENTERPRISES, 1)
    ]

    university_units = [
        {"编号": f"U{number:03d}", "名称": name, "领域": "高校", "类型": kind, "重点建设高校": key}
        for number, (name, kind, key) in enumerate(UNIVERSITIES, 1)
    ]

    # 开发区（园区）：国家级取自公开名单；省级按所在县（市、区）命名，补足到 429 个
    zone_count = TOTAL - len(county_units) - len(department_units) - len(enterprise_units)
    zone_count -= len(university_units)
    zones: list[dict[str, object]] = []
    for name, code in NATIONAL_ZONES:
        assert code in by_code, code
        zones.append({"名称": name, "类型": "国家级", "所属市": city_of(code)})
    hosts = {code for _name, code in NATIONAL_ZONES}
    for row in counties:  # 没有国家级开发区的县（市、区）各一个省级经济开发区
        if row["code"] in hosts:
            continue
        city = by_code[row["parent_code"]]["name"]
        if row["level"] == "district":
            name = f"{short_name(city)}{short_name(row['name'])}经济开发区"
        else:
            name = f"浙江{short_name(row['name'])}经济开发区"
        zones.append({"名称": name, "类型": "省级", "所属市": city})
    for row in counties:  # 再按代码顺序为县、县级市补省级高新技术产业园区
        if len(zones) >= zone_count:
            break
        if row["level"] == "district":
            continue
        name = f"浙江{short_name(row['name'])}高新技术产业园区"
        zones.append({"名称": name, "类型": "省级", "所属市": city_of(row["code"])})
    zones = zones[:zone_count]
    zone_units = [
        {
            "编号": f"Z{number:03d}",
            "名称": zone["名称"],
            "领域": "开发区（园区）",
            "类型": zone["类型"],
            "所属市": zone["所属市"],
        }
        for number, zone in enumerate(zones, 1)
    ]

    domains = [
        ("市县", county_units),
        ("省直部门单位", department_units),
        ("省属企业", enterprise_units),
        ("高校", university_units),
        ("开发区（园区）", zone_units),
    ]
    total = sum(len(units) for _domain, units in domains)
    assert total == TOTAL, total
    for domain, units in domains:
        names = [u["名称"] for u in units]
        duplicates = {n for n in names if names.count(n) > 1}
        assert not duplicates, (domain, duplicates)
    ids = [u["编号"] for _d, units in domains for u in units]
    assert len(ids) == len(set(ids))
    return domains


def render(domains: list[tuple[str, list[dict[str, object]]]]) -> str:
    lines = [
        "# yaml-language-server: $schema=../../schemas/roster.schema.json",
        "# 由 scripts/make_roster.py 生成，请勿手工修改（改脚本后重新生成）。",
        "# 单位名称取自公开资料（行政区划及代码见 data/reference/zhejiang_divisions.csv；",
        "# 省级开发区按所在县（市、区）命名）；非行政区划单位的编号是合成的，",
        "# 类型、重点建设高校等属性的分配为示意，并非官方名单。",
        "# 本文件中的数值为示意，并非官方数字。",
        f"说明: 2023 年度综合考核对象名单（示意），共 {TOTAL} 个考核对象",
        "属性:",
    ]
    lines += [f"  {name}: {kind}" for name, kind in ATTRIBUTES.items()]
    lines.append("单位:")
    for domain, units in domains:
        lines.append(f"  # ---- {domain}：{len(units)} 个")
        lines += [flow(unit) for unit in units]
    return "\n".join(lines) + "\n"


def main() -> int:
    domains = build_units()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(domains), encoding="utf-8")
    counts = "，".join(f"{domain} {len(units)}" for domain, units in domains)
    print(f"已写出 {OUTPUT.relative_to(ROOT)}：{counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
